/* cramcount.c -- count some containers of a CRAM; see cramcount.h. */
#include "cramcount.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>
#include <htslib/cram.h>
#include <htslib/hfile.h>

#include "cramfeed.h"
#include "rc.h"

/* Whole reference sequences need no CIGAR: a record counts there when its
 * end is past 0, which only a record without a position (pos -1) can miss,
 * and htslib decodes such a record only when it is unmapped, whose end is
 * pos + 1 whatever its CIGAR. Leaving the CIGAR out also spares htslib
 * the read features, and lets it count reads that run past the end of
 * their reference in a CRAM that has one (htslib 1.16 refuses to rebuild
 * their CIGAR without the reference). */
int cramcount_fields(const count_opts_t *o)
{
    int fields = SAM_FLAG | SAM_RNAME | SAM_POS;
    if (o->regions && !regions_whole_refs(o->regions))
        fields |= SAM_CIGAR;
    if (o->filter && o->filter->min_mapq > 0)
        fields |= SAM_MAPQ;
    return fields;
}

/* htslib allocates and frees buffers of a few MB for every container it
 * decodes. glibc would give that memory back each time (brk down, or
 * munmap) and fault it in again for the next one: as much system time as
 * the decoding itself. Keep it instead; the process is ours, and only a
 * few containers' worth is ever held. */
static void keep_freed_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

/* htslib reading the feed's pipe as a CRAM, with its header read and the
 * decoding options set. NULL (and the message) on failure; fd is closed
 * either way once passed in. */
static htsFile *open_stream(int fd, const alnfile_t *in, const count_opts_t *o, int threads,
                            sam_hdr_t **hdr, int *rc)
{
    hFILE *h = hdopen(fd, "r");
    htsFile *fp = h ? hts_hopen(h, in->path, "rb") : NULL;
    if (!fp) {
        if (h)
            hclose_abruptly(h);
        else
            close(fd);
        *rc = rc_fail(RC_EINPUT, "%s: htslib cannot open the CRAM stream", in->path);
        return NULL;
    }
    if (hts_set_opt(fp, CRAM_OPT_REQUIRED_FIELDS, cramcount_fields(o)) != 0 ||
        hts_set_opt(fp, CRAM_OPT_DECODE_MD, 0) != 0)
        *rc = rc_fail(RC_EINTERNAL, "%s: cannot set the CRAM decoding options", in->path);
    else if (o->reference && hts_set_fai_filename(fp, o->reference) != 0)
        *rc = rc_fail(RC_EINPUT, "cannot use the reference %s (a FASTA with its .fai)",
                      o->reference);
    else if (threads > 1 && hts_set_threads(fp, threads) != 0)
        *rc = rc_fail(RC_EINTERNAL, "cannot start %d CRAM decoding threads", threads);
    else if (!(*hdr = sam_hdr_read(fp)))
        *rc = rc_fail(RC_EINPUT, "%s: cannot read the CRAM header again (a corrupt file)",
                      in->path);
    else
        *rc = 0;
    return fp;
}

/* The records htslib decoded against the container headers. */
static int check_records(const alnfile_t *in, const tally_t *t, const cramfeed_result_t *res,
                         const uint64_t *single_ref, int64_t beg)
{
    if ((int64_t)t->n_records != res->records)
        return rc_fail(RC_EINPUT, "%s: the containers from byte %" PRId64 " hold %" PRId64
                       " records by their headers, and %" PRIu64 " were decoded (a corrupt file)",
                       in->path, beg, res->records, (uint64_t)t->n_records);
    for (int tid = 0; tid < t->n_targets; tid++)
        if (t->records[tid] < single_ref[tid])
            return rc_fail(RC_EINPUT, "%s: the containers from byte %" PRId64 " hold %" PRIu64
                           " records of %s by their headers, and %" PRIu64 " were decoded (a "
                           "corrupt file)", in->path, beg, single_ref[tid],
                           sam_hdr_tid2name(in->hdr, tid), t->records[tid]);
    return 0;
}

int cramcount_range(const alnfile_t *in, const scan_source_t *source, int64_t beg, int64_t end,
                    const count_opts_t *opts, int threads, tally_t *t)
{
    cramfeed_spec_t fs = {.path = in->path, .major = in->cram_major,
                          .ranges = {{0, in->cram_data}, {beg, end}, {in->cram_data_end, in->size}},
                          .crai = alnfile_indexed(in) ? &in->crai : NULL, .n_targets = t->n_targets};
    keep_freed_memory();
    count_opts_t o = *opts;
    o.path = in->path;
    o.addr_base = beg - in->cram_data; /* the stream's offsets, as the file's */
    scan_input_t s = {.fd = -1};
    uint64_t *single_ref = calloc(t->n_targets + 1, sizeof *single_ref);
    int rc = single_ref ? source->open_ranges(source, fs.ranges, CRAMFEED_RANGES, &s)
                        : rc_fail(RC_EINTERNAL, "out of memory");
    if (rc != 0) {
        free(single_ref);
        return rc;
    }
    fs.fd = s.fd;
    fs.fd_is_file = s.fd_is_file;
    fs.single_ref_records = single_ref;
    int hts_fd = -1, feed_rc = 0, close_rc;
    cramfeed_t *feed = NULL;
    cramfeed_result_t res;
    rc = cramfeed_open(&fs, &hts_fd, &feed);
    if (rc == 0) {
        sam_hdr_t *hdr = NULL;
        /* htslib's messages would break the one-line error. */
        enum htsLogLevel level = hts_get_log_level();
        hts_set_log_level(HTS_LOG_OFF);
        htsFile *fp = open_stream(hts_fd, in, &o, threads, &hdr, &rc);
        if (rc == 0)
            rc = count_cram_records(fp, hdr, &o, t);
        if (rc != 0)
            cramfeed_stop(feed); /* it may be waiting for htslib to read on */
        if (hdr)
            sam_hdr_destroy(hdr);
        if (fp)
            hts_close(fp);
        hts_set_log_level(level);
        feed_rc = cramfeed_close(feed, &res);
        if (feed_rc != 0)
            t->failed_at = res.failed_at;
    }
    /* A failed transfer explains why the feed saw the data end early, and
     * a failed feed why htslib did. */
    close_rc = source->close(source, &s);
    rc = close_rc ? close_rc : feed_rc ? feed_rc : rc;
    if (rc == 0)
        rc = check_records(in, t, &res, single_ref, beg);
    free(single_ref);
    return rc;
}
