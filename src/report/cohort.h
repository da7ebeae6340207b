/* cohort.h -- the samples of a cohort, counted one after the other, and
 * what is written for all of them together: the matrix (a column of
 * counts per sample), MultiQC's General Statistics table and the report.
 *
 * Each sample added keeps only its summary (summary.h, a few KiB) and,
 * when a matrix is wanted, its column of counts in a temporary file
 * (colstore.h): a thousand samples by three million bins is written row by
 * row, never held in memory. The command and the job use it alike.
 */
#ifndef RC_COHORT_H
#define RC_COHORT_H

#include <htslib/kstring.h>
#include <htslib/sam.h>

#include "colstore.h"
#include "countfile.h"
#include "regions.h"
#include "sample.h"
#include "summary.h"
#include "tally.h"

typedef struct {
    sam_hdr_t *hdr;      /* the cohort's reference: the first file's header, copied */
    char *first;         /* the first file, for messages */
    const regions_t *regions; /* what is counted (cohort_start's) */
    summary_layout_t layout;
    colstore_t columns;  /* the counts, for the matrix (fd -1: none wanted) */
    sample_names_t *names;
    summary_t *samples;
    int n, m;
} cohort_t;

/* A cohort on the reference of the file first (its header hdr). Then the
 * caller makes the regions to count for c->hdr and calls cohort_start.
 * Returns 0 or RC_EINTERNAL; call cohort_free afterwards whatever it
 * returns. */
int cohort_init(cohort_t *c, const sam_hdr_t *hdr, const char *first);

/* Ready to add samples counted for regions (which must outlive c, made
 * for a header with c's reference sequences). With spool_dir, their counts
 * are kept there for the matrix; NULL: no matrix. With profiles, each
 * sample's profile of bins is made, for the report. Returns 0 or an error
 * kind. */
int cohort_start(cohort_t *c, const regions_t *regions, const char *spool_dir, int profiles);

/* RC_EINPUT, naming both files, unless hdr (of the file what) has the
 * cohort's reference sequences (sample_same_reference). */
int cohort_check_reference(const cohort_t *c, const sam_hdr_t *hdr, const char *what);

/* The name of the sample in file_name (header hdr), unique in the cohort
 * so far, into name (SAMPLE_NAME_MAX + 1 bytes). Returns 0 or RC_EINTERNAL. */
int cohort_name(cohort_t *c, const sam_hdr_t *hdr, const char *file_name, char *name);

/* Make name (sample_name's, SAMPLE_NAME_MAX + 1 bytes) unique in the
 * cohort so far, as cohort_name does. Returns 0 or RC_EINTERNAL. */
int cohort_take_name(cohort_t *c, char *name);

/* Add the sample called name (cohort_name's) with its tally (counts as the
 * tally keeps them, for c->regions). Returns 0 or an error kind. */
int cohort_add(cohort_t *c, const char *name, const tally_t *t);

/* The matrix of the samples added (cohort_start with a spool_dir), written
 * to path as it is formatted, atomically. */
int cohort_save_matrix(const cohort_t *c, const char *path);

/* A sample's own files: its count file at count_path (formatted by threads
 * threads) and, with idxstats_path, its idxstats (multiqc.h; only for a
 * tally that knows its unmapped reads), each written atomically. */
int cohort_save_sample(const cohort_t *c, const tally_t *t, int threads, const char *count_path,
                       const char *idxstats_path);

/* MultiQC's General Statistics table (multiqc.h) and the report
 * (report.h; counted says what was counted), appended to out. */
int cohort_table(const cohort_t *c, kstring_t *out);
int cohort_report(const cohort_t *c, const char *counted, kstring_t *out);

void cohort_free(cohort_t *c);

#endif
