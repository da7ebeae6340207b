/* job_spec.h -- what the job counts, from its inputs: regions (a BED file),
 * bin_size, min_mapq, require_flags, exclude_flags, exclude_all_flags.
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

typedef struct {
    job_file_t bed;     /* input regions, when have_bed */
    int have_bed;
    long long bin_size; /* 0: no bins */
    filter_t filter;
    regions_t regions;  /* made for the BAM's header by job_spec_regions */
} job_spec_t;

/* Read and check the inputs (AppError for a bad value, or regions and
 * bin_size together) and describe the BED file. Call job_spec_free()
 * afterwards whatever this returns. */
int job_spec_inputs(job_t *job, job_spec_t *s);

/* Download the BED file (if any) and make the regions for hdr. */
int job_spec_regions(job_t *job, job_spec_t *s, const sam_hdr_t *hdr);

void job_spec_free(job_spec_t *s);

/* 1 when s counts whole reference sequences with no filter (what the index
 * method can count). */
int job_spec_plain(const job_spec_t *s);

/* The filter to count with: NULL when there is none. */
const filter_t *job_spec_filter(const job_spec_t *s);

/* Copy the inputs that make the spec from job's input into a subjob's. */
int job_spec_pass_on(const job_t *job, json_t *subjob_input);

#endif
