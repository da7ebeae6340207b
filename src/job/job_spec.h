/* job_spec.h -- what the job counts, from its inputs: regions (a BED file),
 * bin_size, min_mapq, require_flags, exclude_flags, exclude_all_flags; and
 * how: reference_fasta (with reference_fasta_index), for a CRAM.
 * Every entry point reads the same inputs (main passes them on to its
 * subjobs), so that count_part counts and gather labels the same regions.
 */
#ifndef RC_JOB_SPEC_H
#define RC_JOB_SPEC_H

#include <jansson.h>

#include "filter.h"
#include "job.h"
#include "regions.h"

#define REGIONS_INPUT "regions"
#define REFERENCE_INPUT "reference_fasta"
#define REFERENCE_INDEX_INPUT "reference_fasta_index"

typedef struct {
    job_file_t bed;     /* input regions, when have_bed */
    int have_bed;
    long long bin_size; /* 0: no bins */
    filter_t filter;
    regions_t regions;  /* made for the BAM's header by job_spec_regions */
    job_file_t ref, ref_index; /* a CRAM's reference, when have_ref (and its .fai) */
    int have_ref, have_ref_index;
    const char *reference;     /* the reference's local path, once downloaded */
} job_spec_t;

/* Read and check the inputs (AppError for a bad value, or regions and
 * bin_size together) and describe the BED file. Call job_spec_free()
 * afterwards whatever this returns. */
int job_spec_inputs(job_t *job, job_spec_t *s);

/* Download the BED file (if any) and make the regions for hdr. */
int job_spec_regions(job_t *job, job_spec_t *s, const sam_hdr_t *hdr);

/* For a CRAM (kind_cram), download the reference if one was given, and
 * its .fai next to it (or build the .fai, and the .gzi of a bgzipped
 * FASTA); s->reference then names it. A BAM needs none: nothing is
 * downloaded. */
int job_spec_reference(job_t *job, job_spec_t *s, int kind_cram);

void job_spec_free(job_spec_t *s);

/* 1 when s counts whole reference sequences with no filter (what the index
 * method can count). */
int job_spec_plain(const job_spec_t *s);

/* Read inputs count_method and download_first into m, for what s counts:
 * the index method counts whole reference sequences with no filter only
 * (RC_EINPUT otherwise). */
int job_spec_method(job_t *job, const job_spec_t *s, job_method_t *m);

/* The filter to count with: NULL when there is none. */
const filter_t *job_spec_filter(const job_spec_t *s);

/* What s counts, in words, for the report ("bins of 1000 bases (3088281),
 * -q 20"); its regions must be made. */
void job_spec_describe(const job_spec_t *s, char *out, size_t size);

/* Copy the inputs that make the spec from job's input into a subjob's. */
int job_spec_pass_on(const job_t *job, json_t *subjob_input);

#endif
