/* report.h -- the report people open in a browser: one self-contained HTML
 * file (inline SVG and style; no script, and nothing fetched from the
 * network) that shows a cohort's samples:
 *
 *   - the dosage of each reference sequence per sample (summary.h): a dot
 *     per sample, or with many samples a box per sequence and dots only for
 *     the samples outside it;
 *   - chrX against chrY dosage, a dot per sample (the usual sex check);
 *   - with bins, each sample's profile along the genome relative to its
 *     median bin; with many samples, the cohort's median and 10th-90th
 *     percentile band and the samples farthest from it;
 *   - a table of every sample's numbers.
 *
 * Every dot carries its sample's name and value as a tooltip (SVG title).
 * Its size does not grow with the number of bins, and only by a table row
 * and a dot or two per sample.
 */
#ifndef RC_REPORT_H
#define RC_REPORT_H

#include <htslib/kstring.h>

#include "filter.h"
#include "summary.h"

/* Samples up to which each is drawn as its own dot, or its own profile;
 * beyond, how many of the samples farthest from the cohort get a profile. */
#define REPORT_MAX_DOTS 60
#define REPORT_MAX_PROFILES 12
#define REPORT_FARTHEST 8

/* What was counted, in words, for the heading: "whole reference
 * sequences", "the N regions of BED" (bed_name) or "bins of S bases (N)",
 * then the filter f in samtools' options, if any. */
void report_counted(const regions_t *r, const char *bed_name, const filter_t *f, char *out,
                    size_t size);

/* Append the report for samples[0..n-1] (laid out by l) to out. counted
 * says in words what was counted ("bins of 1000 bases; -q 20"), for the
 * heading. Returns 0 or RC_EINTERNAL. */
int report_html(const summary_layout_t *l, const summary_t *samples, int n, const char *counted,
                kstring_t *out);

#endif
