/* job_main.c -- the main entry point: count the BAM or CRAM on this
 * machine, or hand over.
 *
 * By default the file is streamed: its header and end-of-file marker are
 * fetched into a sparse mirror and each worker reads its byte ranges from
 * the download URL (stream.h). download_first downloads the whole file
 * (every part's md5 checked) and then the index, and counts the local copy.
 * count_method index counts from the index: a BAI's counts, or the CRAM
 * container headers a CRAI points at (idxcount.h); see job_count.c. With
 * subjobs > 1, job_scatter (job_scatter.c) spreads the work instead; with
 * input mappings (many files), job_cohort (job_cohort.c) counts them.
 */
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "job_spec.h"
#include "log.h"
#include "rc.h"

/* What main was asked to do. */
typedef struct {
    job_bam_t b;
    job_spec_t spec;   /* what to count */
    job_method_t method;
} main_inputs_t;

static int read_inputs(job_t *job, main_inputs_t *mi)
{
    int rc = job_spec_inputs(job, &mi->spec);
    if (rc == 0)
        rc = job_spec_method(job, &mi->spec, &mi->method);
    if (rc == 0)
        rc = job_bam_inputs(job, 0, &mi->b);
    return rc ? rc : job_check_index(&mi->b, &mi->method, BAI_INPUT);
}

static int count_here(job_t *job, main_inputs_t *mi)
{
    tally_t t;
    int rc = job_open_input(job, &mi->b, &mi->method);
    if (rc == 0 && !mi->method.from_index)
        rc = job_spec_reference(job, &mi->spec, mi->b.in.kind == ALNFILE_CRAM);
    if (rc == 0)
        rc = job_spec_regions(job, &mi->spec, mi->b.in.hdr);
    double start = log_now();
    job_count_t c = {&mi->spec.regions, job_spec_filter(&mi->spec), mi->spec.reference};
    if (rc == 0 && (rc = job_count_input(job, &mi->b, &mi->method, &c, &t)) == 0) {
        char rate[16], counted[256];
        double secs = log_now() - start;
        log_info("count: done in %.1f s (%s/s compressed)", secs,
                 log_bytes((uint64_t)(mi->b.in.size / (secs > 0 ? secs : 1e-9)), rate));
        job_spec_describe(&mi->spec, counted, sizeof counted);
        rc = job_publish_single(job, &mi->b, &mi->spec.regions, counted, &t);
        tally_free(&t);
    }
    return rc;
}

int job_main(job_t *job)
{
    long long subjobs;
    int rc = jobio_int(job->input, "subjobs", 0, 1, JOB_MAX_SUBJOBS, &subjobs);
    json_t *mappings = json_object_get(job->input, COHORT_INPUT);
    if (rc == 0 && mappings && json_object_get(job->input, BAM_INPUT))
        return rc_fail(RC_EINPUT, "inputs %s and %s: give one file as %s, or many as %s, not "
                       "both", BAM_INPUT, COHORT_INPUT, BAM_INPUT, COHORT_INPUT);
    if (rc == 0 && !mappings && !json_object_get(job->input, BAM_INPUT))
        return rc_fail(RC_EINPUT, "no input to count: give %s (one BAM or CRAM) or %s (many)",
                       BAM_INPUT, COHORT_INPUT);
    if (rc != 0 || mappings)
        return rc ? rc : job_cohort(job, (int)subjobs);
    if (subjobs > 1)
        return job_scatter(job, (int)subjobs);
    main_inputs_t mi = {.b.mirror.fd = -1};
    if ((rc = read_inputs(job, &mi)) == 0)
        rc = count_here(job, &mi);
    job_spec_free(&mi.spec);
    job_bam_close(&mi.b);
    return rc;
}
