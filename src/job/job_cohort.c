/* job_cohort.c -- many files in one job: inputs mappings (BAM or CRAM)
 * and indexes, matched by name; every other input applies to all.
 *
 * main describes them (8 at a time) and counts them one after the other on
 * this machine, each streamed with all its workers as one file is, or
 * (input subjobs, or more than COHORT_BYTES_PER_SUBJOB of them) reads only
 * their headers (8 at a time), checks them and names the samples, and
 * spreads them over count_samples subjobs in
 * runs of about equal size (several small files in one, a large one
 * alone), with a gather_samples subjob that puts their counts together
 * (job_cohort_sub.c).
 *
 * A file that cannot be counted (not a BAM or CRAM, truncated, corrupt, a
 * wrong index, another reference) does not stop the others: every such
 * file is named in one AppError, and nothing is output.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "job_cohort.h"
#include "job_spec.h"
#include "log.h"
#include "rc.h"

/* ---- the inputs ------------------------------------------------------------ */

/* The name of an index without its suffix, or "" when it has none of
 * .bai, .csi, .crai. */
static void index_stem(const char *name, char *stem, size_t size)
{
    static const char *const ends[] = {".bai", ".csi", ".crai"};
    size_t n = strlen(name);
    stem[0] = '\0';
    for (int i = 0; i < 3; i++) {
        size_t e = strlen(ends[i]);
        if (n > e && strcmp(name + n - e, ends[i]) == 0)
            snprintf(stem, size, "%.*s", (int)(n - e), name);
    }
}

/* 1 when an index whose name less its suffix is stem belongs to the file
 * called name: x.bam with x.bam.bai or x.bai, x.cram with x.cram.crai or
 * x.crai. */
static int index_matches(const char *stem, const char *name)
{
    size_t n = strlen(name), s = strlen(stem);
    if (strcmp(stem, name) == 0)
        return 1;
    return (n == s + 4 && strcmp(name + s, ".bam") == 0 && strncmp(name, stem, s) == 0) ||
           (n == s + 5 && strcmp(name + s, ".cram") == 0 && strncmp(name, stem, s) == 0);
}

/* The files of an array input, described several at once. */
typedef struct {
    const char *field;
    jobio_link_t *links;
    job_file_t *files;
} described_t;

static int describe_one(void *arg, int64_t i, job_t *job)
{
    described_t *d = arg;
    char what[64], dir[64];
    snprintf(what, sizeof what, "%s[%lld]", d->field, (long long)i);
    snprintf(dir, sizeof dir, "in/%s/%lld", d->field, (long long)i);
    return job_describe_input(job, what, &d->links[i], dir, &d->files[i]);
}

/* Read the n links of array input field and describe the files into
 * files[0..n-1] (which the caller frees with dxfile_free each). */
static int describe_array(job_t *job, const char *field, json_t *array, jobio_link_t *links,
                          job_file_t *files)
{
    char what[64];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(array); i++) {
        snprintf(what, sizeof what, "%s[%zu]", field, i);
        rc = jobio_parse_link(json_array_get(array, i), what, &links[i]);
    }
    described_t d = {field, links, files};
    return rc ? rc : job_for_each(job, (int64_t)json_array_size(array), describe_one, &d);
}

/* Give each index of input indexes (described) to the file it belongs to. */
static int match_indexes(job_cohort_t *co, job_file_t *idx, size_t n)
{
    char stem[512];
    int rc = 0;
    for (size_t j = 0; rc == 0 && j < n; j++) {
        index_stem(idx[j].file.name, stem, sizeof stem);
        int found = -1;
        for (int i = 0; rc == 0 && i < co->n; i++) {
            if (!*stem || !index_matches(stem, co->files[i].b.bam.file.name))
                continue;
            if (found >= 0)
                rc = rc_fail(RC_EINPUT, "input %s (%s) fits more than one of the mappings (%s): "
                             "give the files different names", idx[j].what, idx[j].file.name,
                             co->files[i].b.bam.file.name);
            else if (co->files[i].b.have_bai)
                rc = rc_fail(RC_EINPUT, "input %s: %s has two indexes, %s and %s",
                             COHORT_INDEX_INPUT, co->files[i].b.bam.file.name,
                             co->files[i].b.bai.file.name, idx[j].file.name);
            found = i;
        }
        if (rc == 0 && found < 0)
            rc = rc_fail(RC_EINPUT, "input %s (%s) is the index of none of the mappings: x.bam "
                         "takes x.bam.bai, x.bai or x.bam.csi, x.cram takes x.cram.crai or "
                         "x.crai", idx[j].what, idx[j].file.name);
        if (rc == 0) {
            co->files[found].b.bai = idx[j];
            co->files[found].b.have_bai = 1;
            idx[j].file = (dxfile_t){0}; /* the file's now */
        }
    }
    return rc;
}

int job_cohort_inputs(job_t *job, job_cohort_t *co)
{
    json_t *mappings = json_object_get(job->input, COHORT_INPUT);
    json_t *indexes = json_object_get(job->input, COHORT_INDEX_INPUT);
    size_t n = json_array_size(mappings), n_idx = json_array_size(indexes);
    if (!json_is_array(mappings) || n == 0)
        return rc_fail(RC_EINPUT, "input %s must be an array of one or more file links",
                       COHORT_INPUT);
    if (indexes && !json_is_array(indexes))
        return rc_fail(RC_EINPUT, "input %s must be an array of file links", COHORT_INDEX_INPUT);
    if (n > COHORT_MAX_FILES || n_idx > COHORT_MAX_FILES)
        return rc_fail(RC_EINPUT, "input %s: %zu files; regcount takes at most %d in one job",
                       COHORT_INPUT, n > n_idx ? n : n_idx, COHORT_MAX_FILES);
    int rc = job_spec_inputs(job, &co->spec);
    if (rc == 0)
        rc = job_spec_method(job, &co->spec, &co->method);
    jobio_link_t *links = calloc(n + n_idx, sizeof *links);
    job_file_t *files = calloc(n + n_idx, sizeof *files);
    if (rc == 0 && (!(co->files = calloc(n, sizeof *co->files)) || !links || !files))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0)
        rc = describe_array(job, COHORT_INPUT, mappings, links, files);
    for (size_t i = 0; co->files && i < n; i++, co->n++) {
        co->files[i].b = (job_bam_t){.bam = files[i], .mirror.fd = -1};
        co->files[i].link = links[i];
        co->bytes += files[i].file.size;
    }
    if (rc == 0 && n_idx && (rc = describe_array(job, COHORT_INDEX_INPUT, indexes, links + n,
                                                 files + n)) == 0)
        rc = match_indexes(co, files + n, n_idx);
    for (size_t j = 0; j < n_idx; j++)
        dxfile_free(&files[n + j].file);
    free(links);
    free(files);
    return rc;
}

void job_cohort_close_file(job_bam_t *b)
{
    /* The local copy (mirror or download) is of no more use: 1000 of them
     * need not fit on the disk at once. */
    if (b->bam.path[0])
        unlink(b->bam.path);
    if (b->have_bai && b->bai.path[0])
        unlink(b->bai.path);
    alnfile_close(&b->in);
    mirror_close(&b->mirror);
    b->in = (alnfile_t){0};
}

void job_cohort_free(job_cohort_t *co)
{
    for (int i = 0; i < co->n; i++) {
        job_cohort_close_file(&co->files[i].b);
        job_bam_close(&co->files[i].b);
        free(co->files[i].error);
    }
    free(co->files);
    job_spec_free(&co->spec);
    free(co->failures.s);
    if (co->started)
        cohort_free(&co->cohort);
}

/* ---- what the entry points share ------------------------------------------- */

int job_cohort_failed(job_cohort_t *co, const char *message)
{
    if (ksprintf(&co->failures, "%s%s", co->n_failed ? "; " : "", message) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    co->n_failed++;
    return 0;
}

int job_cohort_report_failures(const job_cohort_t *co, int n_files)
{
    return rc_fail(RC_EINPUT, "%d of %d files could not be counted, so nothing is output: %s",
                   co->n_failed, n_files, co->failures.s);
}

int job_cohort_start(job_t *job, job_cohort_t *co, const alnfile_t *in, const char *first,
                     int with_matrix, int n_samples)
{
    int rc = cohort_init(&co->cohort, in->hdr, first);
    co->started = 1;
    if (rc == 0)
        rc = job_spec_regions(job, &co->spec, co->cohort.hdr);
    /* The matrix's columns wait on the disk, then the matrix itself. */
    int64_t need = with_matrix ? co->spec.regions.n * (int64_t)n_samples * 8 * 2 +
                                     co->spec.regions.n * 64
                               : 0;
    if (rc == 0 && with_matrix)
        rc = job_check_space(job, need);
    return rc ? rc : cohort_start(&co->cohort, &co->spec.regions, with_matrix ? "." : NULL,
                                  with_matrix);
}

int job_cohort_count_one(job_t *job, job_cohort_t *co, job_bam_t *b, int publishes, tally_t *t,
                         int *its_fault)
{
    *its_fault = 1;
    int rc = job_check_index(b, &co->method, COHORT_INDEX_INPUT);
    if (rc == 0)
        rc = job_open_input(job, b, &co->method);
    if (rc != 0)
        return rc;
    *its_fault = 0; /* the cohort's reference and regions, and a CRAM's FASTA, are the job's */
    if (!co->started)
        rc = job_cohort_start(job, co, &b->in, b->bam.file.name, publishes, co->n);
    if (rc == 0 && !co->spec.reference && b->in.kind == ALNFILE_CRAM && !co->method.from_index)
        rc = job_spec_reference(job, &co->spec, 1);
    if (rc != 0)
        return rc;
    *its_fault = 1;
    rc = cohort_check_reference(&co->cohort, b->in.hdr, b->bam.file.name);
    job_count_t c = {&co->spec.regions, job_spec_filter(&co->spec), co->spec.reference};
    if (rc == 0)
        rc = job_count_input(job, b, &co->method, &c, t);
    if (rc == 0)
        log_info("count: %s: %" PRIu64 " records", b->bam.file.name, t->n_records);
    return rc;
}

/* ---- main, counting here ----------------------------------------------------- */

/* Count file i as a sample of the cohort and write its files. */
static int count_here_one(job_t *job, job_cohort_t *co, int i, job_outputs_t *out,
                          int *its_fault)
{
    job_bam_t *b = &co->files[i].b;
    char name[SAMPLE_NAME_MAX + 1], count_name[SAMPLE_NAME_MAX + 16];
    tally_t t;
    int rc = job_cohort_count_one(job, co, b, 1, &t, its_fault);
    if (rc == 0) {
        *its_fault = 0;
        if ((rc = cohort_name(&co->cohort, b->in.hdr, b->bam.file.name, name)) == 0 &&
            (rc = cohort_add(&co->cohort, name, &t)) == 0) {
            snprintf(count_name, sizeof count_name, "%s_count.txt", name);
            rc = job_write_sample(job, &co->cohort, count_name, name, &t, out);
        }
        tally_free(&t);
    }
    job_cohort_close_file(b);
    return rc;
}

static int count_here(job_t *job, job_cohort_t *co)
{
    job_outputs_t out = {0};
    int rc = 0;
    log_info("cohort: %d files (%s) counted on this machine", co->n,
             log_bytes((uint64_t)co->bytes, (char[16]){0}));
    for (int i = 0; rc == 0 && i < co->n; i++) {
        int its_fault;
        rc = count_here_one(job, co, i, &out, &its_fault);
        if (rc == RC_EINPUT && its_fault)
            rc = job_cohort_failed(co, rc_message());
    }
    if (rc == 0 && co->n_failed)
        rc = job_cohort_report_failures(co, co->n);
    char counted[256];
    if (rc == 0) {
        job_spec_describe(&co->spec, counted, sizeof counted);
        rc = job_publish_cohort(job, &co->cohort, "regcount", counted, &out);
    }
    job_outputs_free(&out);
    return rc;
}

/* ---- main, spreading over subjobs ------------------------------------------- */

/* Read file i's header (and end-of-file marker) through its mirror: the
 * sample's name (not yet made unique), and the reference checked against
 * the cohort's (once started). */
static int read_header(job_t *job, job_cohort_t *co, int64_t i, int *its_fault)
{
    job_cohort_file_t *f = &co->files[i];
    /* The header only: the subjob downloads the index. */
    job_bam_t h = {.bam = f->b.bam, .mirror.fd = -1};
    *its_fault = 1;
    int rc = job_check_index(&f->b, &co->method, COHORT_INDEX_INPUT);
    if (rc == 0)
        rc = job_open_mirrored(job, &h, 0);
    if (rc == 0 && !co->started) {
        *its_fault = 0;
        rc = job_cohort_start(job, co, &h.in, h.bam.file.name, 0, 0);
        *its_fault = 1;
    }
    if (rc == 0)
        rc = cohort_check_reference(&co->cohort, h.in.hdr, h.bam.file.name);
    if (rc == 0)
        sample_name(h.in.hdr, h.bam.file.name, f->name);
    job_cohort_close_file(&h);
    return rc;
}

/* read_header of file i, its own fault kept with it. */
static int read_header_kept(job_t *job, job_cohort_t *co, int64_t i)
{
    int its_fault, rc = read_header(job, co, i, &its_fault);
    if (rc == RC_EINPUT && its_fault)
        rc = (co->files[i].error = strdup(rc_message())) ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    return rc;
}

/* The files from the first after those read one by one, several at once. */
typedef struct {
    job_cohort_t *co;
    int from;
} headers_t;

static int read_header_item(void *arg, int64_t k, job_t *job)
{
    headers_t *h = arg;
    return read_header_kept(job, h->co, h->from + k);
}

/* Every file's header: one after the other until the cohort has started
 * (its reference and regions, from the first file that opens), then the
 * rest several at once; then the names made unique in input order and the
 * failures noted. */
static int read_headers(job_t *job, job_cohort_t *co)
{
    int rc = 0, i = 0;
    for (; rc == 0 && i < co->n && !co->started; i++)
        rc = read_header_kept(job, co, i);
    headers_t h = {co, i};
    if (rc == 0 && i < co->n)
        rc = job_for_each(job, co->n - i, read_header_item, &h);
    for (int i = 0; rc == 0 && i < co->n; i++)
        rc = co->files[i].error ? job_cohort_failed(co, co->files[i].error)
                                : cohort_take_name(&co->cohort, co->files[i].name);
    return rc;
}

/* Runs of files of about equal size: file i goes to the run in which the
 * middle of its bytes falls, so that runs keep the input order and a file
 * larger than a run's share is alone. batch[i] is numbered from 0 without
 * gaps; returns the number of runs. */
static int make_batches(const job_cohort_t *co, int n_batches, int *batch)
{
    double total = co->bytes > 0 ? (double)co->bytes : 1, before = 0;
    int last = -1, k = -1;
    for (int i = 0; i < co->n; i++) {
        double size = (double)co->files[i].b.bam.file.size;
        int run = (int)((before + size / 2) * n_batches / total);
        run = run >= n_batches ? n_batches - 1 : run;
        if (run != last)
            k++, last = run;
        batch[i] = k;
        before += size;
    }
    return k + 1;
}

/* One count_samples subjob for the files of run k. */
static int launch_batch(job_t *job, const job_cohort_t *co, const int *batch, int k, int n,
                        char id[64])
{
    json_t *samples = json_array(), *in = NULL;
    int rc = samples ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < co->n; i++) {
        const job_bam_t *b = &co->files[i].b;
        if (batch[i] != k)
            continue;
        json_t *s = json_pack("{s:s,s:o}", "name", co->files[i].name, "mapping",
                              job_link(b->bam.link.id));
        if (s && b->have_bai)
            json_object_set_new(s, "index", job_link(b->bai.link.id));
        if (!s || json_array_append_new(samples, s) != 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    }
    if (rc == 0 && !(in = json_pack("{s:O}", "samples", samples)))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    char name[64];
    snprintf(name, sizeof name, "count_samples %d/%d", k + 1, n);
    if (rc == 0 && (rc = job_cohort_pass_on(job, in)) == 0)
        rc = job_new_subjob(job, "count_samples", name, in, id);
    json_decref(samples);
    json_decref(in);
    return rc;
}

static int launch(job_t *job, const job_cohort_t *co, int n_batches)
{
    int *batch = malloc(co->n * sizeof *batch);
    json_t *batches = json_array(), *in = NULL;
    char id[64];
    int rc = batch && batches ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    int n = rc == 0 ? make_batches(co, n_batches, batch) : 0;
    for (int k = 0; rc == 0 && k < n; k++)
        if ((rc = launch_batch(job, co, batch, k, n, id)) == 0 &&
            json_array_append_new(batches, job_jbor(id, "samples")) != 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0 && !(in = json_pack("{s:O,s:o}", "batches", batches, "first",
                                    job_link(co->files[0].b.bam.link.id))))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0 && (rc = job_cohort_pass_on(job, in)) == 0)
        rc = job_new_subjob(job, "gather_samples", "gather_samples", in, id);
    if (rc == 0) {
        static const char *const fields[] = {JOB_COHORT_OUTPUTS, NULL};
        log_info("cohort: %d count_samples subjobs and gather_samples %s started", n, id);
        rc = job_output_refs(job, id, fields);
    }
    json_decref(batches);
    json_decref(in);
    free(batch);
    return rc;
}

static int spread(job_t *job, job_cohort_t *co, int n_batches)
{
    log_info("cohort: %d files (%s) spread over up to %d count_samples subjobs", co->n,
             log_bytes((uint64_t)co->bytes, (char[16]){0}), n_batches);
    int rc = read_headers(job, co);
    if (rc == 0 && co->n_failed)
        rc = job_cohort_report_failures(co, co->n);
    return rc ? rc : launch(job, co, n_batches);
}

int job_cohort(job_t *job, int subjobs)
{
    job_cohort_t co = {0};
    int rc = job_cohort_inputs(job, &co);
    if (rc == 0) {
        int64_t n = subjobs ? subjobs : (co.bytes + COHORT_BYTES_PER_SUBJOB - 1) /
                                            COHORT_BYTES_PER_SUBJOB;
        n = n > co.n ? co.n : n;
        rc = n > 1 ? spread(job, &co, (int)n) : count_here(job, &co);
    }
    job_cohort_free(&co);
    return rc;
}

int job_cohort_pass_on(const job_t *job, json_t *subjob_input)
{
    static const char *const method[] = {"count_method", "download_first", NULL};
    for (int i = 0; method[i]; i++) {
        json_t *v = json_object_get(job->input, method[i]);
        if (v && json_object_set(subjob_input, method[i], v) != 0)
            return rc_fail(RC_EINTERNAL, "out of memory");
    }
    return job_spec_pass_on(job, subjob_input);
}
