/* job_count.c -- count one input file in a job: open it (downloaded, or
 * through a sparse mirror whose ranges are fetched as needed) and count it
 * by scan (streamed to the workers) or from its index; see job.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "idxcount.h"
#include "job.h"
#include "log.h"
#include "rc.h"

int job_check_index(const job_bam_t *b, const job_method_t *m, const char *index_input)
{
    if (m->from_index && !b->have_bai)
        return rc_fail(RC_EINPUT, "count_method index needs input %s: the index of %s (%s)",
                       index_input, b->bam.what, b->bam.file.name);
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

int job_open_input(job_t *job, job_bam_t *b, const job_method_t *m)
{
    return m->download_first ? open_downloaded(job, b) : job_open_mirrored(job, b, 0);
}

static int fetch_into_mirror(void *arg, int64_t beg, int64_t end)
{
    return mirror_fetch(arg, beg, end);
}

/* Connections that fetch a CRAM's container headers at once. */
#define HEADER_CONNECTIONS 16

/* Seconds to fetch bytes of a file in requests of about one round trip
 * each plus the bytes at rate, over connections at once. */
static double fetch_seconds(double requests, double bytes, double round_trip, double rate,
                            int connections)
{
    return (requests * round_trip + bytes / rate) / connections;
}

/* A CRAM's container headers, fetched at once into the mirror before the
 * index method reads them, HEADER_CONNECTIONS at a time: a header costs a
 * round trip, and those overlap. When streaming the whole file to the
 * workers would take less time (tens of thousands of small containers and
 * a long round trip), *use_scan is set instead: the same counts. The round
 * trip and one connection's rate come from the mirror's first fetches
 * (MIRROR_FIRST_PREFIX bytes, then a few): a rough model, but the choice
 * only matters when the two differ by much (make bench measures both). */
static int prefetch_cram_headers(job_t *job, job_bam_t *b, int *use_scan)
{
    int64_t (*ranges)[2], n, bytes;
    int rc = idxcount_cram_ranges(&b->in, &ranges, &n, &bytes);
    const mirror_t *m = &b->mirror;
    /* The prefix took the URL's API call and a request, each about a round
     * trip, and its bytes' transfer. */
    double round_trip = m->eof_secs, transfer = m->prefix_secs - 2 * m->eof_secs;
    double rate = MIRROR_FIRST_PREFIX / (transfer > 1e-3 ? transfer : 1e-3);
    int streams = job->workers * job->connections;
    double t_index = fetch_seconds((double)n, (double)bytes, round_trip, rate, HEADER_CONNECTIONS);
    double t_scan = fetch_seconds((double)b->in.size / (double)job->chunk, (double)b->in.size,
                                  round_trip, rate, streams);
    char b1[16], b2[16], b3[16];
    *use_scan = rc == 0 && m->prefix_secs > 0 && t_scan < t_index;
    log_info("count: %" PRId64 " container headers in %" PRId64 " ranges (%s): about %.1f s with "
             "%d connections; streaming %s with %d: about %.1f s (round trip %.0f ms, %s/s a "
             "connection)%s", b->in.crai.n_containers, n, log_bytes((uint64_t)bytes, b1), t_index,
             HEADER_CONNECTIONS, log_bytes((uint64_t)b->in.size, b2), streams, t_scan,
             1000 * round_trip, log_bytes((uint64_t)rate, b3),
             *use_scan ? ": counting by scan instead (the same counts)" : "");
    if (rc == 0 && !*use_scan)
        rc = mirror_fetch_many(&b->mirror, (const int64_t(*)[2])ranges, n, HEADER_CONNECTIONS);
    free(ranges);
    return rc;
}

int job_count_input(job_t *job, job_bam_t *b, const job_method_t *m, const job_count_t *c,
                    tally_t *t)
{
    int use_scan = 0, rc = 0;
    if (m->from_index && b->in.kind == ALNFILE_CRAM && !m->download_first)
        rc = prefetch_cram_headers(job, b, &use_scan);
    if (rc != 0)
        return rc;
    if (m->from_index && !use_scan) {
        log_info("count: from the index %s (method index)", b->bai.file.name);
        return idxcount_run(&b->in, m->download_first ? NULL : fetch_into_mirror, &b->mirror, t);
    }
    log_info("count: %s with %d worker%s%s%s", b->bam.file.name, job->workers,
             job->workers == 1 ? "" : "s",
             m->download_first ? " from the downloaded file" : ", streaming from the download URL",
             alnfile_indexed(&b->in) ? "" : " (no index: one multi-threaded pass)");
    return job_scan(job, b, c, m->download_first, NULL, t);
}
