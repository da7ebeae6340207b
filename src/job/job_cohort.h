/* job_cohort.h -- what the cohort's entry points share (job_cohort.c for
 * main, job_cohort_sub.c for count_samples and gather_samples): the files
 * and what to count, the cohort being filled, and the files that failed.
 */
#ifndef RC_JOB_COHORT_H
#define RC_JOB_COHORT_H

#include <htslib/kstring.h>

#include "cohort.h"
#include "job.h"
#include "job_spec.h"

/* More bytes than this are spread over subjobs unless input subjobs says
 * otherwise: about two minutes of streaming each. */
#define COHORT_BYTES_PER_SUBJOB ((int64_t)32 << 30)
#define COHORT_MAX_FILES 100000

typedef struct {
    job_bam_t b;                      /* the file and its index */
    jobio_link_t link;                /* the file's link, as given */
    char name[SAMPLE_NAME_MAX + 1];   /* the sample's */
    char *error;                      /* why it cannot be counted, or NULL */
} job_cohort_file_t;

typedef struct {
    job_cohort_file_t *files;
    int n;
    int64_t bytes;       /* the files' sizes */
    job_spec_t spec;     /* what is counted (regions made for cohort.hdr) */
    job_method_t method;
    cohort_t cohort;     /* once started */
    int started;
    kstring_t failures;  /* the messages of the files that failed, "; " apart */
    int n_failed;
} job_cohort_t;

/* main's inputs: mappings (described) with their indexes, method and
 * spec. Call job_cohort_free afterwards whatever this returns. */
int job_cohort_inputs(job_t *job, job_cohort_t *co);

/* Start co's cohort on the file in (called first): its regions, and with
 * with_matrix (an entry point that publishes) the space for the matrix of
 * n_samples checked, and the report's profiles made. */
int job_cohort_start(job_t *job, job_cohort_t *co, const alnfile_t *in, const char *first,
                     int with_matrix, int n_samples);

/* Open b (after job_check_index) and count it into t: the cohort started
 * on it if it is the first (publishes: for an entry point that writes the
 * outputs), its reference checked. *its_fault tells whether a failure is
 * the file's (then the other files are still counted) or the job's. The
 * caller closes b (job_cohort_close_file). */
int job_cohort_count_one(job_t *job, job_cohort_t *co, job_bam_t *b, int publishes, tally_t *t,
                         int *its_fault);

/* Note a file that failed (its message); then, once all are tried, the
 * AppError that names all of them among n_files. */
int job_cohort_failed(job_cohort_t *co, const char *message);
int job_cohort_report_failures(const job_cohort_t *co, int n_files);

/* Close b's file and remove its local copy (not its description). */
void job_cohort_close_file(job_bam_t *b);

void job_cohort_free(job_cohort_t *co);

/* Copy the inputs every entry point of a cohort reads (method and spec)
 * into a subjob's input. */
int job_cohort_pass_on(const job_t *job, json_t *subjob_input);

#endif
