/* multiqc.h -- files MultiQC reads (its samtools and custom content
 * modules):
 *
 *   <sample>.idxstats  exactly what samtools idxstats prints: per reference
 *                      sequence its name, length, mapped and unmapped
 *                      records, then "*" with the unplaced ones; computed
 *                      from the records read (the tally), not taken from
 *                      the index
 *   regcount_mqc.tsv   custom content for the General Statistics table: per
 *                      sample the reads on the reference and the dosage of
 *                      chrX, chrY and chrM (summary.h); a cell is empty when
 *                      the header has no such sequence or no autosomes
 */
#ifndef RC_MULTIQC_H
#define RC_MULTIQC_H

#include <htslib/kstring.h>
#include <htslib/sam.h>

#include "summary.h"
#include "tally.h"

#define MULTIQC_TABLE_NAME "regcount_mqc.tsv"
#define MULTIQC_IDXSTATS_SUFFIX ".idxstats"

/* 1 when t can give idxstats: it knows its unmapped records (not a CRAM
 * counted from its container headers). */
static inline int multiqc_has_idxstats(const tally_t *t) { return !t->unmapped_unknown; }

/* Append samtools idxstats' output for the records of t (hdr's references)
 * to out. Returns 0 or RC_EINTERNAL. */
int multiqc_idxstats(const sam_hdr_t *hdr, const tally_t *t, kstring_t *out);

/* Append the General Statistics table of n samples to out. Returns 0 or
 * RC_EINTERNAL. */
int multiqc_table(const summary_t *samples, int n, kstring_t *out);

#endif
