/* cmd_job.c -- `regcount job <entry point>`: run as a DNAnexus job.
 *
 * The flow of `main`: read ~/job_input.json, describe the BAM and BAI,
 * download the BAM and then the BAI (so the index is not older than the
 * data), count (scan.h), upload the count file to the job's workspace and
 * write ~/job_output.json. Any failure writes ~/job_error.json instead:
 * AppError when the input is at fault, AppInternalError otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <curl/curl.h>

#include "bamfile.h"
#include "commands.h"
#include "countfile.h"
#include "dxapi.h"
#include "dxfile.h"
#include "error.h"
#include "jobio.h"
#include "log.h"
#include "scan.h"

#define BAM_INPUT "mappings_sorted_bam"
#define BAI_INPUT "mappings_sorted_bai"

typedef struct {
    const char *home;
    dx_env_t env;
    json_t *input;
    json_t *output;
    int workers;
} job_t;

/* ---- inputs ----------------------------------------------------------- */

typedef struct {
    const char *field;
    dx_link_t link;
    dx_file_t file;
    char path[512]; /* where it is downloaded, relative to home */
} job_file_t;

static int describe_input(job_t *job, job_file_t *in)
{
    if (dx_file_describe(&job->env, in->link.id, in->link.project, &in->file) != 0)
        return rc_context("input %s", in->field);
    if (strcmp(in->file.state, "closed") != 0)
        return rc_fail(RC_EINPUT, "input %s (%s) is %s, not closed", in->field, in->link.id,
                       in->file.state);
    char safe[256];
    job_safe_name(in->file.name, safe, sizeof safe);
    snprintf(in->path, sizeof in->path, "in/%s/%s", in->field, safe);
    return 0;
}

static int make_dirs(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return rc_fail_errno(RC_EINTERNAL, "cannot create directory %s", buf);
        *p = '/';
    }
    return 0;
}

/* Fail early, as the user's problem, when the inputs cannot fit on disk. */
static int check_space(const char *home, int64_t need)
{
    struct statvfs st;
    if (statvfs(home, &st) != 0)
        return 0;
    int64_t free_bytes = (int64_t)st.f_bavail * st.f_frsize;
    char b1[16], b2[16];
    if (free_bytes < need + (64 << 20))
        return rc_fail(RC_EINPUT,
                       "the inputs need %s of disk and the instance has %s free: choose an instance "
                       "type with more storage",
                       log_bytes(need, b1), log_bytes(free_bytes, b2));
    return 0;
}

static int download_input(job_t *job, job_file_t *in)
{
    char b[16];
    log_info("download: input %s %s (%s, %s)", in->field, in->file.name, in->link.id,
             log_bytes(in->file.size, b));
    if (make_dirs(in->path) != 0 || dx_file_download(&job->env, &in->file, in->path) != 0)
        return rc_context("input %s", in->field);
    return 0;
}

/* ---- output ----------------------------------------------------------- */

/* <BAM name without .bam>_count.txt, made safe. */
static void output_name(const char *bam_name, char *out, size_t size)
{
    char stem[256];
    snprintf(stem, sizeof stem, "%s", bam_name);
    size_t n = strlen(stem);
    if (n > 4 && strcmp(stem + n - 4, ".bam") == 0)
        stem[n - 4] = '\0';
    char safe[256];
    job_safe_name(stem, safe, sizeof safe);
    snprintf(out, size, "%s_count.txt", safe);
}

static int format_counts(const sam_hdr_t *hdr, const tally_t *t, kstring_t *text, uint64_t *total)
{
    int n = sam_hdr_nref(hdr);
    const char **names = malloc((n + 1) * sizeof *names);
    if (!names)
        return rc_fail(RC_EINTERNAL, "out of memory");
    *total = 0;
    for (int i = 0; i < n; i++) {
        names[i] = sam_hdr_tid2name(hdr, i);
        *total += t->reads[i];
    }
    int rc = countfile_format(n, names, t->reads, text);
    free(names);
    return rc;
}

/* Keep a copy in ~/out/count_file/, upload it, and set the outputs. */
static int publish(job_t *job, const char *name, const kstring_t *text, uint64_t total)
{
    char path[512], id[64];
    snprintf(path, sizeof path, "out/count_file/%s", name);
    if (make_dirs(path) != 0 || countfile_save(path, text->s, text->l) != 0)
        return RC_EINTERNAL;
    log_info("upload: %s", name);
    if (dx_file_upload(&job->env, name, "text/plain", text->s, text->l, id) != 0)
        return RC_EINTERNAL;
    job->output = json_pack("{s:{s:s},s:I}", "count_file", "$dnanexus_link", id, "total_reads",
                            (json_int_t)total);
    return job->output ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
}

/* ---- entry points ---------------------------------------------------- */

static int count_local(job_t *job, const job_file_t *bam, const job_file_t *bai, int have_bai)
{
    double start = log_now();
    bam_input_t in;
    int rc = bam_input_open(&in, bam->path, have_bai ? bai->path : NULL, 0);
    if (rc != 0)
        return rc;
    scan_opts_t so = {.workers = job->workers};
    tally_t t;
    kstring_t text = {0};
    uint64_t total = 0;
    log_info("count: %s with %d worker%s%s", bam->file.name, job->workers,
             job->workers == 1 ? "" : "s", in.idx ? "" : " (no index: one multi-threaded pass)");
    if ((rc = scan_bam(&in, &so, &t)) == 0) {
        rc = format_counts(in.hdr, &t, &text, &total);
        char b[16];
        double secs = log_now() - start;
        if (rc == 0)
            log_info("count: %" PRIu64 " reads in %.1f s (%s/s compressed)", total, secs,
                     log_bytes((uint64_t)(in.size / (secs > 0 ? secs : 1e-9)), b));
        tally_free(&t);
    }
    bam_input_close(&in);
    char name[300];
    output_name(bam->file.name, name, sizeof name);
    if (rc == 0)
        rc = publish(job, name, &text, total);
    free(text.s);
    return rc;
}

static int entry_main(job_t *job)
{
    job_file_t bam = {.field = BAM_INPUT}, bai = {.field = BAI_INPUT};
    int have_bai = 0, rc;
    if ((rc = job_input_link(job->input, BAM_INPUT, 1, &bam.link, NULL)) != 0 ||
        (rc = job_input_link(job->input, BAI_INPUT, 0, &bai.link, &have_bai)) != 0)
        return rc;
    if ((rc = describe_input(job, &bam)) == 0 && (!have_bai || (rc = describe_input(job, &bai)) == 0))
        rc = check_space(job->home, bam.file.size + (have_bai ? bai.file.size : 0));
    /* The BAI after the BAM, so that it is not older than the data. */
    if (rc == 0 && (rc = download_input(job, &bam)) == 0 && have_bai)
        rc = download_input(job, &bai);
    if (rc == 0)
        rc = count_local(job, &bam, &bai, have_bai);
    dx_file_free(&bam.file);
    dx_file_free(&bai.file);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: regcount job <entry point>\n"
            "\n"
            "Runs an entry point of the regcount applet inside a DNAnexus job (or the local\n"
            "emulator): reads $HOME/job_input.json and the DX_* environment variables, and\n"
            "writes $HOME/job_output.json, or $HOME/job_error.json and exits non-zero.\n"
            "\n"
            "Entry points:\n"
            "  main     count the BAM of inputs mappings_sorted_bam (and mappings_sorted_bai)\n"
            "\n"
            "Environment (besides the platform's DX_* variables):\n"
            "  REGCOUNT_WORKERS      worker processes [online cores: %d]\n"
            "  REGCOUNT_API_BUDGET   seconds one API call may spend retrying [900]\n"
            "  REGCOUNT_CLOSE_WAIT   seconds to wait for an uploaded file to close [900]\n",
            default_workers());
}

static int run_entry(job_t *job, const char *entry)
{
    job_reserve_error_space(job->home);
    int rc = dx_env_init(&job->env);
    if (rc == 0)
        rc = job_input_load(job->home, &job->input);
    if (rc == 0) {
        if (strcmp(entry, "main") == 0)
            rc = entry_main(job);
        else
            rc = rc_fail(RC_EINTERNAL, "unknown entry point '%s'", entry);
    }
    if (rc == 0)
        rc = job_write_output(job->home, job->output);
    return rc;
}

int main_job(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc == 2 ? stdout : stderr);
        return argc == 2 ? EXIT_OK : EXIT_USAGE;
    }
    const char *home = getenv("HOME");
    job_t job = {.home = home && *home ? home : "."};
    const char *w = getenv("REGCOUNT_WORKERS");
    job.workers = w && atoi(w) > 0 ? atoi(w) : default_workers();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* The platform starts jobs in $HOME; paths like in/... are relative to it. */
    int rc = chdir(job.home) == 0 ? run_entry(&job, argv[1])
                                  : rc_fail_errno(RC_EINTERNAL, "cannot enter %s", job.home);
    if (rc != 0) {
        fprintf(stderr, "regcount: %s\n", rc_message());
        job_write_error(job.home, rc, rc_message());
    }
    json_decref(job.input);
    json_decref(job.output);
    dx_env_free(&job.env);
    curl_global_cleanup();
    return rc_exit_status(rc);
}
