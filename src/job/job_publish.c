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
#include "fdio.h"
#include "job.h"
#include "log.h"
#include "multiqc.h"
#include "rc.h"

/* A file written for upload: where, under what name, into which output. */
/* The outputs a file goes to. */
enum { OUT_COUNT_FILES, OUT_MULTIQC, OUT_MATRIX, OUT_REPORT, OUT_TSV, N_OUTPUTS };
static const char *const OUTPUT_FIELD[N_OUTPUTS] = {"count_files", "multiqc", "counts_matrix",
                                                    "report", "counts_tsv"};

/* A file written for upload: where, under what name, into which output. */
struct job_output_file {
    char name[SAMPLE_NAME_MAX + 32];
    char path[SAMPLE_NAME_MAX + 64];
    int output; /* OUT_* */
};

void job_outputs_free(job_outputs_t *out)
{
    free(out->files);
    *out = (job_outputs_t){0};
}

static json_t *link_to(const char *id) { return json_pack("{s:s}", "$dnanexus_link", id); }

/* Note a file written for upload into output. */
static int add_file(job_outputs_t *out, const char *name, const char *path, int output)
{
    if (out->n == out->m) {
        int m = out->m ? 2 * out->m : 16;
        struct job_output_file *f = realloc(out->files, m * sizeof *f);
        if (!f)
            return rc_fail(RC_EINTERNAL, "out of memory");
        out->files = f, out->m = m;
    }
    struct job_output_file *f = &out->files[out->n++];
    *f = (struct job_output_file){.output = output};
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->path, sizeof f->path, "%s", path);
    return 0;
}

/* ~/out/<field>/<name> for output, its directory made. */
static int out_path(int output, const char *name, char *path, size_t size)
{
    snprintf(path, size, "out/%s/%s", OUTPUT_FIELD[output], name);
    return job_make_dirs(path);
}

/* text into ~/out/ as name, for output. */
static int write_text(job_outputs_t *out, int output, const char *name, const kstring_t *text)
{
    char path[SAMPLE_NAME_MAX + 64];
    int rc = out_path(output, name, path, sizeof path);
    if (rc == 0)
        rc = fdio_save(path, text->s ? text->s : "", text->l);
    return rc ? rc : add_file(out, name, path, output);
}

/* A count file, or the table or the matrix: into ~/out/ as name, written
 * as it is formatted (a matrix can be far larger than memory). */
typedef int (*format_fn)(const void *what, const uint64_t *counts, countfile_out_t *out);

static int format_count_file(const void *r, const uint64_t *counts, countfile_out_t *out)
{
    return countfile_format(r, counts, out, NULL);
}

static int format_tsv(const void *r, const uint64_t *counts, countfile_out_t *out)
{
    return countfile_format_tsv(r, counts, out);
}

static int format_matrix(const void *c, const uint64_t *counts, countfile_out_t *out)
{
    (void)counts;
    return cohort_matrix(c, out);
}

static int write_formatted(job_t *job, job_outputs_t *out, int output, const char *name,
                           format_fn format, const void *what, const uint64_t *counts)
{
    char path[SAMPLE_NAME_MAX + 64];
    fdio_file_t f = {.fd = -1};
    countfile_out_t text = {.file = &f, .threads = job->workers};
    int rc = out_path(output, name, path, sizeof path);
    if (rc == 0 && (rc = fdio_begin(&f, path)) == 0 && (rc = format(what, counts, &text)) == 0 &&
        (rc = fdio_commit(&f)) == 0)
        rc = add_file(out, name, path, output);
    fdio_abort(&f);
    free(text.buf.s);
    return rc;
}

int job_write_sample(job_t *job, const char *count_name, const char *sample, const sam_hdr_t *hdr,
                     const regions_t *r, const tally_t *t, job_outputs_t *out)
{
    char name[SAMPLE_NAME_MAX + 32];
    kstring_t stats = {0};
    int rc = write_formatted(job, out, OUT_COUNT_FILES, count_name, format_count_file, r,
                             t->counts);
    if (rc == 0 && multiqc_has_idxstats(t)) {
        snprintf(name, sizeof name, "%s%s", sample, MULTIQC_IDXSTATS_SUFFIX);
        if ((rc = multiqc_idxstats(hdr, t, &stats)) == 0)
            rc = write_text(out, OUT_MULTIQC, name, &stats);
    } else if (rc == 0) {
        log_info("count: no idxstats for %s: a CRAM's container headers do not say which reads "
                 "are unmapped", sample);
    }
    free(stats.s);
    return rc;
}

/* Upload every file written, several at once, and set the outputs: the
 * arrays in the order written (count files, then MultiQC's), the others
 * as single links. */
static int upload_all(job_t *job, const job_outputs_t *out)
{
    const char **paths = malloc((out->n + 1) * sizeof *paths);
    const char **names = malloc((out->n + 1) * sizeof *names);
    char(*ids)[64] = malloc((out->n + 1) * sizeof *ids);
    json_t *arrays[2] = {json_array(), json_array()};
    int rc = paths && names && ids && arrays[0] && arrays[1] && (job->output = json_object())
                 ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < out->n; i++)
        paths[i] = out->files[i].path, names[i] = out->files[i].name;
    if (rc == 0) {
        log_info("upload: %d files, %d at once", out->n, out->n < 8 ? out->n : 8);
        rc = job_upload_files(job, out->n, paths, names, "text/plain", ids);
    }
    for (int i = 0; rc == 0 && i < out->n; i++) {
        int o = out->files[i].output;
        json_t *link = link_to(ids[i]);
        if (!link || (o <= OUT_MULTIQC ? json_array_append_new(arrays[o], link)
                                       : json_object_set_new(job->output, OUTPUT_FIELD[o], link)))
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    }
    for (int o = OUT_COUNT_FILES; o <= OUT_MULTIQC; o++)
        if (rc == 0 && json_object_set(job->output, OUTPUT_FIELD[o], arrays[o]) != 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    json_decref(arrays[0]);
    json_decref(arrays[1]);
    free(paths);
    free(names);
    free(ids);
    return rc;
}

int job_publish_cohort(job_t *job, const cohort_t *c, const char *prefix, const char *counted,
                       job_outputs_t *out)
{
    char matrix_name[300], report_name[300];
    kstring_t table = {0}, report = {0};
    snprintf(matrix_name, sizeof matrix_name, "%s_counts_matrix.tsv", prefix);
    snprintf(report_name, sizeof report_name, "%s_report.html", prefix);
    int rc = write_formatted(job, out, OUT_MATRIX, matrix_name, format_matrix, c, NULL);
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
    char count_name[300], tsv_name[300], prefix[300], sample[SAMPLE_NAME_MAX + 1];
    const char *file_name = b->bam.file.name;
    output_name(file_name, "_count.txt", count_name, sizeof count_name);
    output_name(file_name, "_counts.tsv", tsv_name, sizeof tsv_name);
    output_name(file_name, "", prefix, sizeof prefix);
    cohort_t c;
    job_outputs_t out = {0};
    uint64_t total = 0;
    for (int64_t i = 0; i < r->n; i++)
        total += t->counts[i];
    int rc = cohort_init(&c, b->in.hdr, file_name);
    if (rc == 0 && (rc = cohort_start(&c, r, ".", 1)) == 0 &&
        (rc = cohort_name(&c, b->in.hdr, file_name, sample)) == 0 &&
        (rc = cohort_add(&c, sample, t)) == 0)
        rc = job_write_sample(job, count_name, sample, b->in.hdr, r, t, &out);
    if (rc == 0)
        rc = write_formatted(job, &out, OUT_TSV, tsv_name, format_tsv, r, t->counts);
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
