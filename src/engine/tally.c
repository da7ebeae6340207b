/* tally.c -- what records add up to; see tally.h. */
#include "tally.h"

#include <stdlib.h>
#include <string.h>
#include <htslib/hts_endian.h>

#include "rc.h"

int tally_init(tally_t *t, int n_targets, int64_t n_counts)
{
    memset(t, 0, sizeof *t);
    t->n_targets = n_targets;
    t->n_counts = n_counts;
    t->first_tid = t->last_tid = -1;
    t->failed_at = -1;
    /* calloc: for millions of regions the pages a part never touches are
     * never backed by memory. */
    t->counts = calloc(n_counts + 1, sizeof *t->counts);
    t->records = calloc(3 * ((size_t)n_targets + 1), sizeof *t->records);
    if (t->records) {
        t->unmapped = t->records + n_targets + 1;
        t->counted = t->unmapped + n_targets + 1;
    }
    if (!t->counts || !t->records) {
        tally_free(t);
        return rc_fail(RC_EINTERNAL, "out of memory for %lld regions", (long long)n_counts);
    }
    return 0;
}

void tally_reset(tally_t *t)
{
    tally_t z = *t;
    memset(z.counts, 0, (z.n_counts + 1) * sizeof *z.counts);
    memset(z.records, 0, 3 * ((size_t)z.n_targets + 1) * sizeof *z.records);
    *t = (tally_t){.n_targets = z.n_targets, .n_counts = z.n_counts, .counts = z.counts,
                   .records = z.records, .unmapped = z.unmapped, .counted = z.counted,
                   .first_tid = -1, .last_tid = -1, .failed_at = -1};
}

void tally_free(tally_t *t)
{
    free(t->counts);
    free(t->records); /* and unmapped and counted, which follow it */
    t->counts = t->records = t->unmapped = t->counted = NULL;
}

/* What tally_add adds besides the arrays. */
static void add_ends(tally_t *sum, const tally_t *part)
{
    sum->unplaced += part->unplaced;
    sum->unmapped_unknown |= part->unmapped_unknown;
    if (part->n_records && !sum->n_records) {
        sum->first_tid = part->first_tid;
        sum->first_pos = part->first_pos;
    }
    if (part->n_records) {
        sum->last_tid = part->last_tid;
        sum->last_pos = part->last_pos;
    }
    sum->n_records += part->n_records;
}

void tally_add(tally_t *sum, const tally_t *part)
{
    for (int64_t i = 0; i < sum->n_counts; i++)
        sum->counts[i] += part->counts[i];
    for (int i = 0; i < sum->n_targets; i++) {
        sum->records[i] += part->records[i];
        sum->unmapped[i] += part->unmapped[i];
        sum->counted[i] += part->counted[i];
    }
    add_ends(sum, part);
}

int tally_coord_before(int tid2, int64_t pos2, int tid1, int64_t pos1)
{
    /* As unsigned, tid -1 (no reference) sorts after every reference. */
    if ((uint32_t)tid2 != (uint32_t)tid1)
        return (uint32_t)tid2 < (uint32_t)tid1;
    return pos2 < pos1;
}

/* ---- the serialised form -------------------------------------------------
 *
 *   "RCT2"                   magic
 *   n_targets, first_tid, last_tid, unmapped_unknown   int32 each
 *   n_counts, first_pos, last_pos             int64 each
 *   unplaced, n_records                       uint64 each
 *   lo, hi                   the counts held: [lo, hi), int64 each
 *   records[n_targets], unmapped[n_targets], counted[n_targets]   uint64 each
 *   counts[lo..hi)           uint64 each
 */

#define MAGIC "RCT2"
#define HEADER_SIZE (4 + 4 * 4 + 7 * 8)
#define PER_TARGET 3 /* records, unmapped, counted */

/* Appends to a buffer made large enough beforehand. */
static uint8_t *put32(uint8_t *p, int32_t v)
{
    i32_to_le(v, p);
    return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
    u64_to_le(v, p);
    return p + 8;
}

int tally_pack(const tally_t *t, kstring_t *out)
{
    int64_t lo = 0, hi = t->n_counts;
    while (lo < hi && t->counts[lo] == 0)
        lo++;
    while (hi > lo && t->counts[hi - 1] == 0)
        hi--;
    size_t size = HEADER_SIZE + 8 * (PER_TARGET * (size_t)t->n_targets + (size_t)(hi - lo));
    if (ks_resize(out, out->l + size + 1) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    uint8_t *p = (uint8_t *)out->s + out->l;
    memcpy(p, MAGIC, 4);
    p += 4;
    int32_t ints[] = {t->n_targets, t->first_tid, t->last_tid, t->unmapped_unknown};
    uint64_t longs[] = {(uint64_t)t->n_counts, (uint64_t)t->first_pos, (uint64_t)t->last_pos,
                        t->unplaced, t->n_records, (uint64_t)lo, (uint64_t)hi};
    for (int i = 0; i < 4; i++)
        p = put32(p, ints[i]);
    for (int i = 0; i < 7; i++)
        p = put64(p, longs[i]);
    const uint64_t *per_target[PER_TARGET] = {t->records, t->unmapped, t->counted};
    for (int k = 0; k < PER_TARGET; k++)
        for (int i = 0; i < t->n_targets; i++)
            p = put64(p, per_target[k][i]);
    for (int64_t i = lo; i < hi; i++)
        p = put64(p, t->counts[i]);
    out->l += size;
    out->s[out->l] = '\0';
    return 0;
}

int tally_unpack_add(tally_t *sum, const char *data, size_t len, const char *what, tally_t *ends)
{
    const uint8_t *p = (const uint8_t *)data;
    if (len < HEADER_SIZE || memcmp(p, MAGIC, 4) != 0)
        return rc_fail(RC_EINTERNAL, "%s is not a tally", what);
    int32_t nt = le_to_i32(p + 4);
    int64_t nc = (int64_t)le_to_u64(p + 20), lo = (int64_t)le_to_u64(p + 60),
            hi = (int64_t)le_to_u64(p + 68);
    if (nt != sum->n_targets || nc != sum->n_counts)
        return rc_fail(RC_EINTERNAL, "%s is for %d references and %lld regions, not %d and %lld",
                       what, nt, (long long)nc, sum->n_targets, (long long)sum->n_counts);
    if (lo < 0 || hi < lo || hi > nc ||
        len != HEADER_SIZE + 8 * (PER_TARGET * (uint64_t)nt + (uint64_t)(hi - lo)))
        return rc_fail(RC_EINTERNAL, "%s is a tally of the wrong size", what);
    tally_t part = {.n_targets = nt, .n_counts = nc, .first_tid = le_to_i32(p + 8),
                    .last_tid = le_to_i32(p + 12), .unmapped_unknown = le_to_i32(p + 16) != 0,
                    .first_pos = (int64_t)le_to_u64(p + 28),
                    .last_pos = (int64_t)le_to_u64(p + 36), .unplaced = le_to_u64(p + 44),
                    .n_records = le_to_u64(p + 52), .failed_at = -1};
    p += HEADER_SIZE;
    uint64_t *per_target[PER_TARGET] = {sum->records, sum->unmapped, sum->counted};
    for (int k = 0; k < PER_TARGET; k++)
        for (int i = 0; i < nt; i++, p += 8)
            per_target[k][i] += le_to_u64(p);
    for (int64_t i = lo; i < hi; i++, p += 8)
        sum->counts[i] += le_to_u64(p);
    add_ends(sum, &part);
    if (ends)
        *ends = part;
    return 0;
}

int tally_unpack(const char *data, size_t len, int n_targets, int64_t n_counts, const char *what,
                 tally_t *t)
{
    int rc = tally_init(t, n_targets, n_counts);
    if (rc == 0 && (rc = tally_unpack_add(t, data, len, what, NULL)) != 0)
        tally_free(t);
    return rc;
}
