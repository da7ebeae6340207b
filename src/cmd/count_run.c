/* count_run.c -- count the files given and write the outputs; see
 * count_run.h. */
#include "count_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alnfile.h"
#include "cohort.h"
#include "countfile.h"
#include "fdio.h"
#include "filter.h"
#include "idxcount.h"
#include "log.h"
#include "multiqc.h"
#include "opt.h"
#include "rc.h"
#include "report.h"
#include "scan.h"
#include "stage.h"

typedef struct {
    const count_args_t *a;
    const char *outdir;   /* per-sample files go here; NULL: one file to -o */
    cohort_t cohort;      /* set up by the first file that opens */
    regions_t regions;    /* what is counted, for the cohort's header */
    int started;
    filter_t filter;
    stage_t stage;        /* the output directory's files, until all are done */
    kstring_t failures;   /* one line per file that could not be counted */
    int n_failed;
    tally_t one;          /* one file without --outdir: its tally, for publish */
    int have_one;
} run_t;

/* ---- what is counted ------------------------------------------------------ */

/* The regions (for c->hdr) and the filter, from the options. Bad values
 * are the input's fault (exit 3), as in the job. */
static int make_spec(const count_args_t *a, const sam_hdr_t *hdr, regions_t *r, filter_t *f)
{
    static const char *const names[] = {"-q", "-f", "-F", "-G"};
    uint16_t *flag[] = {NULL, &f->require, &f->exclude, &f->exclude_all};
    int rc = 0;
    *f = (filter_t){0};
    for (int i = 0; rc == 0 && i < 4; i++)
        if (a->flags[i])
            rc = i == 0 ? filter_parse_mapq(names[i], a->flags[i], &f->min_mapq)
                        : filter_parse_flag(names[i], a->flags[i], flag[i]);
    long long size;
    if (rc == 0 && a->bin)
        rc = opt_int("--bin", a->bin, 1, 1LL << 40, &size) != 0
                 ? rc_rekind(RC_EINPUT)
                 : regions_bins(r, hdr, size, "--bin");
    else if (rc == 0 && a->bed)
        rc = regions_load_bed(r, hdr, a->bed);
    else if (rc == 0)
        rc = regions_whole(r, hdr);
    if (rc == 0 && a->from_index && (!regions_whole_refs(r) || !filter_none(f)))
        rc = rc_fail(RC_EINPUT, "the index method counts whole reference sequences with no "
                     "filter; count regions, bins or filtered reads with the scan method");
    return rc;
}

/* The directory of path, for the matrix's temporary columns. */
static void dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else
        snprintf(out, size, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* The first file that opens sets up the cohort: its reference, what is
 * counted and where the matrix's columns wait. */
static int start(run_t *run, const alnfile_t *in)
{
    char spool[4096];
    int rc = cohort_init(&run->cohort, in->hdr, in->path);
    run->started = 1;
    if (rc == 0)
        rc = make_spec(run->a, run->cohort.hdr, &run->regions, &run->filter);
    if (rc == 0 && run->a->matrix)
        dir_of(run->a->matrix, spool, sizeof spool);
    return rc ? rc : cohort_start(&run->cohort, &run->regions, run->a->matrix ? spool : NULL,
                                  run->a->report != NULL);
}

/* ---- one file ---------------------------------------------------------------- */

static int count_file(const run_t *run, const alnfile_t *in, tally_t *t)
{
    const count_args_t *a = run->a;
    if (a->from_index && !alnfile_indexed(in))
        return rc_fail(RC_EINPUT, "%s: the index method needs the %s's index", in->path,
                       alnfile_kind_name(in));
    if (a->from_index)
        return idxcount_run(in, NULL, NULL, t);
    scan_opts_t so = {.regions = &run->regions,
                      .filter = filter_none(&run->filter) ? NULL : &run->filter,
                      .workers = a->workers, .timeout = a->timeout, .reference = a->reference,
                      .with_unplaced = run->outdir != NULL}; /* for idxstats' last line */
    return scan_file(in, &so, t);
}

/* name's count file and idxstats, into the staging directory. */
static int stage_sample(run_t *run, const char *name, const tally_t *t)
{
    char file[SAMPLE_NAME_MAX + 32], count_path[4096], idxstats_path[4096];
    int idxstats = multiqc_has_idxstats(t); /* not a CRAM counted from its container headers */
    snprintf(file, sizeof file, "%s_count.txt", name);
    int rc = stage_file(&run->stage, file, count_path, sizeof count_path);
    snprintf(file, sizeof file, "%s%s", name, MULTIQC_IDXSTATS_SUFFIX);
    if (rc == 0 && idxstats)
        rc = stage_file(&run->stage, file, idxstats_path, sizeof idxstats_path);
    return rc ? rc : cohort_save_sample(&run->cohort, t, run->a->workers, count_path,
                                        idxstats ? idxstats_path : NULL);
}

/* Count the file at path (with index, or the one found next to it) as a
 * sample of the cohort. *its_fault tells whether a failure is the file's
 * (the others are still counted) or the run's. */
static int count_one(run_t *run, const char *path, const char *index, int *its_fault)
{
    double start_time = log_now();
    alnfile_t in;
    tally_t t;
    char name[SAMPLE_NAME_MAX + 1];
    *its_fault = 1;
    int rc = alnfile_open(&in, path, index, ALNFILE_FIND_INDEX);
    if (rc != 0)
        return rc;
    if (!run->started) {
        *its_fault = 0;
        if ((rc = start(run, &in)) != 0) {
            alnfile_close(&in);
            return rc;
        }
        *its_fault = 1;
    }
    rc = cohort_check_reference(&run->cohort, in.hdr, path);
    if (rc == 0 && (rc = cohort_name(&run->cohort, in.hdr, path, name)) == 0 &&
        (rc = count_file(run, &in, &t)) == 0) {
        *its_fault = 0;
        rc = run->outdir ? stage_sample(run, name, &t) : 0;
        if (rc == 0)
            rc = cohort_add(&run->cohort, name, &t);
        char b[16];
        if (rc == 0)
            log_info("counted %s (%s, %llu records read) in %.1f s", path, log_bytes(in.size, b),
                     (unsigned long long)t.n_records, log_now() - start_time);
        if (rc == 0 && !run->outdir) {
            run->one = t, run->have_one = 1; /* published at the end */
            t = (tally_t){0};
        }
        tally_free(&t);
    }
    alnfile_close(&in);
    return rc;
}

/* ---- the outputs ------------------------------------------------------------- */

/* The count file (and the table) of the one file. Both are written in full
 * before either takes its name, and the table goes again when the count
 * file cannot be written: nothing partial is left. Without -o the count
 * file goes to standard output ("-"), also only once it is whole. */
static int publish_one(const count_args_t *a, const regions_t *r, const tally_t *total)
{
    fdio_file_t text = {.fd = -1}, tsv = {.fd = -1};
    int rc = a->tsv ? countfile_begin(&tsv, a->tsv, 1, r, total->counts, a->workers) : 0;
    int tsv_committed = 0;
    if (rc == 0)
        rc = countfile_begin(&text, a->output ? a->output : "-", 0, r, total->counts, a->workers);
    if (rc == 0 && a->tsv && (rc = fdio_commit(&tsv)) == 0)
        tsv_committed = 1;
    if (rc == 0)
        rc = fdio_commit(&text);
    if (rc != 0) {
        fdio_abort(&tsv);
        fdio_abort(&text);
        if (tsv_committed)
            fdio_remove(a->tsv);
    }
    return rc;
}

static int write_report(const run_t *run, const char *path)
{
    kstring_t text = {0};
    char counted[512];
    report_counted(&run->regions, run->a->bed, &run->filter, counted, sizeof counted);
    int rc = cohort_report(&run->cohort, counted, &text);
    if (rc == 0)
        rc = fdio_save(path, text.s, text.l);
    free(text.s);
    return rc;
}

static int write_table(run_t *run)
{
    char path[4096];
    kstring_t text = {0};
    int rc = stage_file(&run->stage, MULTIQC_TABLE_NAME, path, sizeof path);
    if (rc == 0 && (rc = cohort_table(&run->cohort, &text)) == 0)
        rc = fdio_save(path, text.s, text.l);
    free(text.s);
    return rc;
}

/* Everything, once every file was counted: the matrix and the report, then
 * the one file's count file or the output directory's files. A failure
 * removes what was written. */
static int finish(run_t *run)
{
    const count_args_t *a = run->a;
    int rc = run->outdir ? write_table(run) : 0, matrix_done = 0, report_done = 0;
    if (rc == 0 && a->matrix && (rc = cohort_save_matrix(&run->cohort, a->matrix)) == 0)
        matrix_done = 1;
    if (rc == 0 && a->report && (rc = write_report(run, a->report)) == 0)
        report_done = 1;
    if (rc == 0 && run->have_one)
        rc = publish_one(a, &run->regions, &run->one);
    if (rc == 0 && run->outdir) {
        rc = stage_commit(&run->stage);
        if (rc == 0)
            log_info("wrote %d count file%s, their idxstats and %s into %s", run->cohort.n,
                     run->cohort.n == 1 ? "" : "s", MULTIQC_TABLE_NAME, run->outdir);
    }
    if (rc != 0 && matrix_done)
        fdio_remove(a->matrix);
    if (rc != 0 && report_done)
        fdio_remove(a->report);
    return rc;
}

/* Report every file that could not be counted, one line each; the last
 * line (the error returned) says that nothing was written. */
static int report_failures(const run_t *run)
{
    fputs(run->failures.s, stderr);
    return rc_fail(RC_EINPUT, "%d of %d files could not be counted; nothing was written",
                   run->n_failed, run->a->n_files);
}

int count_run(const count_args_t *a)
{
    run_t run = {.a = a};
    run.outdir = a->outdir ? a->outdir : a->n_files > 1 ? "." : NULL;
    int rc = run.outdir ? stage_begin(&run.stage, run.outdir) : 0;
    for (int i = 0; rc == 0 && i < a->n_files; i++) {
        int its_fault;
        rc = count_one(&run, a->files[i], a->index, &its_fault);
        if (rc == RC_EINPUT && its_fault && a->n_files > 1) {
            ksprintf(&run.failures, "regcount: %s\n", rc_message());
            run.n_failed++;
            rc = 0;
        }
    }
    if (rc == 0 && run.n_failed)
        rc = report_failures(&run);
    if (rc == 0)
        rc = finish(&run);
    stage_abort(&run.stage);
    if (run.have_one)
        tally_free(&run.one);
    if (run.started)
        cohort_free(&run.cohort);
    regions_free(&run.regions);
    free(run.failures.s);
    return rc;
}
