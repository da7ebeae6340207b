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
 * and, for several samples, that table with a column of counts per sample
 * (the matrix). Every line ends with a newline. (Written atomically.) A
 * read in two overlapping regions is in both lines, so in the sum twice.
 */
#ifndef RC_COUNTFILE_H
#define RC_COUNTFILE_H

#include <stdint.h>
#include <htslib/kstring.h>

#include "fdio.h"
#include "regions.h"

/* Appends region i's label to label; returns 0 or an error kind. */
typedef int (*countfile_label_fn)(void *arg, int64_t i, kstring_t *label);

/* Where the text goes: appended to buf, or with a file, written into it
 * from offset at on as it is formatted, a MiB at a time (not held whole in
 * memory). */
typedef struct {
    kstring_t buf;
    fdio_file_t *file; /* NULL: buf holds the text */
    int64_t at;        /* with a file: where the next byte goes */
    int threads;       /* countfile_format and _tsv: format this many slices at once */
} countfile_out_t;

/* Append the count file for n regions (their labels from label, counts[i]
 * each) to out and put the sum in *total (may be NULL). A label must be
 * non-empty and hold no line break, tab or NUL, so that each region stays
 * on one line; the sum must not overflow. Returns 0, or RC_EINPUT for such
 * a label or sum (out then holds a partial file). */
int countfile_format_labels(int64_t n, countfile_label_fn label, void *arg,
                            const uint64_t *counts, countfile_out_t *out, uint64_t *total);

/* The count file for r, counts per region as the tally keeps them. */
int countfile_format(const regions_t *r, const uint64_t *counts, countfile_out_t *out,
                     uint64_t *total);

/* The table for r, counts per region as the tally keeps them. */
int countfile_format_tsv(const regions_t *r, const uint64_t *counts, countfile_out_t *out);

/* The count file (table 0) or the table (1) of r, formatted by threads
 * threads into f, which is begun here for path (fdio.h) and left for the
 * caller to commit (or abort, also after a failure). */
int countfile_begin(fdio_file_t *f, const char *path, int table, const regions_t *r,
                    const uint64_t *counts, int threads);

/* countfile_begin, committed: path holds all of it or is as it was. */
int countfile_save(const char *path, int table, const regions_t *r, const uint64_t *counts,
                   int threads);

/* Fill out[0 .. n * n_cols - 1] with the counts of rows [row, row + n) (in
 * output order), row-major. Returns 0 or an error kind. */
typedef int (*countfile_rows_fn)(void *arg, int64_t row, int64_t n, uint64_t *out);

/* The matrix of several samples' counts for r, the table with a column per
 * sample:
 *
 *     #chrom<TAB>start<TAB>end<TAB>name<TAB><names[0]><TAB><names[1]>...
 *
 * then a line per region in output order, its counts from rows, read a
 * block of rows at a time (so that the matrix is never held whole). */
int countfile_format_matrix(const regions_t *r, int n_cols, char *const *names,
                            countfile_rows_fn rows, void *arg, countfile_out_t *out);

#endif
