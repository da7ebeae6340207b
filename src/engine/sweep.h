/* sweep.h -- count a record into every bin or BED region its span meets,
 * with work per record that does not grow with the number of regions.
 *
 * A record on tid spanning [beg, end) (its position to bam_endpos) meets
 * region [b, e) when end > b and beg < e: samtools' rule for a region
 * query. Bins are found by division. BED regions, sorted by start, are
 * swept: the regions that have started and not ended are kept active (at
 * most regions_t.max_depth of them, so nothing is allocated per record),
 * and those that start inside the record's span are counted from the next
 * one not yet started. Records come in coordinate order within a part; one
 * that goes back (a new part, an unsorted file) restarts the sweep there.
 */
#ifndef RC_SWEEP_H
#define RC_SWEEP_H

#include <stdint.h>

#include "regions.h"

typedef struct {
    const regions_t *r;
    uint64_t *counts;  /* per region, in the order regions_t keeps them */
    int64_t *len;      /* bins: per tid, the sequence's length */
    int tid;           /* BED: the reference being swept (-1: none yet) */
    int64_t last;      /* BED: the last record's position */
    int64_t next;      /* BED: the first region of tid that has not started */
    int64_t stop;      /* BED: the end of tid's regions */
    int64_t *active;   /* BED: the regions that have started and not ended */
    int n_active;
} sweep_t;

/* For r (bins or BED), counting into counts. Returns 0 or RC_EINTERNAL. */
int sweep_init(sweep_t *s, const regions_t *r, uint64_t *counts);
void sweep_free(sweep_t *s);

/* The BED sweep for one record (sweep.c). */
void sweep_bed(sweep_t *s, int tid, int64_t beg, int64_t end);

/* Count a record on tid spanning [beg, end) into the regions it meets. */
static inline void sweep_add(sweep_t *s, int tid, int64_t beg, int64_t end)
{
    if (s->r->kind == REGIONS_BED) {
        sweep_bed(s, tid, beg, end);
        return;
    }
    /* Bins: [k * bin, min((k + 1) * bin, len)) for k from 0. */
    if (end <= 0 || beg >= s->len[tid])
        return;
    int64_t first = s->r->first[tid], n = s->r->first[tid + 1] - first, bin = s->r->bin;
    int64_t b0 = beg > 0 ? beg / bin : 0;
    /* Most reads end in the bin they start in: one division, not two. */
    int64_t b1 = end <= (b0 + 1) * bin ? b0 : (end - 1) / bin;
    if (b1 >= n)
        b1 = n - 1;
    for (int64_t k = b0; k <= b1; k++)
        s->counts[first + k]++;
}

#endif
