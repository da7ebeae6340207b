/* regions.h -- what is counted: whole reference sequences (the default),
 * the intervals of a BED file, or fixed-size bins that tile every
 * reference sequence.
 *
 * A region is [beg, end) on one reference sequence, 0-based as in BED; a
 * record counts in it by samtools' rule: the record's span, from its
 * position to bam_endpos, meets the region (sweep.h). Regions come out in
 * output order (the BED file's order; header order for whole sequences and
 * bins), each with a label: its BED name, else chrom:beg-end in samtools'
 * notation (1-based; braces around a name with a colon), else, for a whole
 * sequence, its name.
 *
 * BED regions are kept sorted by (reference, start, end) for the sweep,
 * with the sorted place of each region of the output: 24 bytes per region,
 * plus its name. Bins and whole sequences need nothing per region.
 */
#ifndef RC_REGIONS_H
#define RC_REGIONS_H

#include <stdint.h>
#include <htslib/kstring.h>
#include <htslib/sam.h>

typedef enum {
    REGIONS_WHOLE, /* one region per @SQ: its index is the tid */
    REGIONS_BINS,  /* bins of `bin` bases from the start of each @SQ */
    REGIONS_BED,   /* the intervals of a BED file */
} regions_kind_t;

typedef struct {
    regions_kind_t kind;
    const sam_hdr_t *hdr; /* the BAM's header (not owned) */
    int n_targets;
    int64_t n;            /* regions */
    /* Per tid, its first region (in the order counts are kept: sorted for
     * BED, output order otherwise); first[n_targets] = n. */
    int64_t *first;
    /* REGIONS_BINS: */
    int64_t bin;
    /* REGIONS_BED: per region in sorted order, */
    int64_t *beg, *end;
    /* and per region in output order (the BED file's), */
    uint32_t *sorted;     /* its place in the sorted order */
    uint32_t *name_at;    /* the offset of its name in names, or UINT32_MAX */
    char *names;
    size_t names_len;
    int max_depth;        /* the most regions that overlap at one position */
} regions_t;

/* The most regions (bins or BED lines) regcount takes: 8 bytes of counts
 * each per worker. */
#define REGIONS_MAX 100000000

/* One region per reference sequence of hdr. Returns 0 or RC_EINTERNAL. */
int regions_whole(regions_t *r, const sam_hdr_t *hdr);

/* Bins of size bases tiling each reference sequence from its start (the
 * last bin of a sequence is shorter). RC_EINPUT for a size below 1 or more
 * than REGIONS_MAX bins (the message names the option, what). */
int regions_bins(regions_t *r, const sam_hdr_t *hdr, int64_t size, const char *what);

/* The intervals of the BED file at path (plain or gzip-compressed): three
 * or more tab-separated columns, chrom start end [name ...]; lines that
 * start with '#', "track" or "browser" and empty lines are skipped. Each
 * problem is RC_EINPUT with a message naming the file and the line: a
 * binary file, fewer than 3 columns, a coordinate that is not a whole
 * number >= 0, start > end, a reference sequence not in hdr, no regions.
 * (Empty regions, start = end, are kept: they count nothing.) */
int regions_load_bed(regions_t *r, const sam_hdr_t *hdr, const char *path);

void regions_free(regions_t *r);

/* Where a region lies: its reference and BED coordinates; and, kept for
 * the walk from region to region, the reference's name and length. */
typedef struct {
    int tid;
    int64_t beg, end;
    const char *name; /* sam_hdr_tid2name of tid */
    size_t name_len;
    int64_t len;      /* sam_hdr_tid2len of tid */
    int colon;        /* the name holds a colon: its label needs braces */
} regions_pos_t;

/* Region i (in output order) into *pos. pos->tid is a hint, the tid of the
 * region asked for before (-1 at first): walking the regions in order
 * costs nothing per region. */
void regions_coords(const regions_t *r, int64_t i, regions_pos_t *pos);

/* Append the label of region i (in output order), at *pos (from
 * regions_coords), to out. Returns 0 or RC_EINTERNAL. */
int regions_label(const regions_t *r, int64_t i, const regions_pos_t *pos, kstring_t *out);

/* The length in bytes of that label, without writing it. */
size_t regions_label_len(const regions_t *r, int64_t i, const regions_pos_t *pos);

/* The count of region i (in output order) among counts, kept per region in
 * the order regions_t keeps them (sorted for BED). */
static inline uint64_t regions_count(const regions_t *r, const uint64_t *counts, int64_t i)
{
    return counts[r->kind == REGIONS_BED ? r->sorted[i] : i];
}

/* 1 when every region is a whole reference sequence. */
static inline int regions_whole_refs(const regions_t *r) { return r->kind == REGIONS_WHOLE; }

#endif
