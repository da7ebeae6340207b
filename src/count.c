/* count.c -- the counting engine; see count.h. */
#include "count.h"

#include <stdlib.h>
#include <string.h>
#include <htslib/sam.h>

#include "error.h"
#include "plan.h"

/* How often count_records reports progress, in records (a power of 2). */
#define PROGRESS_EVERY (1u << 16)

int tally_init(tally_t *t, int n_targets)
{
    memset(t, 0, sizeof *t);
    t->n_targets = n_targets;
    t->first_tid = t->last_tid = -1;
    t->reads = calloc(n_targets + 1, sizeof *t->reads);
    t->records = calloc(n_targets + 1, sizeof *t->records);
    if (!t->reads || !t->records) {
        tally_free(t);
        return rc_fail(RC_EINTERNAL, "out of memory for %d reference sequences", n_targets);
    }
    return 0;
}

void tally_free(tally_t *t)
{
    free(t->reads);
    free(t->records);
    t->reads = t->records = NULL;
}

void tally_add(tally_t *sum, const tally_t *part)
{
    for (int i = 0; i < sum->n_targets; i++) {
        sum->reads[i] += part->reads[i];
        sum->records[i] += part->records[i];
    }
    sum->unplaced += part->unplaced;
    sum->n_records += part->n_records;
}

int coord_before(int tid2, int64_t pos2, int tid1, int64_t pos1)
{
    /* As unsigned, tid -1 (no reference) sorts after every reference. */
    if ((uint32_t)tid2 != (uint32_t)tid1)
        return (uint32_t)tid2 < (uint32_t)tid1;
    return pos2 < pos1;
}

/* samtools' rule for a record that carries a reference id. */
static inline int counted(const bam1_t *b)
{
    return b->core.pos >= 0 || bam_endpos(b) > 0;
}

static int read_error(const count_opts_t *o, int r, uint64_t voff)
{
    long long at = o->addr_base + (long long)(voff >> 16);
    if (r == -1)
        return rc_fail(RC_EINPUT, "%s: unexpected end of data near byte %lld", o->path, at);
    if (r == -2)
        return rc_fail(RC_EINPUT, "%s: truncated or corrupt BGZF block near byte %lld", o->path, at);
    return rc_fail(RC_EINPUT, "%s: invalid BAM record near byte %lld (corrupt file)", o->path, at);
}

static int check_record(const count_opts_t *o, const bam1_t *b, const tally_t *t, uint64_t voff)
{
    int tid = b->core.tid;
    if (tid < -1 || tid >= t->n_targets)
        return rc_fail(RC_EINPUT, "%s: record near byte %lld has reference id %d, the header has %d",
                       o->path, o->addr_base + (long long)(voff >> 16), tid, t->n_targets);
    if (o->check_sorted && t->n_records &&
        coord_before(tid, b->core.pos, t->last_tid, t->last_pos))
        return rc_fail(RC_EINPUT,
                       "%s is not sorted by coordinate: record near byte %lld (reference id %d, "
                       "position %lld) comes after reference id %d, position %lld",
                       o->path, o->addr_base + (long long)(voff >> 16), tid,
                       (long long)b->core.pos + 1, t->last_tid, (long long)t->last_pos + 1);
    return 0;
}

/* The first record of a part could not be read where the index says one
 * starts: say what most likely happened. */
static int misplaced_start(const count_opts_t *o, uint64_t voff)
{
    return rc_fail(RC_EINPUT,
                   "%s: no record can be read at byte %lld, where the index says one starts: the "
                   "index does not belong to this BAM, or the BAM is not sorted (or is corrupt there)",
                   o->path, o->addr_base + (long long)(voff >> 16));
}

int count_records(BGZF *fp, const count_opts_t *o, tally_t *t)
{
    bam1_t *b = bam_init1();
    if (!b)
        return rc_fail(RC_EINTERNAL, "out of memory");
    int rc = 0;
    uint64_t voff = bgzf_tell(fp);
    while (voff < o->end) {
        int r = bam_read1(fp, b);
        if (r < 0) {
            if (r != -1 || o->end != PLAN_EOF)
                rc = t->n_records == 0 && o->start_from_index ? misplaced_start(o, voff)
                                                               : read_error(o, r, voff);
            break;
        }
        if ((rc = check_record(o, b, t, voff)) != 0)
            break;
        int tid = b->core.tid;
        if (tid >= 0) {
            t->records[tid]++;
            t->reads[tid] += counted(b);
        } else {
            t->unplaced++;
        }
        if (t->n_records++ == 0) {
            t->first_tid = tid;
            t->first_pos = b->core.pos;
        }
        t->last_tid = tid;
        t->last_pos = b->core.pos;
        voff = bgzf_tell(fp);
        if (o->progress && (t->n_records & (PROGRESS_EVERY - 1)) == 0)
            o->progress(o->progress_arg, voff);
    }
    if (rc == 0 && o->end != PLAN_EOF && voff != o->end)
        rc = rc_fail(RC_EINPUT,
                     "%s: a record crosses the split point at byte %lld: the index does not "
                     "belong to this BAM, or the BAM is not sorted",
                     o->path, o->addr_base + (long long)(o->end >> 16));
    bam_destroy1(b);
    return rc;
}
