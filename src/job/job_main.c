/* job_main.c -- the main entry point: count the BAM or CRAM on this
 * machine.
 *
 * By default the file is streamed: its header and end-of-file marker are
 * fetched into a sparse mirror and each worker reads its byte ranges from
 * the download URL (stream.h). download_first downloads the whole file
 * (every part's md5 checked) and then the index, and counts the local copy.
 * count_method index counts from the index: a BAI's counts, or the CRAM
 * container headers a CRAI points at (idxcount.h). With subjobs > 1,
 * job_scatter (job_scatter.c) spreads the work instead.
 */
#include <inttypes.h>
#include <string.h>

#include "idxcount.h"
#include "job.h"
#include "job_spec.h"
#include "log.h"
#include "rc.h"

#define MAX_SUBJOBS 1000

/* What main was asked to do. */
typedef struct {
    job_bam_t b;
    job_spec_t spec;    /* what to count */
    int from_index;     /* count_method "index" */
    int download_first; /* download the BAM and check its md5 first */
} main_inputs_t;

static int read_inputs(job_t *job, main_inputs_t *mi)
{
    static const char *const methods[] = {"scan", "index", NULL};
    const char *method;
    int rc;
    if ((rc = jobio_string(job->input, "count_method", "scan", methods, &method)) != 0 ||
        (rc = jobio_bool(job->input, "download_first", 0, &mi->download_first)) != 0)
        return rc;
    mi->from_index = strcmp(method, "index") == 0;
    if ((rc = job_spec_inputs(job, &mi->spec)) != 0 || (rc = job_bam_inputs(job, 0, &mi->b)) != 0)
        return rc;
    if (mi->from_index && !mi->b.have_bai)
        return rc_fail(RC_EINPUT, "count_method index needs input %s (the file's index)",
                       BAI_INPUT);
    if (mi->from_index && !job_spec_plain(&mi->spec))
        return rc_fail(RC_EINPUT, "count_method index counts whole reference sequences with no "
                       "filter; count regions, bins or filtered reads with count_method scan");
    return 0;
}

/* Download the whole BAM, then the BAI, so that the index is not older
 * than the data. */
static int open_downloaded(job_t *job, job_bam_t *b)
{
    int rc = job_check_space(job, b->bam.file.size + (b->have_bai ? b->bai.file.size : 0));
    if (rc == 0 && (rc = job_download_input(job, &b->bam)) == 0 && b->have_bai)
        rc = job_download_input(job, &b->bai);
    if (rc == 0)
        rc = alnfile_open(&b->in, b->bam.path, b->have_bai ? b->bai.path : NULL, 0);
    return rc;
}

static int fetch_into_mirror(void *arg, int64_t beg, int64_t end)
{
    return mirror_fetch(arg, beg, end);
}

static int count_bam(job_t *job, main_inputs_t *mi, tally_t *t)
{
    job_bam_t *b = &mi->b;
    if (mi->from_index) {
        log_info("count: from the index %s (method index)", b->bai.file.name);
        return idxcount_run(&b->in, mi->download_first ? NULL : fetch_into_mirror, &b->mirror, t);
    }
    log_info("count: %s with %d worker%s%s%s", b->bam.file.name, job->workers,
             job->workers == 1 ? "" : "s",
             mi->download_first ? " from the downloaded file" : ", streaming from the download URL",
             alnfile_indexed(&b->in) ? "" : " (no index: one multi-threaded pass)");
    job_count_t c = {&mi->spec.regions, job_spec_filter(&mi->spec), mi->spec.reference};
    return job_scan(job, b, &c, mi->download_first, NULL, t);
}

static int count_here(job_t *job, main_inputs_t *mi)
{
    tally_t t;
    int rc = mi->download_first ? open_downloaded(job, &mi->b) : job_open_mirrored(job, &mi->b, 0);
    if (rc == 0 && !mi->from_index)
        rc = job_spec_reference(job, &mi->spec, mi->b.in.kind == ALNFILE_CRAM);
    if (rc == 0)
        rc = job_spec_regions(job, &mi->spec, mi->b.in.hdr);
    double start = log_now();
    if (rc == 0 && (rc = count_bam(job, mi, &t)) == 0) {
        char rate[16];
        double secs = log_now() - start;
        log_info("count: done in %.1f s (%s/s compressed)", secs,
                 log_bytes((uint64_t)(mi->b.in.size / (secs > 0 ? secs : 1e-9)), rate));
        rc = job_publish_counts(job, mi->b.bam.file.name, &mi->spec.regions, t.counts);
        tally_free(&t);
    }
    return rc;
}

int job_main(job_t *job)
{
    long long subjobs;
    int rc = jobio_int(job->input, "subjobs", 1, 1, MAX_SUBJOBS, &subjobs);
    if (rc != 0)
        return rc;
    if (subjobs > 1)
        return job_scatter(job, (int)subjobs);
    main_inputs_t mi = {.b.mirror.fd = -1};
    if ((rc = read_inputs(job, &mi)) == 0)
        rc = count_here(job, &mi);
    job_spec_free(&mi.spec);
    job_bam_close(&mi.b);
    return rc;
}
