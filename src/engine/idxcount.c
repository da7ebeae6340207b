/* idxcount.c -- counts from the index; see idxcount.h. */
#include "idxcount.h"

#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "cramcount.h"
#include "cramhdr.h"
#include "log.h"
#include "plan.h"
#include "rc.h"
#include "scan.h"

/* Compressed bytes read at the start of a reference sequence at first: a
 * record starting in the first block ends by the second. */
#define FIRST_WINDOW (2 * 65536)
#define MAX_WINDOW (64 << 20)

/* Records at the start of tid (from beg) that samtools does not count. */
static int unpositioned(const alnfile_t *in, int tid, uint64_t beg, idxcount_fetch_fn fetch,
                        void *arg, uint64_t *skipped)
{
    scan_source_t local = scan_local_source(in->path);
    count_opts_t o = {.path = in->path, .end = ALNFILE_VOFF_END};
    for (int64_t window = FIRST_WINDOW;; window *= 4) {
        int rc = fetch ? fetch(arg, (int64_t)(beg >> 16), (int64_t)(beg >> 16) + window) : 0;
        if (rc != 0)
            return rc;
        scan_input_t s;
        rc = local.open(&local, beg, ALNFILE_VOFF_END, &s);
        uint64_t n = 0;
        if (rc == 0) {
            rc = count_unpositioned(s.fp, tid, &o, &n);
            local.close(&local, &s);
        }
        /* A remote BAM's mirror may end too early: fetch more and retry. */
        if (rc == 0 || !fetch || window >= MAX_WINDOW) {
            *skipped = n;
            return rc;
        }
    }
}

static int bam_run(const alnfile_t *in, idxcount_fetch_fn fetch, void *arg, tally_t *total)
{
    int nref = sam_hdr_nref(in->hdr), rc = tally_init(total, nref, nref);
    for (int tid = 0; rc == 0 && tid < nref; tid++) {
        uint64_t beg, end, mapped, unmapped, skipped = 0;
        if (!plan_tid_range(in->idx, tid, &beg, &end))
            continue;
        if (hts_idx_get_stat(in->idx, tid, &mapped, &unmapped) != 0) {
            rc = rc_fail(RC_EINPUT,
                         "index %s holds no per-reference read counts (it was not written by "
                         "samtools or htslib): count with the scan method instead",
                         in->index_path);
            break;
        }
        if ((rc = unpositioned(in, tid, beg, fetch, arg, &skipped)) != 0)
            break;
        if (skipped > mapped + unmapped) {
            rc = rc_fail(RC_EINPUT, "index %s does not belong to %s: reference %s", in->index_path,
                         in->path, sam_hdr_tid2name(in->hdr, tid));
            break;
        }
        total->records[tid] = mapped + unmapped;
        total->unmapped[tid] = unmapped;
        total->counts[tid] = total->counted[tid] = mapped + unmapped - skipped;
        total->n_records += mapped + unmapped;
    }
    /* What samtools idxstats says: the index's count of them. */
    total->unplaced = hts_idx_get_n_no_coor(in->idx);
    if (rc != 0)
        tally_free(total);
    return rc;
}

/* ---- CRAM: the container headers ------------------------------------------ */

typedef struct {
    const alnfile_t *in;
    idxcount_fetch_fn fetch;
    void *arg;
    int fd;                 /* in->path */
    uint8_t buf[CRAMHDR_USUAL_SIZE * 16];
    int64_t header_bytes, decoded_bytes, n_decoded;
} cramidx_t;

/* The header of the container at off, which the index lists. */
static int read_container_header(cramidx_t *x, int64_t off, cramhdr_t *h)
{
    char what[512];
    snprintf(what, sizeof what, "%s: the container at byte %" PRId64 " (listed by %s)",
             x->in->path, off, x->in->index_path);
    for (size_t n = CRAMHDR_USUAL_SIZE;; n *= 4) {
        if (off + (int64_t)n > x->in->cram_data_end)
            n = (size_t)(x->in->cram_data_end - off);
        int rc = x->fetch ? x->fetch(x->arg, off, off + (int64_t)n) : 0;
        ssize_t got = rc == 0 ? pread(x->fd, x->buf, n, off) : 0;
        if (rc == 0 && got != (ssize_t)n)
            rc = rc_fail_errno(RC_EINPUT, "cannot read %s at byte %" PRId64, x->in->path, off);
        if (rc == 0 && (rc = cramhdr_parse(x->buf, n, x->in->cram_major, what, h)) == 1) {
            x->header_bytes += h->size;
            return 0;
        }
        if (rc < 0)
            return rc;
        if (n * 4 > sizeof x->buf || off + (int64_t)n >= x->in->cram_data_end)
            return rc_fail(RC_EINPUT, "%s is cut short, or not a container", what);
    }
}

/* The container [beg, end) decoded and counted into total. */
static int decode_container(cramidx_t *x, int64_t beg, int64_t end, tally_t *total)
{
    const alnfile_t *in = x->in;
    int rc = x->fetch ? x->fetch(x->arg, beg, end) : 0;
    scan_source_t local = scan_local_source(in->path);
    count_opts_t o = {.check_sorted = 1};
    tally_t t;
    if (rc == 0 && (rc = tally_init(&t, total->n_targets, total->n_counts)) == 0) {
        rc = cramcount_range(in, &local, beg, end, &o, 0, &t);
        if (rc == 0)
            tally_add(total, &t);
        tally_free(&t);
    }
    x->decoded_bytes += end - beg;
    x->n_decoded++;
    return rc;
}

/* The container's reference against the index's entries for it. */
static int check_index_entries(const cramidx_t *x, int64_t off, const cramhdr_t *h)
{
    int64_t first, last;
    crai_range(&x->in->crai, off, off + 1, &first, &last);
    for (int64_t i = first; i < last && h->ref_id != -2; i++)
        if (x->in->crai.e[i].ref_id != h->ref_id)
            return rc_fail(RC_EINPUT, "index %s does not belong to %s: the container at byte %"
                           PRId64 " holds reference id %d, the index says %d", x->in->index_path,
                           x->in->path, off, h->ref_id, x->in->crai.e[i].ref_id);
    return 0;
}

/* Every container the index lists, from its header: its records count in
 * its reference sequence, except in the containers that must be decoded:
 * those of several references (-2), and those whose records start at
 * position 0 (1-based), where records without a position may be that
 * samtools does not count. The containers must follow each other
 * without a gap to the end-of-file container: else the index lists
 * another file's containers, or not all. */
static int cram_run(const alnfile_t *in, idxcount_fetch_fn fetch, void *arg, tally_t *total)
{
    int nref = sam_hdr_nref(in->hdr), rc = tally_init(total, nref, nref);
    if (rc != 0)
        return rc;
    /* A container header says how many records, not how many are unmapped. */
    total->unmapped_unknown = 1;
    cramidx_t *x = calloc(1, sizeof *x);
    if (!x)
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    else if ((x->fd = open(in->path, O_RDONLY)) < 0)
        rc = rc_fail_errno(RC_EINPUT, "cannot open %s", in->path);
    if (x) {
        x->in = in;
        x->fetch = fetch;
        x->arg = arg;
    }
    const crai_t *c = &in->crai;
    int64_t expect = in->cram_data;
    for (int64_t i = 0; rc == 0 && i < c->n_containers; i++) {
        int64_t off = c->containers[i];
        cramhdr_t h;
        if (off != expect)
            rc = rc_fail(RC_EINPUT, "index %s does not belong to %s: a container ends at byte %"
                         PRId64 ", the index lists the next at %" PRId64, in->index_path,
                         in->path, expect, off);
        if (rc == 0 && (rc = read_container_header(x, off, &h)) == 0)
            rc = check_index_entries(x, off, &h);
        if (rc != 0)
            break;
        expect = off + h.size + h.length;
        if (h.ref_id == -2 || (h.ref_id >= 0 && h.start <= 0))
            rc = decode_container(x, off, expect, total);
        else if (h.ref_id >= 0) {
            total->records[h.ref_id] += (uint64_t)h.n_records;
            total->counts[h.ref_id] += (uint64_t)h.n_records;
            total->counted[h.ref_id] += (uint64_t)h.n_records;
            total->n_records += (uint64_t)h.n_records;
        } else {
            total->unplaced += (uint64_t)h.n_records;
            total->n_records += (uint64_t)h.n_records;
        }
    }
    if (rc == 0 && expect != in->cram_data_end)
        rc = rc_fail(RC_EINPUT, "index %s does not belong to %s: its last container ends at byte %"
                     PRId64 ", the data at %" PRId64, in->index_path, in->path, expect,
                     in->cram_data_end);
    if (rc == 0) {
        char b1[16], b2[16];
        log_info("index: %" PRId64 " container headers read (%s), %" PRId64 " containers decoded "
                 "(%s)", c->n_containers, log_bytes((uint64_t)x->header_bytes, b1), x->n_decoded,
                 log_bytes((uint64_t)x->decoded_bytes, b2));
    }
    if (x && x->fd >= 0)
        close(x->fd);
    free(x);
    if (rc != 0)
        tally_free(total);
    return rc;
}

int idxcount_cram_ranges(const alnfile_t *in, int64_t (**ranges)[2], int64_t *n, int64_t *bytes)
{
    const crai_t *c = &in->crai;
    int64_t (*r)[2] = malloc((c->n_containers + 1) * sizeof *r);
    *ranges = r;
    *n = *bytes = 0;
    if (!r)
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (int64_t i = 0; i < c->n_containers; i++) {
        int64_t beg = c->containers[i], end = beg + CRAMHDR_USUAL_SIZE;
        if (end > in->cram_data_end)
            end = in->cram_data_end;
        if (*n > 0 && beg - r[*n - 1][1] < IDXCOUNT_GAP && end - r[*n - 1][0] <= IDXCOUNT_MAX_RANGE)
            r[*n - 1][1] = end > r[*n - 1][1] ? end : r[*n - 1][1];
        else {
            r[*n][0] = beg;
            r[*n][1] = end;
            ++*n;
        }
    }
    for (int64_t i = 0; i < *n; i++)
        *bytes += r[i][1] - r[i][0];
    return 0;
}

int idxcount_run(const alnfile_t *in, idxcount_fetch_fn fetch, void *arg, tally_t *total)
{
    return in->kind == ALNFILE_CRAM ? cram_run(in, fetch, arg, total)
                                    : bam_run(in, fetch, arg, total);
}
