/* plan.c -- split a BAM or CRAM into parts of about equal compressed size;
 * see plan.h.
 *
 * Candidates for split points are, in a BAM, the first chunk offsets the
 * index gives for positions sampled along each reference sequence: each one
 * is the start of a record. Sampling is denser where there are more
 * compressed bytes. In a CRAM they are the container starts the CRAI lists.
 * For each of the n-1 target byte offsets the nearest candidate is taken.
 */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htsx.h"
#include "rc.h"

/* Candidates per part: enough to land within a few percent of the target. */
#define SAMPLES_PER_PART 64
/* The BAI's linear index resolution; sampling finer gains nothing. */
#define WINDOW 16384

typedef struct {
    uint64_t voff;
    int tid;
    hts_pos_t pos;
} candidate_t;

typedef struct {
    candidate_t *a;
    size_t n, m;
} candidates_t;

static int add_candidate(candidates_t *c, uint64_t voff, int tid, hts_pos_t pos)
{
    if (c->n == c->m) {
        size_t m = c->m ? 2 * c->m : 1024;
        candidate_t *a = realloc(c->a, m * sizeof *a);
        if (!a)
            return rc_fail(RC_EINTERNAL, "out of memory while planning");
        c->a = a;
        c->m = m;
    }
    c->a[c->n++] = (candidate_t){voff, tid, pos};
    return 0;
}

int plan_tid_range(const hts_idx_t *idx, int tid, uint64_t *beg, uint64_t *end)
{
    return htsx_chunk_range(idx, tid, 0, HTS_POS_MAX, beg, end);
}

/* The offset at which reading must start to see the records at pos. */
static int offset_at(const hts_idx_t *idx, int tid, hts_pos_t pos, uint64_t *voff)
{
    uint64_t last;
    return htsx_chunk_range(idx, tid, pos, pos + 1, voff, &last);
}

/* Candidates from the reference sequences whose records overlap the range
 * [from, to) of virtual offsets. */
static int collect_candidates(const alnfile_t *in, uint64_t from, uint64_t to, uint64_t spacing,
                              candidates_t *c)
{
    int nref = sam_hdr_nref(in->hdr);
    for (int tid = 0; tid < nref; tid++) {
        uint64_t beg, end, voff;
        /* Up to the sequence's length, not HTS_POS_MAX: the query then visits
         * the bins of the sequence, not those of 512 Mbp (most of the plan's
         * time on a human genome). Records placed past the end, if any, only
         * give no candidates; every split point is still a record start. */
        hts_pos_t len = sam_hdr_tid2len(in->hdr, tid);
        if (!htsx_chunk_range(in->idx, tid, 0, len > 0 ? len : HTS_POS_MAX, &beg, &end) ||
            end <= from || beg >= to)
            continue;
        if ((end >> 16) > (uint64_t)in->size)
            return rc_fail(RC_EINPUT, "index %s does not belong to %s: it points past the end of the file",
                           in->index_path, in->path);
        int rc = add_candidate(c, beg, tid, 0);
        if (rc != 0)
            return rc;
        uint64_t samples = ((end >> 16) - (beg >> 16)) / spacing;
        if (samples > (uint64_t)(len / WINDOW))
            samples = len / WINDOW;
        for (uint64_t i = 1; i < samples; i++) {
            hts_pos_t pos = (hts_pos_t)(len * (double)i / samples);
            if (offset_at(in->idx, tid, pos, &voff) && voff > beg && voff < end &&
                (rc = add_candidate(c, voff, tid, pos)) != 0)
                return rc;
        }
    }
    return 0;
}

/* A CRAM's candidates: its containers in [from, to), where the CRAI says
 * they start, with the reference and position of their first slice. */
static int cram_candidates(const alnfile_t *in, uint64_t from, uint64_t to, candidates_t *c)
{
    const crai_t *x = &in->crai;
    int64_t e = 0;
    for (int64_t i = 0; i < x->n_containers; i++) {
        uint64_t voff = (uint64_t)x->containers[i] << 16;
        while (e < x->n && x->e[e].container < x->containers[i])
            e++;
        int rc = voff >= from && voff < to
                     ? add_candidate(c, voff, x->e[e].ref_id, x->e[e].start - 1) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Where a CRAM's trailing containers of unplaced reads (reference id -1
 * only) start, as a virtual offset; the end of its data if there are none. */
static uint64_t cram_unplaced_start(const alnfile_t *in)
{
    const crai_t *x = &in->crai;
    int64_t i = x->n;
    while (i > 0 && x->e[i - 1].ref_id == -1)
        i--;
    /* The container of e[i] holds unplaced reads only if none of its
     * entries came before i. */
    while (i < x->n && i > 0 && x->e[i - 1].container == x->e[i].container)
        i++;
    int64_t off = i < x->n ? x->e[i].container : in->cram_data_end;
    return (uint64_t)off << 16;
}

static int by_voff(const void *a, const void *b)
{
    uint64_t x = ((const candidate_t *)a)->voff, y = ((const candidate_t *)b)->voff;
    return x < y ? -1 : x > y;
}

/* The candidate whose block address is nearest to target, searching from
 * *from on (the choices must increase). */
static size_t nearest(const candidates_t *c, size_t from, uint64_t target)
{
    size_t best = from;
    for (size_t i = from; i < c->n; i++) {
        uint64_t a = c->a[i].voff >> 16;
        uint64_t d = a > target ? a - target : target - a;
        uint64_t b = c->a[best].voff >> 16;
        if (d < (b > target ? b - target : target - b))
            best = i;
        if (a > target)
            break;
    }
    return best;
}

static int one_part(plan_t *plan, uint64_t beg, uint64_t end)
{
    plan->parts = calloc(1, sizeof *plan->parts);
    if (!plan->parts)
        return rc_fail(RC_EINTERNAL, "out of memory while planning");
    plan->n = 1;
    plan->parts[0] = (plan_part_t){beg, end, 0, 0};
    return 0;
}

int plan_make(const alnfile_t *in, int n_parts, int flags, plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->file_size = in->size;
    int unplaced = flags & PLAN_WITH_UNPLACED;
    if (in->kind == ALNFILE_CRAM)
        return plan_make_range(in, n_parts, in->data_voff,
                               in->crai.n && !unplaced ? cram_unplaced_start(in)
                                                       : ALNFILE_CRAM_END(in), plan);
    if (!in->idx)
        return one_part(plan, in->data_voff, ALNFILE_VOFF_END);
    uint64_t end = unplaced ? ALNFILE_VOFF_END : htsx_unplaced_start(in->idx);
    if (end != ALNFILE_VOFF_END && (end >> 16) > (uint64_t)in->size)
        return rc_fail(RC_EINPUT, "index %s does not belong to %s: it points past the end of the file",
                       in->index_path, in->path);
    if (end < in->data_voff)
        end = in->data_voff; /* only unplaced reads: nothing to count */
    return plan_make_range(in, n_parts, in->data_voff, end, plan);
}

int plan_make_range(const alnfile_t *in, int n_parts, uint64_t beg, uint64_t end, plan_t *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->file_size = in->size;
    int cram = in->kind == ALNFILE_CRAM;
    plan->skips_unplaced = cram ? end < ALNFILE_CRAM_END(in) : end != ALNFILE_VOFF_END;
    uint64_t first = beg >> 16;
    uint64_t last = end == ALNFILE_VOFF_END ? (uint64_t)in->size : end >> 16;
    if (n_parts <= 1 || last <= first || (cram && !in->crai.n))
        return one_part(plan, beg, end);

    uint64_t spacing = (last - first) / ((uint64_t)n_parts * SAMPLES_PER_PART) + 1;
    candidates_t c = {0};
    int rc = cram ? cram_candidates(in, beg, end, &c) : collect_candidates(in, beg, end, spacing, &c);
    if (rc != 0) {
        free(c.a);
        return rc;
    }
    if (c.n > 1) /* qsort wants a non-NULL array, even an empty one */
        qsort(c.a, c.n, sizeof *c.a, by_voff);

    plan->parts = calloc(n_parts, sizeof *plan->parts);
    if (!plan->parts) {
        free(c.a);
        return rc_fail(RC_EINTERNAL, "out of memory while planning");
    }
    plan_part_t *p = &plan->parts[0];
    *p = (plan_part_t){beg, end, 0, 0};
    size_t from = 0;
    for (int k = 1; k < n_parts && from < c.n; k++) {
        uint64_t target = first + (last - first) * k / n_parts;
        size_t i = nearest(&c, from, target);
        candidate_t *best = &c.a[i];
        from = i + 1;
        if (best->voff <= p->beg || (end != ALNFILE_VOFF_END && best->voff >= end))
            continue;
        p->end = best->voff;
        p++;
        *p = (plan_part_t){best->voff, end, best->tid, best->pos};
    }
    plan->n = (int)(p - plan->parts) + 1;
    free(c.a);
    return 0;
}

void plan_free(plan_t *plan)
{
    free(plan->parts);
    plan->parts = NULL;
    plan->n = 0;
}

int64_t plan_part_bytes(const plan_t *plan, int i)
{
    const plan_part_t *p = &plan->parts[i];
    int64_t end = p->end == ALNFILE_VOFF_END ? plan->file_size : (int64_t)(p->end >> 16);
    return end - (int64_t)(p->beg >> 16);
}

const char *plan_describe(const plan_t *plan, int i, const sam_hdr_t *hdr, char buf[256])
{
    const plan_part_t *p = &plan->parts[i];
    int64_t beg = p->beg >> 16, end = beg + plan_part_bytes(plan, i);
    const char *name = p->tid < sam_hdr_nref(hdr) ? sam_hdr_tid2name(hdr, p->tid) : NULL;
    if (name)
        snprintf(buf, 256, "part %d of %d: bytes %lld-%lld, from position %lld of %.100s", i + 1,
                 plan->n, (long long)beg, (long long)end, (long long)p->pos + 1, name);
    else
        snprintf(buf, 256, "part %d of %d: bytes %lld-%lld", i + 1, plan->n, (long long)beg,
                 (long long)end);
    return buf;
}

double plan_balance(const plan_t *plan)
{
    int64_t total = 0, largest = 0;
    for (int i = 0; i < plan->n; i++) {
        int64_t b = plan_part_bytes(plan, i);
        total += b;
        if (b > largest)
            largest = b;
    }
    return total > 0 ? (double)largest * plan->n / total : 1.0;
}
