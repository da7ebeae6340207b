/* job_publish.c -- upload what a job writes: per sample its count file
 * and idxstats (written when the sample is counted, uploaded once all
 * are), for the cohort the matrix, MultiQC's table and the report; and set
 * the outputs. Every file is kept in ~/out/<output>/, as the platform's
 * own helpers do. See job.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "countfile.h"
#include "dxupload.h"
#include "fdio.h"
#include "job.h"
#include "log.h"
#include "multiqc.h"
#include "rc.h"

/* A file written for upload: where, under what name, into which output. */
struct job_output_file {
    char name[SAMPLE_NAME_MAX + 32];
    char path[SAMPLE_NAME_MAX + 64];
    int multiqc; /* 0: a count file; 1: a MultiQC file */
};

int job_outputs_init(job_outputs_t *out)
{
    *out = (job_outputs_t){.count_files = json_array(), .multiqc = json_array()};
    return out->count_files && out->multiqc ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
}

void job_outputs_free(job_outputs_t *out)
{
    free(out->files);
    json_decref(out->count_files);
    json_decref(out->multiqc);
    *out = (job_outputs_t){0};
}

static json_t *link_to(const char *id) { return json_pack("{s:s}", "$dnanexus_link", id); }

static int append_link(json_t *array, const char *id)
{
    json_t *l = link_to(id);
    return l && json_array_append_new(array, l) == 0 ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
}

/* ~/out/<field>/<name>, its directory made. */
static int out_path(const char *field, const char *name, char *path, size_t size)
{
    snprintf(path, size, "out/%s/%s", field, name);
    return job_make_dirs(path);
}

/* Keep text in ~/out/<field>/<name> and upload it; its id in id[64]. */
static int publish_text(job_t *job, const char *field, const char *name, const kstring_t *text,
                        char id[64])
{
    char path[512];
    int rc = out_path(field, name, path, sizeof path);
    if (rc == 0)
        rc = fdio_save(path, text->s ? text->s : "", text->l);
    if (rc == 0)
        rc = dxupload_file(&job->env, name, "text/plain", text->s ? text->s : "", text->l, id);
    return rc;
}

/* Note a file written for upload. */
static int add_file(job_outputs_t *out, const char *name, const char *path, int multiqc)
{
    if (out->n == out->m) {
        int m = out->m ? 2 * out->m : 16;
        struct job_output_file *f = realloc(out->files, m * sizeof *f);
        if (!f)
            return rc_fail(RC_EINTERNAL, "out of memory");
        out->files = f, out->m = m;
    }
    struct job_output_file *f = &out->files[out->n++];
    *f = (struct job_output_file){.multiqc = multiqc};
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->path, sizeof f->path, "%s", path);
    return 0;
}

int job_write_sample(job_t *job, const char *count_name, const char *sample, const sam_hdr_t *hdr,
                     const regions_t *r, const tally_t *t, job_outputs_t *out)
{
    char path[SAMPLE_NAME_MAX + 64], name[SAMPLE_NAME_MAX + 32];
    fdio_file_t f = {.fd = -1};
    countfile_out_t text = {.file = &f, .threads = job->workers};
    kstring_t stats = {0};
    int rc = out_path("count_files", count_name, path, sizeof path);
    if (rc == 0 && (rc = fdio_begin(&f, path)) == 0 &&
        (rc = countfile_format(r, t->counts, &text, NULL)) == 0 && (rc = fdio_commit(&f)) == 0)
        rc = add_file(out, count_name, path, 0);
    fdio_abort(&f);
    if (rc == 0 && multiqc_has_idxstats(t)) {
        snprintf(name, sizeof name, "%s%s", sample, MULTIQC_IDXSTATS_SUFFIX);
        if ((rc = out_path("multiqc", name, path, sizeof path)) == 0 &&
            (rc = multiqc_idxstats(hdr, t, &stats)) == 0 &&
            (rc = fdio_save(path, stats.s, stats.l)) == 0)
            rc = add_file(out, name, path, 1);
    } else if (rc == 0) {
        log_info("count: no idxstats for %s: a CRAM's container headers do not say which reads "
                 "are unmapped", sample);
    }
    free(text.buf.s);
    free(stats.s);
    return rc;
}

int job_upload_samples(job_t *job, job_outputs_t *out)
{
    const char **paths = malloc((out->n + 1) * sizeof *paths);
    const char **names = malloc((out->n + 1) * sizeof *names);
    char(*ids)[64] = malloc((out->n + 1) * sizeof *ids);
    int rc = paths && names && ids ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < out->n; i++)
        paths[i] = out->files[i].path, names[i] = out->files[i].name;
    if (rc == 0 && out->n)
        log_info("upload: %d count files and idxstats", out->n);
    if (rc == 0)
        rc = job_upload_files(job, out->n, paths, names, "text/plain", ids);
    for (int i = 0; rc == 0 && i < out->n; i++)
        rc = append_link(out->files[i].multiqc ? out->multiqc : out->count_files, ids[i]);
    free(paths);
    free(names);
    free(ids);
    return rc;
}

/* The matrix, written to ~/out/counts_matrix/<name> as it is formatted,
 * then uploaded. */
static int publish_matrix(job_t *job, const cohort_t *c, const char *name, char id[64])
{
    char path[512];
    fdio_file_t f = {.fd = -1};
    countfile_out_t out = {.file = &f};
    int rc = out_path("counts_matrix", name, path, sizeof path);
    if (rc == 0 && (rc = fdio_begin(&f, path)) == 0 && (rc = cohort_matrix(c, &out)) == 0)
        rc = fdio_commit(&f);
    fdio_abort(&f);
    free(out.buf.s);
    const char *paths[] = {path}, *names[] = {name};
    return rc ? rc : job_upload_files(job, 1, paths, names, "text/plain", (char(*)[64])id);
}

int job_publish_cohort(job_t *job, const cohort_t *c, const char *prefix, const char *counted,
                       job_outputs_t *out)
{
    char matrix_name[300], report_name[300], matrix_id[64], report_id[64], table_id[64];
    kstring_t table = {0}, report = {0};
    snprintf(matrix_name, sizeof matrix_name, "%s_counts_matrix.tsv", prefix);
    snprintf(report_name, sizeof report_name, "%s_report.html", prefix);
    log_info("upload: %s, %s and %s (%d sample%s)", matrix_name, MULTIQC_TABLE_NAME, report_name,
             c->n, c->n == 1 ? "" : "s");
    int rc = publish_matrix(job, c, matrix_name, matrix_id);
    if (rc == 0 && (rc = cohort_table(c, &table)) == 0 &&
        (rc = publish_text(job, "multiqc", MULTIQC_TABLE_NAME, &table, table_id)) == 0)
        rc = append_link(out->multiqc, table_id);
    if (rc == 0 && (rc = cohort_report(c, counted, &report)) == 0)
        rc = publish_text(job, "report", report_name, &report, report_id);
    if (rc == 0 && !(job->output = json_pack("{s:o,s:O,s:o,s:O}", "counts_matrix",
                                             link_to(matrix_id), "count_files", out->count_files,
                                             "report", link_to(report_id), "multiqc",
                                             out->multiqc)))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    free(table.s);
    free(report.s);
    return rc;
}

/* <file name without .bam or .cram><suffix>, made safe. */
static void output_name(const char *file_name, const char *suffix, char *out, size_t size)
{
    char stem[256], safe[256];
    snprintf(stem, sizeof stem, "%s", file_name);
    size_t n = strlen(stem);
    if (n > 4 && strcmp(stem + n - 4, ".bam") == 0)
        stem[n - 4] = '\0';
    else if (n > 5 && strcmp(stem + n - 5, ".cram") == 0)
        stem[n - 5] = '\0';
    fdio_safe_name(stem, safe, sizeof safe);
    snprintf(out, size, "%s%s", safe, suffix);
}

int job_publish_single(job_t *job, const job_bam_t *b, const regions_t *r, const char *counted,
                       const tally_t *t)
{
    char count_name[300], tsv_name[300], prefix[300], sample[SAMPLE_NAME_MAX + 1], tsv_id[64];
    const char *file_name = b->bam.file.name;
    output_name(file_name, "_count.txt", count_name, sizeof count_name);
    output_name(file_name, "_counts.tsv", tsv_name, sizeof tsv_name);
    output_name(file_name, "", prefix, sizeof prefix);
    countfile_out_t tsv = {.threads = job->workers};
    cohort_t c;
    job_outputs_t out = {0};
    uint64_t total = 0;
    for (int64_t i = 0; i < r->n; i++)
        total += t->counts[i];
    int rc = cohort_init(&c, b->in.hdr, file_name);
    if (rc == 0 && (rc = cohort_start(&c, r, ".")) == 0 &&
        (rc = cohort_name(&c, b->in.hdr, file_name, sample)) == 0 &&
        (rc = job_outputs_init(&out)) == 0 && (rc = cohort_add(&c, sample, t)) == 0)
        rc = job_write_sample(job, count_name, sample, b->in.hdr, r, t, &out);
    if (rc == 0) {
        log_info("upload: %s and %s (%" PRIu64 " reads in all)", count_name, tsv_name, total);
        rc = job_upload_samples(job, &out);
    }
    if (rc == 0 && (rc = countfile_format_tsv(r, t->counts, &tsv)) == 0)
        rc = publish_text(job, "counts_tsv", tsv_name, &tsv.buf, tsv_id);
    if (rc == 0)
        rc = job_publish_cohort(job, &c, prefix, counted, &out);
    if (rc == 0 && (json_object_set(job->output, "count_file",
                                    json_array_get(out.count_files, 0)) != 0 ||
                    json_object_set_new(job->output, "counts_tsv", link_to(tsv_id)) != 0 ||
                    json_object_set_new(job->output, "total_reads",
                                        json_integer((json_int_t)total)) != 0))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    free(tsv.buf.s);
    job_outputs_free(&out);
    cohort_free(&c);
    return rc;
}
