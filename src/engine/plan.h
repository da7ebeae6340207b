/* plan.h -- split a BAM or CRAM into parts of about equal compressed size.
 *
 * A part is a range of virtual offsets [beg, end) that starts and ends at
 * record starts, so that reading every part counts each record exactly once
 * whatever reference sequence it belongs to. Split points come from the
 * index (a BAI's chunk starts, a CRAI's containers), so a large reference
 * sequence can be split into several parts and many small ones can share
 * one. In a CRAM a part is whole containers, and its virtual offsets are
 * byte offsets shifted left by 16, as a BAM's block addresses are.
 */
#ifndef RC_PLAN_H
#define RC_PLAN_H

#include <stdint.h>
#include <htslib/sam.h>

#include "alnfile.h"

typedef struct {
    uint64_t beg, end; /* virtual offsets; end may be ALNFILE_VOFF_END */
    int tid;           /* where the part starts, roughly, for messages */
    hts_pos_t pos;
} plan_part_t;

typedef struct {
    int n;
    plan_part_t *parts;
    int64_t file_size;
    /* Set when the parts stop where the index says the placed reads end;
     * the unplaced unmapped reads after that point are not read. */
    int skips_unplaced;
} plan_t;

/* Plan n_parts parts for in: its placed reads, from the first record to
 * where the index says the unplaced unmapped reads start (in a CRAM, the
 * containers that hold only those); with flags PLAN_WITH_UNPLACED, to the
 * end of the data (idxstats counts the unplaced reads). Without an index
 * there is one part, the whole file. Fewer parts than asked come back when
 * the file is too small to split. Returns 0, or RC_EINPUT when the index
 * points outside the file. */
int plan_make(const alnfile_t *in, int n_parts, int flags, plan_t *plan);

enum { PLAN_WITH_UNPLACED = 1 };

/* Plan n_parts parts of the range [beg, end) of virtual offsets, which
 * must start and end at record starts (a part of a plan made elsewhere).
 * Needs the index. */
int plan_make_range(const alnfile_t *in, int n_parts, uint64_t beg, uint64_t end, plan_t *plan);

void plan_free(plan_t *plan);

/* Compressed bytes in a part. */
int64_t plan_part_bytes(const plan_t *plan, int i);

/* "bytes A-B, from chr2:150001" for messages; buf must hold 256 bytes. */
const char *plan_describe(const plan_t *plan, int i, const sam_hdr_t *hdr, char buf[256]);

/* The first and last virtual offsets of reference sequence tid's records,
 * per the index. Returns 1, or 0 when the index has none for tid. */
int plan_tid_range(const hts_idx_t *idx, int tid, uint64_t *beg, uint64_t *end);

/* The largest part's compressed size over the mean. */
double plan_balance(const plan_t *plan);

#endif
