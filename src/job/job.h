/* job.h -- what the job's entry points share: the job's state, its input
 * files, and the steps they all take (describe an input, download it or
 * mirror it, count it, publish the count file).
 *
 * The entry points: job_main.c holds main, which counts on this machine;
 * job_scatter.c holds main's scatter over subjobs and the count_part and
 * gather entry points. cmd_job.c sets the job up, dispatches and reports
 * errors.
 */
#ifndef RC_JOB_H
#define RC_JOB_H

#include <stddef.h>
#include <stdint.h>
#include <htslib/kstring.h>
#include <jansson.h>

#include "dx.h"
#include "dxfile.h"
#include "jobio.h"
#include "filter.h"
#include "mirror.h"
#include "regions.h"
#include "tally.h"

#define BAM_INPUT "mappings_sorted_bam"
#define BAI_INPUT "mappings_sorted_bai"

typedef struct {
    const char *home;
    dx_env_t env;
    json_t *input;
    json_t *output;  /* set by the entry point on success */
    /* Settings (cmd_job.c reads them; Readme.developer.md lists them): */
    int workers;     /* worker processes */
    int connections; /* download connections per worker, when streaming */
    size_t chunk;    /* bytes per download request, when streaming */
    double timeout;  /* seconds the count may take; 0: no limit */
    double stall;    /* seconds a worker may go without progress */
} job_t;

/* An input file: its link, its description, and where it goes locally. */
typedef struct {
    const char *field;
    jobio_link_t link;
    dxfile_t file;
    char path[512]; /* relative to the home directory */
} job_file_t;

/* Read input field (a file link; required or not) into in and describe
 * it; *present says whether it was given. The file must be closed. */
int job_input_file(job_t *job, const char *field, int required, job_file_t *in, int *present);

/* The BAM and BAI inputs of an entry point, and the BAM once opened. */
typedef struct {
    job_file_t bam, bai;
    int have_bai;
    mirror_t mirror; /* the BAM's sparse mirror, when it is not downloaded */
    alnfile_t in;
} job_bam_t;

/* Initialise b, then read and describe inputs mappings_sorted_bam and
 * mappings_sorted_bai (required when bai_required). Call job_bam_close()
 * afterwards whatever this returns. */
int job_bam_inputs(job_t *job, int bai_required, job_bam_t *b);

/* Close what b opened and free its descriptions. */
void job_bam_close(job_bam_t *b);

/* The bytes of the small file that link ({"$dnanexus_link": "file-…"})
 * names, into out (a subjob's output; what names it in messages). */
int job_read_small_file(job_t *job, json_t *link, const char *what, kstring_t *out);

/* Download an input (every part's md5 checked) to in->path. */
int job_download_input(job_t *job, job_file_t *in);

/* Fail, as the user's problem, when need bytes do not fit on the disk. */
int job_check_space(const job_t *job, int64_t need);

/* Create the directories of path (relative or absolute). */
int job_make_dirs(const char *path);

/* Download the BAI (if given) and open the BAM into b->in through a sparse
 * mirror at b->bam.path that holds only its header (and its end-of-file
 * marker unless flags has ALNFILE_NO_EOF_CHECK); see mirror.h. */
int job_open_mirrored(job_t *job, job_bam_t *b, int flags);

/* What job_scan counts, and with what. */
typedef struct {
    const regions_t *regions;
    const filter_t *filter; /* NULL: every record */
    const char *reference;  /* a CRAM's reference FASTA, or NULL */
} job_count_t;

/* Count c's regions of b's BAM or CRAM by reading every record with the
 * job's workers: streamed from its download URL, or (local set) from the
 * downloaded file. The whole file, or with range, the virtual offsets
 * [range[0], range[1]). t is initialised here. */
int job_scan(job_t *job, job_bam_t *b, const job_count_t *c, int local, const uint64_t *range,
             tally_t *t);

/* Write the count file and the table for regions (counts as the tally
 * keeps them), keep copies in ~/out/, upload them as <BAM name without
 * .bam>_count.txt and _counts.tsv and set the outputs count_file,
 * counts_tsv and total_reads. */
int job_publish_counts(job_t *job, const char *bam_name, const regions_t *regions,
                       const uint64_t *counts);

/* The entry points. job_main counts on this machine, or hands over to
 * job_scatter when input subjobs is more than 1. */
int job_main(job_t *job);
int job_scatter(job_t *job, int subjobs);
int job_scatter_part(job_t *job);
int job_scatter_gather(job_t *job);

#endif
