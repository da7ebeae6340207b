/* job_cohort_sub.c -- the subjobs of a cohort spread over the platform
 * (job_cohort.c starts them).
 *
 * count_samples counts its run of files one after the other, each streamed
 * with all its workers, and outputs "samples": the names, each sample's
 * tally (tally_pack: inline when small, else a file, as count_part's; a
 * file is uploaded only when every file of the run was counted), and the
 * messages of the files that could not be counted.
 *
 * gather_samples reads every run's output in order; if any file failed it
 * names them all in one AppError, and nothing is uploaded; else it adds the
 * samples to the cohort one tally at a time, writing each one's count file
 * and idxstats, and uploads them, the matrix, MultiQC's table and the
 * report. Its outputs are main's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdio.h"
#include "job.h"
#include "job_cohort.h"
#include "log.h"
#include "rc.h"

/* ---- count_samples ------------------------------------------------------------ */

/* The file and index of samples[k] of the input, described. */
static int read_sample(job_t *job, json_t *sample, int k, job_cohort_file_t *f)
{
    char what[64], dir[64];
    jobio_link_t link;
    const char *name = json_string_value(json_object_get(sample, "name"));
    json_t *index = json_object_get(sample, "index");
    f->b = (job_bam_t){.mirror.fd = -1};
    if (!name || strlen(name) > SAMPLE_NAME_MAX)
        return rc_fail(RC_EINTERNAL, "input samples[%d] has no name", k);
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(what, sizeof what, "samples[%d].mapping", k);
    snprintf(dir, sizeof dir, "in/samples/%d", k);
    int rc = jobio_parse_link(json_object_get(sample, "mapping"), what, &link);
    if (rc == 0)
        rc = job_describe_input(job, what, &link, dir, &f->b.bam);
    if (rc == 0 && index) {
        snprintf(what, sizeof what, "samples[%d].index", k);
        snprintf(dir, sizeof dir, "in/samples/%d/index", k);
        if ((rc = jobio_parse_link(index, what, &link)) == 0 &&
            (rc = job_describe_input(job, what, &link, dir, &f->b.bai)) == 0)
            f->b.have_bai = 1;
    }
    return rc;
}

/* A sample's tally goes inline in count_samples' output up to this size
 * (whole reference sequences); larger ones (bins, BED regions) as files. */
#define SAMPLE_INLINE_MAX (16 << 10)

/* The tallies of a run: inline, or written to ~/out/tallies/ to be
 * uploaded once the whole run is counted. */
typedef struct {
    json_t *counts;      /* per sample: {"tally": base64}, or null until uploaded */
    job_upload_t *files; /* tag: the place in counts */
    int n_files;
} tallies_t;

static int keep_tally(tallies_t *ts, const tally_t *t, const char *sample, int k)
{
    kstring_t packed = {0};
    int rc = tally_pack(t, &packed);
    json_t *item = NULL;
    if (rc == 0 && packed.l <= SAMPLE_INLINE_MAX) {
        item = job_packed_inline(&packed);
    } else if (rc == 0) {
        job_upload_t *f = &ts->files[ts->n_files++];
        *f = (job_upload_t){.tag = (int)json_array_size(ts->counts)};
        snprintf(f->path, sizeof f->path, "out/tallies/%d.tally", k);
        snprintf(f->name, sizeof f->name, "%s.tally", sample);
        if ((rc = job_make_dirs(f->path)) == 0)
            rc = fdio_save(f->path, packed.s, packed.l);
        item = json_null();
    }
    if (rc == 0 && (!item || json_array_append_new(ts->counts, item) != 0))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    free(packed.s);
    return rc;
}

/* Upload the tallies kept as files; their links into counts. */
static int upload_tallies(job_t *job, tallies_t *ts)
{
    int rc = job_upload_files(job, ts->n_files, ts->files, NULL);
    for (int i = 0; rc == 0 && i < ts->n_files; i++)
        if (json_array_set_new(ts->counts, ts->files[i].tag,
                               json_pack("{s:{s:s}}", "tally_file", "$dnanexus_link",
                                         ts->files[i].id)))
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    return rc;
}

/* Count sample k of the run and keep its tally. */
static int count_sample(job_t *job, job_cohort_t *co, int k, tallies_t *ts, int *its_fault)
{
    job_cohort_file_t *f = &co->files[k];
    tally_t t;
    int rc = job_cohort_count_one(job, co, &f->b, 0, &t, its_fault);
    if (rc == 0) {
        *its_fault = 0;
        rc = keep_tally(ts, &t, f->name, k);
        tally_free(&t);
    }
    job_cohort_close_file(&f->b);
    return rc;
}

int job_cohort_count(job_t *job)
{
    job_cohort_t co = {0};
    json_t *samples = json_object_get(job->input, "samples");
    size_t n = json_array_size(samples);
    tallies_t ts = {.counts = json_array(), .files = calloc(n + 1, sizeof *ts.files)};
    json_t *names = json_array(), *failed = json_array();
    int rc = n ? 0 : rc_fail(RC_EINTERNAL, "input samples must be a non-empty array of {name, "
                             "mapping, index}");
    if (rc == 0 && (!(co.files = calloc(n, sizeof *co.files)) || !names || !failed ||
                    !ts.counts || !ts.files))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0 && (rc = job_spec_inputs(job, &co.spec)) == 0)
        rc = job_spec_method(job, &co.spec, &co.method);
    for (size_t k = 0; rc == 0 && k < n; k++, co.n++)
        rc = read_sample(job, json_array_get(samples, k), (int)k, &co.files[k]);
    for (int k = 0; rc == 0 && k < co.n; k++) {
        int its_fault;
        rc = count_sample(job, &co, k, &ts, &its_fault);
        if (rc == 0 && json_array_append_new(names, json_string(co.files[k].name)) != 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
        else if (rc == RC_EINPUT && its_fault)
            rc = json_array_append_new(failed, json_string(rc_message())) == 0
                     ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    }
    if (rc == 0)
        log_info("count_samples: %zu samples counted, %zu failed", json_array_size(names),
                 json_array_size(failed));
    if (rc == 0 && json_array_size(failed) == 0)
        rc = upload_tallies(job, &ts);
    if (rc == 0 && !(job->output = json_pack("{s:{s:O,s:O,s:O}}", "samples", "names", names,
                                             "counts", ts.counts, "failed", failed)))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    json_decref(names);
    json_decref(failed);
    json_decref(ts.counts);
    free(ts.files);
    job_cohort_free(&co);
    return rc;
}

/* ---- gather_samples ---------------------------------------------------------- */

/* Every failure the runs report, and the number of files they had. */
static int collect_failures(job_cohort_t *co, json_t *batches, int *n_files)
{
    int rc = 0;
    *n_files = 0;
    for (size_t k = 0; rc == 0 && k < json_array_size(batches); k++) {
        json_t *b = json_array_get(batches, k), *failed = json_object_get(b, "failed");
        json_t *names = json_object_get(b, "names");
        if (!json_is_array(failed) || !json_is_array(names))
            return rc_fail(RC_EINTERNAL, "input batches[%zu] is not a count_samples output", k);
        *n_files += (int)(json_array_size(names) + json_array_size(failed));
        for (size_t i = 0; rc == 0 && i < json_array_size(failed); i++)
            rc = job_cohort_failed(co, json_string_value(json_array_get(failed, i)) ?: "?");
    }
    return rc;
}

/* The cohort's reference and regions, from the header of input first. */
static int start_from_first(job_t *job, job_cohort_t *co, int n_samples)
{
    jobio_link_t link;
    job_bam_t b = {.mirror.fd = -1};
    int rc = jobio_link(job->input, "first", 1, &link, NULL);
    if (rc == 0)
        rc = job_describe_input(job, "first", &link, "in/first", &b.bam);
    if (rc == 0)
        rc = job_open_mirrored(job, &b, ALNFILE_NO_EOF_CHECK);
    if (rc == 0)
        rc = job_cohort_start(job, co, &b.in, b.bam.file.name, 1, n_samples);
    job_cohort_close_file(&b);
    job_bam_close(&b);
    return rc;
}

/* Run k's samples into the cohort, one tally at a time, each one's files
 * written for upload. */
static int add_batch(job_t *job, job_cohort_t *co, json_t *batch, size_t k, job_outputs_t *out)
{
    char what[96], count_name[SAMPLE_NAME_MAX + 16];
    json_t *names = json_object_get(batch, "names"), *counts = json_object_get(batch, "counts");
    if (json_array_size(names) != json_array_size(counts))
        return rc_fail(RC_EINTERNAL, "count_samples %zu output %zu names and %zu tallies", k + 1,
                       json_array_size(names), json_array_size(counts));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        kstring_t packed = {0};
        tally_t t;
        snprintf(what, sizeof what, "the counts of sample %zu of count_samples %zu", i + 1, k + 1);
        rc = name ? job_packed_input(job, json_array_get(counts, i), what, &packed)
                  : rc_fail(RC_EINTERNAL, "%s have no name", what);
        if (rc == 0 && (rc = tally_unpack(packed.s, packed.l, sam_hdr_nref(co->cohort.hdr),
                                          co->spec.regions.n, what, &t)) == 0) {
            snprintf(count_name, sizeof count_name, "%s_count.txt", name);
            rc = cohort_add(&co->cohort, name, &t);
            if (rc == 0)
                rc = job_write_sample(job, &co->cohort, count_name, name, &t, out);
            tally_free(&t);
        }
        free(packed.s);
    }
    return rc;
}

int job_cohort_gather(job_t *job)
{
    job_cohort_t co = {0};
    job_outputs_t out = {0};
    json_t *batches = json_object_get(job->input, "batches");
    int n_files = 0;
    int rc = json_is_array(batches) && json_array_size(batches)
                 ? job_spec_inputs(job, &co.spec)
                 : rc_fail(RC_EINTERNAL, "input batches must be count_samples outputs");
    if (rc == 0)
        rc = collect_failures(&co, batches, &n_files);
    if (rc == 0 && co.n_failed)
        rc = job_cohort_report_failures(&co, n_files);
    if (rc == 0)
        rc = start_from_first(job, &co, n_files);
    for (size_t k = 0; rc == 0 && k < json_array_size(batches); k++)
        rc = add_batch(job, &co, json_array_get(batches, k), k, &out);
    char counted[256];
    if (rc == 0) {
        log_info("gather_samples: %d samples from %zu runs", co.cohort.n, json_array_size(batches));
        job_spec_describe(&co.spec, counted, sizeof counted);
        rc = job_publish_cohort(job, &co.cohort, "regcount", counted, &out);
    }
    job_outputs_free(&out);
    job_cohort_free(&co);
    return rc;
}
