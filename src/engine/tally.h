/* tally.h -- what the records of a part (or of a whole file) add up to,
 * and its one serialised form, in which a worker's result crosses the pipe
 * to its parent and a subjob's crosses the platform to the gather step.
 */
#ifndef RC_TALLY_H
#define RC_TALLY_H

#include <stddef.h>
#include <stdint.h>
#include <htslib/kstring.h>

typedef struct {
    int n_targets;
    int64_t n_counts;   /* the regions counted (one per reference sequence by default) */
    uint64_t *counts;   /* per region: what samtools view -c counts */
    uint64_t *records;  /* per tid: every record carrying the tid */
    uint64_t *unmapped; /* per tid: those of them with flag 0x4 (idxstats' unmapped) */
    uint64_t *counted;  /* per tid: what samtools view -c [filters] FILE '{ref}'
                           counts for the whole reference sequence */
    uint64_t unplaced;  /* records with no reference sequence (tid -1) */
    uint64_t n_records; /* records read */
    /* Coordinates of the first and last record read (tid -1 sorts last),
     * to check the order across parts. */
    int first_tid, last_tid;
    int64_t first_pos, last_pos;
    int64_t failed_at;  /* file offset of unreadable data, or -1 */
    int unmapped_unknown; /* 1: unmapped[] is not known (a CRAM counted from
                             its container headers, which do not say) */
} tally_t;

/* Returns 0 or RC_EINTERNAL (out of memory). */
int tally_init(tally_t *t, int n_targets, int64_t n_counts);
void tally_free(tally_t *t);

/* Back to all zeros (to count a part again). */
void tally_reset(tally_t *t);

/* Add part to sum (same sizes); parts must be added in file order, so that
 * the sum's first and last records are right. */
void tally_add(tally_t *sum, const tally_t *part);

/* 1 if (tid2, pos2) comes before (tid1, pos1) in coordinate order. */
int tally_coord_before(int tid2, int64_t pos2, int tid1, int64_t pos1);

/* Append t to out in the serialised form (little-endian, with only the
 * span of counts that are not zero). Returns 0 or RC_EINTERNAL. */
int tally_pack(const tally_t *t, kstring_t *out);

/* Add a serialised tally to sum, as tally_add adds a part (in file order),
 * without keeping it: *ends (may be NULL) gets the part's first and last
 * records and its record count, for the order check across parts (its
 * arrays stay NULL). Its sizes must be sum's. what names it in a message.
 * Returns 0 or RC_EINTERNAL (it is ours: a worker's or a subjob's output). */
int tally_unpack_add(tally_t *sum, const char *data, size_t len, const char *what, tally_t *ends);

/* A serialised tally into t, initialised here for n_targets and n_counts,
 * which it must match. */
int tally_unpack(const char *data, size_t len, int n_targets, int64_t n_counts, const char *what,
                 tally_t *t);

#endif
