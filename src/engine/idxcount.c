/* idxcount.c -- counts from the index; see idxcount.h. */
#include "idxcount.h"

#include "plan.h"
#include "rc.h"
#include "scan.h"

/* Compressed bytes read at the start of a reference sequence at first: a
 * record starting in the first block ends by the second. */
#define FIRST_WINDOW (2 * 65536)
#define MAX_WINDOW (64 << 20)

/* Records at the start of tid (from beg) that samtools does not count. */
static int unpositioned(const bamfile_t *in, int tid, uint64_t beg, idxcount_fetch_fn fetch,
                        void *arg, uint64_t *skipped)
{
    scan_source_t local = scan_local_source(in->path);
    count_opts_t o = {.path = in->path, .end = BAMFILE_VOFF_END};
    for (int64_t window = FIRST_WINDOW;; window *= 4) {
        int rc = fetch ? fetch(arg, (int64_t)(beg >> 16), (int64_t)(beg >> 16) + window) : 0;
        if (rc != 0)
            return rc;
        scan_input_t s;
        rc = local.open(&local, beg, BAMFILE_VOFF_END, &s);
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

int idxcount_run(const bamfile_t *in, idxcount_fetch_fn fetch, void *arg, tally_t *total)
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
        total->counts[tid] = mapped + unmapped - skipped;
        total->n_records += mapped + unmapped;
    }
    if (rc != 0)
        tally_free(total);
    return rc;
}
