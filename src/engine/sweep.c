/* sweep.c -- the sweep over sorted BED regions; see sweep.h. */
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

#include "rc.h"

int sweep_init(sweep_t *s, const regions_t *r, uint64_t *counts)
{
    memset(s, 0, sizeof *s);
    s->r = r;
    s->counts = counts;
    s->tid = -1;
    if (r->kind == REGIONS_BINS) {
        if (!(s->len = malloc((r->n_targets + 1) * sizeof *s->len)))
            return rc_fail(RC_EINTERNAL, "out of memory");
        for (int tid = 0; tid < r->n_targets; tid++)
            s->len[tid] = sam_hdr_tid2len(r->hdr, tid);
    }
    if (r->kind == REGIONS_BED && !(s->active = malloc((r->max_depth + 1) * sizeof *s->active)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    return 0;
}

void sweep_free(sweep_t *s)
{
    free(s->len);
    free(s->active);
    s->len = s->active = NULL;
}

/* Start sweeping tid at position beg: the regions that started before it
 * and have not ended are the active ones. Once per part and reference,
 * for a sorted file. */
static void restart(sweep_t *s, int tid, int64_t beg)
{
    const regions_t *r = s->r;
    int64_t lo = r->first[tid], hi = r->first[tid + 1];
    s->tid = tid;
    s->stop = hi;
    s->n_active = 0;
    while (lo < hi) { /* the first region that starts after beg */
        int64_t mid = lo + (hi - lo) / 2;
        if (r->beg[mid] <= beg)
            lo = mid + 1;
        else
            hi = mid;
    }
    s->next = lo;
    for (int64_t k = r->first[tid]; k < s->next; k++)
        if (r->end[k] > beg)
            s->active[s->n_active++] = k;
}

void sweep_bed(sweep_t *s, int tid, int64_t beg, int64_t end)
{
    if (tid != s->tid || beg < s->last)
        restart(s, tid, beg);
    s->last = beg;
    const int64_t *rb = s->r->beg, *re = s->r->end;
    uint64_t *c = s->counts;
    /* The active regions that have ended are dropped; the others meet the
     * record, which starts inside them. */
    for (int i = 0; i < s->n_active;) {
        int64_t a = s->active[i];
        if (re[a] <= beg) {
            s->active[i] = s->active[--s->n_active];
        } else {
            c[a]++;
            i++;
        }
    }
    /* Regions that start at or before the record become active. */
    while (s->next < s->stop && rb[s->next] <= beg) {
        int64_t k = s->next++;
        if (re[k] > beg) {
            s->active[s->n_active++] = k;
            c[k]++;
        }
    }
    /* Regions that start inside the record's span (empty ones count nothing). */
    for (int64_t k = s->next; k < s->stop && rb[k] < end; k++)
        c[k] += re[k] > rb[k];
}
