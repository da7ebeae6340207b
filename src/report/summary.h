/* summary.h -- what the report and MultiQC show of a sample: the reads it
 * has on the reference, their dosage per reference sequence, and with
 * bins, the profile of its counts along the genome.
 *
 * Dosage, as people derive it from idxstats: the reads per base on a
 * sequence divided by the reads per base on the autosomes (sequences named
 * 1 to 22 or chr1 to chr22), so that chrX is near 1 in an XX sample and
 * near 0.5 in an XY one. The reads of a sequence are those samtools view
 * -c [filters] counts for the whole sequence (tally_t.counted): each read
 * once, whatever regions or bins are counted. A header without autosomes
 * has no dosage for MultiQC; the report then plots reads per base relative
 * to the whole genome, and says so.
 *
 * The profile: the bins in header order, grouped into at most
 * SUMMARY_PROFILE_COLS columns of consecutive bins; each column's reads
 * per base relative to the sample's median bin (the median over the
 * full-size bins that hold reads), so that 1 is the typical bin.
 */
#ifndef RC_SUMMARY_H
#define RC_SUMMARY_H

#include <stdint.h>
#include <htslib/sam.h>

#include "regions.h"
#include "sample.h"
#include "tally.h"

#define SUMMARY_PROFILE_COLS 800
/* The most reference sequences the report plots one by one. */
#define SUMMARY_MAX_PLOT 48

/* What is the same for every sample of a cohort: its header and regions. */
typedef struct {
    const sam_hdr_t *hdr;
    const regions_t *regions;
    int x, y, m;           /* tids of chrX, chrY and chrM (or MT), or -1 */
    int64_t base_len;      /* bases of the autosomes, or of every sequence */
    int *is_base;          /* per tid: 1 for the sequences dosage is relative to */
    int autosomes;         /* 1 when those are autosomes; 0: the whole genome */
    int n_plot;            /* sequences the report plots, in header order */
    int plot[SUMMARY_MAX_PLOT];
    int n_cols;            /* profile columns (bins, when profiles are made; else 0) */
} summary_layout_t;

/* The layout for hdr and regions (both must outlive it); with profiles,
 * the profile of bins is made too (a pass over every bin per sample: only
 * for the report). Returns 0 or RC_EINTERNAL. */
int summary_layout_init(summary_layout_t *l, const sam_hdr_t *hdr, const regions_t *regions,
                        int profiles);
void summary_layout_free(summary_layout_t *l);

/* The bins of profile column c: [*first, *end), in output order. */
void summary_column_bins(const summary_layout_t *l, int c, int64_t *first, int64_t *end);

typedef struct {
    char name[SAMPLE_NAME_MAX + 1];
    uint64_t reads;   /* reads on the reference sequences, each once */
    uint64_t total;   /* the count file's total: the sum of the regions' counts */
    double x, y, m;   /* dosage of chrX, chrY, chrM; NAN when not known */
    float plot[SUMMARY_MAX_PLOT]; /* dosage of each plotted sequence; NAN when not known */
    float *profile;   /* bins: n_cols values (NAN: no bin with reads); else NULL */
} summary_t;

/* The summary of a sample named name from its tally (counts as the tally
 * keeps them). Returns 0 or RC_EINTERNAL. */
int summary_make(const summary_layout_t *l, const char *name, const tally_t *t, summary_t *s);
void summary_free(summary_t *s);

#endif
