/* job_publish.c -- upload what a job writes: per sample its count file
 * and idxstats (written when the sample is counted, uploaded once all
 * are), for the cohort the matrix, MultiQC's table and the report; and set
 * the outputs. Every file is kept in ~/out/<output>/, as the platform's
 * own helpers do. See job.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/hts.h>

#include "countfile.h"
#include "fdio.h"
#include "job.h"
#include "log.h"
#include "multiqc.h"
#include "rc.h"

/* The outputs a file goes to (job_upload_t.tag). */
enum { OUT_COUNT_FILES, OUT_MULTIQC, OUT_MATRIX, OUT_REPORT, OUT_TSV, N_OUTPUTS };
static const char *const OUTPUT_FIELD[N_OUTPUTS] = {"count_files", "multiqc", "counts_matrix",
                                                    "report", "counts_tsv"};

void job_outputs_free(job_outputs_t *out)
{
    free(out->files);
    *out = (job_outputs_t){0};
}

static json_t *link_to(const char *id) { return json_pack("{s:s}", "$dnanexus_link", id); }

/* A new file called name for output: its path in ~/out/<output>/ (its
 * directory made) into path[512], and the file noted for upload. */
static int new_file(job_outputs_t *out, int output, const char *name, char *path)
{
    if (hts_resize(job_upload_t, out->n + 1, &out->m, &out->files, 0) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    job_upload_t *f = &out->files[out->n++];
    *f = (job_upload_t){.tag = output};
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->path, sizeof f->path, "out/%s/%s", OUTPUT_FIELD[output], name);
    snprintf(path, sizeof f->path, "%s", f->path);
    return job_make_dirs(path);
}

/* text into ~/out/ as name, for output. */
static int write_text(job_outputs_t *out, int output, const char *name, const kstring_t *text)
{
    char path[512];
    int rc = new_file(out, output, name, path);
    return rc ? rc : fdio_save(path, text->s ? text->s : "", text->l);
}

int job_write_sample(job_t *job, const cohort_t *c, const char *count_name, const char *sample,
                     const tally_t *t, job_outputs_t *out)
{
    char count_path[512], idxstats_path[512], name[SAMPLE_NAME_MAX + 32];
    int idxstats = multiqc_has_idxstats(t);
    snprintf(name, sizeof name, "%s%s", sample, MULTIQC_IDXSTATS_SUFFIX);
    int rc = new_file(out, OUT_COUNT_FILES, count_name, count_path);
    if (rc == 0 && idxstats)
        rc = new_file(out, OUT_MULTIQC, name, idxstats_path);
    else if (rc == 0)
        log_info("count: no idxstats for %s: a CRAM's container headers do not say which reads "
                 "are unmapped", sample);
    return rc ? rc : cohort_save_sample(c, t, job->workers, count_path,
                                        idxstats ? idxstats_path : NULL);
}

/* Upload every file written, several at once, and set the outputs: the
 * arrays in the order written (count files, then MultiQC's), the others
 * as single links. */
static int upload_all(job_t *job, job_outputs_t *out)
{
    json_t *arrays[2] = {json_array(), json_array()};
    int rc = arrays[0] && arrays[1] && (job->output = json_object())
                 ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0) {
        log_info("upload: %d files, %d at once", out->n, out->n < JOB_THREADS ? out->n : JOB_THREADS);
        rc = job_upload_files(job, out->n, out->files, "text/plain");
    }
    for (int i = 0; rc == 0 && i < out->n; i++) {
        int o = out->files[i].tag;
        json_t *link = link_to(out->files[i].id);
        if (!link || (o <= OUT_MULTIQC ? json_array_append_new(arrays[o], link)
                                       : json_object_set_new(job->output, OUTPUT_FIELD[o], link)))
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    }
    for (int o = OUT_COUNT_FILES; o <= OUT_MULTIQC; o++)
        if (rc == 0 && json_object_set(job->output, OUTPUT_FIELD[o], arrays[o]) != 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    json_decref(arrays[0]);
    json_decref(arrays[1]);
    return rc;
}

int job_publish_cohort(job_t *job, const cohort_t *c, const char *prefix, const char *counted,
                       job_outputs_t *out)
{
    char matrix_name[300], report_name[300];
    kstring_t table = {0}, report = {0};
    snprintf(matrix_name, sizeof matrix_name, "%s_counts_matrix.tsv", prefix);
    snprintf(report_name, sizeof report_name, "%s_report.html", prefix);
    char path[512];
    int rc = new_file(out, OUT_MATRIX, matrix_name, path);
    if (rc == 0)
        rc = cohort_save_matrix(c, path); /* as it is formatted: it may outgrow memory */
    if (rc == 0 && (rc = cohort_table(c, &table)) == 0)
        rc = write_text(out, OUT_MULTIQC, MULTIQC_TABLE_NAME, &table);
    if (rc == 0 && (rc = cohort_report(c, counted, &report)) == 0)
        rc = write_text(out, OUT_REPORT, report_name, &report);
    if (rc == 0)
        rc = upload_all(job, out);
    free(table.s);
    free(report.s);
    return rc;
}

int job_publish_single(job_t *job, const job_bam_t *b, const regions_t *r, const char *counted,
                       const tally_t *t)
{
    char count_name[300], tsv_name[300], prefix[256], sample[SAMPLE_NAME_MAX + 1];
    const char *file_name = b->bam.file.name;
    sample_file_stem(file_name, prefix, sizeof prefix);
    snprintf(count_name, sizeof count_name, "%s_count.txt", prefix);
    snprintf(tsv_name, sizeof tsv_name, "%s_counts.tsv", prefix);
    cohort_t c;
    job_outputs_t out = {0};
    uint64_t total = 0;
    for (int64_t i = 0; i < r->n; i++)
        total += t->counts[i];
    int rc = cohort_init(&c, b->in.hdr, file_name);
    if (rc == 0 && (rc = cohort_start(&c, r, ".", 1)) == 0 &&
        (rc = cohort_name(&c, b->in.hdr, file_name, sample)) == 0 &&
        (rc = cohort_add(&c, sample, t)) == 0)
        rc = job_write_sample(job, &c, count_name, sample, t, &out);
    char tsv_path[512];
    if (rc == 0 && (rc = new_file(&out, OUT_TSV, tsv_name, tsv_path)) == 0)
        rc = countfile_save(tsv_path, 1, r, t->counts, job->workers);
    if (rc == 0) {
        log_info("upload: %s and %s (%" PRIu64 " reads in all), and the cohort's files",
                 count_name, tsv_name, total);
        rc = job_publish_cohort(job, &c, prefix, counted, &out);
    }
    if (rc == 0 && (json_object_set(job->output, "count_file",
                                    json_array_get(json_object_get(job->output, "count_files"),
                                                   0)) != 0 ||
                    json_object_set_new(job->output, "total_reads",
                                        json_integer((json_int_t)total)) != 0))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    job_outputs_free(&out);
    cohort_free(&c);
    return rc;
}
