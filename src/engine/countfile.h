/* countfile.h -- the count file, in the classic format of the tutorial:
 *
 *     Region <label>: <count>      one line per region, in order
 *     Total reads: <sum of the lines>
 *
 * and the same counts as a table for bedtools, IGV or pandas:
 *
 *     #chrom<TAB>start<TAB>end<TAB>name<TAB>count
 *     <one line per region, in the same order, BED coordinates, the label as name>
 *
 * Every line ends with a newline. (Written atomically with fdio_save.) A
 * read in two overlapping regions is in both lines, so in the sum twice.
 */
#ifndef RC_COUNTFILE_H
#define RC_COUNTFILE_H

#include <stdint.h>
#include <htslib/kstring.h>

#include "regions.h"

/* Appends region i's label to label; returns 0 or an error kind. */
typedef int (*countfile_label_fn)(void *arg, int64_t i, kstring_t *label);

/* Append the count file for n regions to out and put the sum in *total
 * (may be NULL). A label must be non-empty and hold no line break or tab,
 * so that each region stays on one line; the sum must not overflow.
 * Returns 0, or RC_EINPUT for such a label or sum. */
int countfile_format_labels(int64_t n, countfile_label_fn label, void *arg,
                            const uint64_t *counts, kstring_t *out, uint64_t *total);

/* The count file for r, counts per region in output order. */
int countfile_format(const regions_t *r, const uint64_t *counts, kstring_t *out,
                     uint64_t *total);

/* The table for r, counts per region in output order. */
int countfile_format_tsv(const regions_t *r, const uint64_t *counts, kstring_t *out);

#endif
