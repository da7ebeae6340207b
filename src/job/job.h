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
#include "cohort.h"
#include "jobio.h"
#include "filter.h"
#include "mirror.h"
#include "regions.h"
#include "tally.h"

#define BAM_INPUT "mappings_sorted_bam"
#define BAI_INPUT "mappings_sorted_bai"
#define COHORT_INPUT "mappings"
#define COHORT_INDEX_INPUT "indexes"
/* The most subjobs a job starts. */
#define JOB_MAX_SUBJOBS 1000

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
    char what[64];  /* the input, for messages: "regions", "mappings[3]" */
    jobio_link_t link;
    dxfile_t file;
    char path[512]; /* relative to the home directory */
} job_file_t;

/* Read input field (a file link; required or not) into in and describe
 * it; *present says whether it was given. The file must be closed. */
int job_input_file(job_t *job, const char *field, int required, job_file_t *in, int *present);

/* Describe the file link names (an input, called what in messages) into
 * in, to be kept locally in the directory dir. The file must be closed. */
int job_describe_input(job_t *job, const char *what, const jobio_link_t *link, const char *dir,
                       job_file_t *in);

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

/* Serialised tallies (tally_pack) into a subjob's output *out: inline when
 * small, else uploaded as a file called name. */
int job_packed_output(job_t *job, const kstring_t *packed, const char *name, json_t **out);

/* Serialised tallies as such an output's inline form ({"tally": base64});
 * NULL when out of memory. */
json_t *job_packed_inline(const kstring_t *packed);

/* The serialised tallies of such an output (what names it in messages),
 * appended to packed. */
int job_packed_input(job_t *job, json_t *counts, const char *what, kstring_t *packed);

/* {"$dnanexus_link": id}, and a job-based reference to field of job_id's
 * output (NULL when out of memory). */
json_t *job_link(const char *id);
json_t *job_jbor(const char *job_id, const char *field);

/* The outputs of every run, one file or many (job_publish_cohort). */
#define JOB_COHORT_OUTPUTS "counts_matrix", "count_files", "report", "multiqc"

/* Set job->output to a job-based reference to each of fields (NULL-
 * terminated) of subjob job_id's output: main hands them on as its own. */
int job_output_refs(job_t *job, const char *job_id, const char *const *fields);

/* POST /job/new: start a subjob at entry point function with input (not
 * taken), called name; its id in id[64]. A nonce makes a retried call
 * return the same job. */
int job_new_subjob(job_t *job, const char *function, const char *name, json_t *input, char id[64]);

/* Platform calls made at once: each a round trip or a few, which overlap. */
#define JOB_THREADS 8

/* Run run(arg, item, job) for items 0..n-1, JOB_THREADS at a time, each
 * thread with its own copy of job (the same settings and inputs, a
 * connection of its own). Returns 0, or the first failure (whose message
 * is then this thread's); the items under way finish, no more start. */
typedef int (*job_item_fn)(void *arg, int64_t item, job_t *job);
int job_for_each(job_t *job, int64_t n, job_item_fn run, void *arg);

/* A local file to upload: where it is, the name it gets, its id once
 * uploaded, and a tag for the caller (which output it goes to, say). */
typedef struct {
    char path[512];
    char name[256];
    char id[64];
    int tag;
} job_upload_t;

/* Upload the n files (written already) as new files of MIME type media (or
 * NULL), several at once, and set their ids. */
int job_upload_files(job_t *job, int n, job_upload_t *files, const char *media);

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

/* ---- publishing (job_publish.c) ---- */

/* What an entry point publishes, gathered as it goes: each sample's count
 * file and idxstats are written to ~/out/ when the sample is counted, then
 * the cohort's files, and all are uploaded together at the end, several
 * at once: nothing is uploaded for a job that fails. */
typedef struct {
    job_upload_t *files; /* written, to be uploaded; tag: the output */
    int n, m;
} job_outputs_t;

void job_outputs_free(job_outputs_t *out);

/* Write a sample's count file, called count_name, and its idxstats
 * (<sample>.idxstats; not for a CRAM counted from its container headers,
 * which do not tell unmapped reads apart) for c's regions into ~/out/, for
 * job_publish_cohort to upload. */
int job_write_sample(job_t *job, const cohort_t *c, const char *count_name, const char *sample,
                     const tally_t *t, job_outputs_t *out);

/* Write what is written for the whole cohort (prefix_counts_matrix.tsv,
 * regcount_mqc.tsv, prefix_report.html; counted says what was counted, for
 * the report), upload it with every file out holds, and set job->output:
 * counts_matrix, count_files (in the order written), report and multiqc
 * (the idxstats, then the table), and counts_tsv if one was written. */
int job_publish_cohort(job_t *job, const cohort_t *c, const char *prefix, const char *counted,
                       job_outputs_t *out);

/* One file's outputs: its count file and table (<file name without
 * .bam/.cram>_count.txt and _counts.tsv, outputs count_file, counts_tsv
 * and total_reads) and those of a cohort of one. */
int job_publish_single(job_t *job, const job_bam_t *b, const regions_t *r, const char *counted,
                       const tally_t *t);

/* How main counts: inputs count_method and download_first. */
typedef struct {
    int from_index;     /* count_method "index" */
    int download_first; /* download the file and check its md5 first */
} job_method_t;

/* RC_EINPUT when m is the index method and b was given no index (in input
 * index_input, named in the message). */
int job_check_index(const job_bam_t *b, const job_method_t *m, const char *index_input);

/* Open b's file for m: downloaded whole (then its index), or through its
 * sparse mirror (job_open_mirrored). */
int job_open_input(job_t *job, job_bam_t *b, const job_method_t *m);

/* Count b's file (opened by job_open_input) by m: from its index (which
 * job_check_index has made sure of), or by scanning it for c (job_scan). A CRAM counted
 * from its index in a stream first fetches its container headers, or
 * scans when streaming would take less time. t is initialised here. */
int job_count_input(job_t *job, job_bam_t *b, const job_method_t *m, const job_count_t *c,
                    tally_t *t);

/* The entry points. job_main counts on this machine, or hands over to
 * job_scatter when input subjobs is more than 1. */
int job_main(job_t *job);
int job_scatter(job_t *job, int subjobs);
int job_scatter_part(job_t *job);
int job_scatter_gather(job_t *job);

/* Many files (input mappings, with indexes): counted here, or with subjobs
 * (0: as many as their size calls for) over count_samples subjobs whose
 * counts gather_samples puts together (job_cohort.c). */
int job_cohort(job_t *job, int subjobs);
int job_cohort_count(job_t *job);
int job_cohort_gather(job_t *job);

#endif
