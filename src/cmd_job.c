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
#include <utime.h>
#include <curl/curl.h>

#include "bamfile.h"
#include "commands.h"
#include "countfile.h"
#include "dxapi.h"
#include "dxfile.h"
#include "error.h"
#include "idxcount.h"
#include "jobio.h"
#include "log.h"
#include "remote.h"
#include "scan.h"
#include "stream.h"

#define BAM_INPUT "mappings_sorted_bam"
#define BAI_INPUT "mappings_sorted_bai"
/* Streaming: connections per worker and bytes per request. One connection
 * to storage is often slower than one core inflates, and a few requests in
 * flight hide each other's latency; four 4 MiB chunks per worker stay well
 * within the memory budget. */
#define DEFAULT_CONNECTIONS 4
#define DEFAULT_CHUNK_KB 4096

typedef struct {
    const char *home;
    dx_env_t env;
    json_t *input;
    json_t *output;
    int workers;     /* worker processes */
    int connections; /* download connections per worker, when streaming */
    size_t chunk;    /* bytes per download request, when streaming */
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
    /* As many parts at once as dx download fetches: min(cores, 8). */
    int connections = job->workers < 8 ? job->workers : 8;
    if (make_dirs(in->path) != 0 ||
        dx_file_download(&job->env, &in->file, in->path, connections) != 0)
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

/* What main was asked to do. */
typedef struct {
    job_file_t bam, bai;
    int have_bai;
    int from_index;     /* count_method "index" */
    int download_first; /* download the BAM and check its md5 first */
} main_inputs_t;

static int read_main_inputs(job_t *job, main_inputs_t *mi)
{
    static const char *const methods[] = {"scan", "index", NULL};
    const char *method;
    *mi = (main_inputs_t){.bam.field = BAM_INPUT, .bai.field = BAI_INPUT};
    int rc;
    if ((rc = job_input_link(job->input, BAM_INPUT, 1, &mi->bam.link, NULL)) != 0 ||
        (rc = job_input_link(job->input, BAI_INPUT, 0, &mi->bai.link, &mi->have_bai)) != 0 ||
        (rc = job_input_string(job->input, "count_method", "scan", methods, &method)) != 0 ||
        (rc = job_input_bool(job->input, "download_first", 0, &mi->download_first)) != 0)
        return rc;
    mi->from_index = strcmp(method, "index") == 0;
    if (mi->from_index && !mi->have_bai)
        return rc_fail(RC_EINPUT, "count_method index needs input %s (the BAM's index)", BAI_INPUT);
    if ((rc = describe_input(job, &mi->bam)) != 0)
        return rc;
    return mi->have_bai ? describe_input(job, &mi->bai) : 0;
}

/* Download the whole BAM (every part's md5 checked), then the BAI, so that
 * the index is not older than the data. */
static int open_downloaded(job_t *job, main_inputs_t *mi, bam_input_t *in)
{
    int rc = check_space(job->home, mi->bam.file.size + (mi->have_bai ? mi->bai.file.size : 0));
    if (rc == 0 && (rc = download_input(job, &mi->bam)) == 0 && mi->have_bai)
        rc = download_input(job, &mi->bai);
    if (rc == 0)
        rc = bam_input_open(in, mi->bam.path, mi->have_bai ? mi->bai.path : NULL, 0);
    return rc;
}

/* Download the BAI and mirror the BAM: its header and end-of-file marker
 * only (remote.h); the workers stream the rest. */
static int open_mirrored(job_t *job, main_inputs_t *mi, mirror_t *mirror, bam_input_t *in)
{
    int rc = check_space(job->home, mi->have_bai ? mi->bai.file.size : 0);
    if (rc == 0 && mi->have_bai)
        rc = download_input(job, &mi->bai);
    if (rc == 0 && (rc = make_dirs(mi->bam.path)) == 0)
        rc = mirror_open(mirror, &job->env, &mi->bam.file, mi->bam.path);
    /* The index must not look older than the data to htslib. */
    if (rc == 0 && mi->have_bai)
        utime(mi->bai.path, NULL);
    if (rc == 0 && (rc = mirror_open_bam(mirror, mi->have_bai ? mi->bai.path : NULL, in)) == 0) {
        char b[16];
        log_info("open: %s header and end-of-file marker read (%s)", mi->bam.file.name,
                 log_bytes(mirror_fetched(mirror), b));
    }
    return rc;
}

static int fetch_into_mirror(void *arg, int64_t beg, int64_t end)
{
    return mirror_fetch(arg, beg, end);
}

static int count_bam(job_t *job, main_inputs_t *mi, mirror_t *mirror, bam_input_t *in, tally_t *t)
{
    if (mi->from_index) {
        log_info("count: from the index %s (method index)", mi->bai.file.name);
        return index_count(in, mi->download_first ? NULL : fetch_into_mirror, mirror, t);
    }
    stream_opts_t so = {&job->env, &mi->bam.file, job->connections, job->chunk};
    scan_source_t stream = stream_source(&so, mi->bam.path);
    scan_opts_t opts = {.workers = job->workers, .source = mi->download_first ? NULL : &stream};
    log_info("count: %s with %d worker%s%s%s", mi->bam.file.name, job->workers,
             job->workers == 1 ? "" : "s",
             mi->download_first ? " from the downloaded file" : ", streaming from the download URL",
             in->idx ? "" : " (no index: one multi-threaded pass)");
    return scan_bam(in, &opts, t);
}

static int entry_main(job_t *job)
{
    main_inputs_t mi;
    mirror_t mirror = {.fd = -1};
    bam_input_t in = {0};
    tally_t t = {0};
    kstring_t text = {0};
    uint64_t total = 0;
    int rc = read_main_inputs(job, &mi);
    if (rc == 0)
        rc = mi.download_first ? open_downloaded(job, &mi, &in) : open_mirrored(job, &mi, &mirror, &in);
    double start = log_now();
    if (rc == 0 && (rc = count_bam(job, &mi, &mirror, &in, &t)) == 0) {
        rc = format_counts(in.hdr, &t, &text, &total);
        char b[16];
        double secs = log_now() - start;
        if (rc == 0)
            log_info("count: %" PRIu64 " reads in %.1f s (%s/s compressed)", total, secs,
                     log_bytes((uint64_t)(in.size / (secs > 0 ? secs : 1e-9)), b));
        tally_free(&t);
    }
    bam_input_close(&in);
    mirror_close(&mirror);
    char name[300];
    output_name(mi.bam.file.name ? mi.bam.file.name : "", name, sizeof name);
    if (rc == 0)
        rc = publish(job, name, &text, total);
    free(text.s);
    dx_file_free(&mi.bam.file);
    dx_file_free(&mi.bai.file);
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
            "  main     count the BAM of inputs mappings_sorted_bam (and mappings_sorted_bai);\n"
            "           count_method scan (default) or index; download_first true to\n"
            "           download the BAM and check its md5 before counting\n"
            "\n"
            "Environment (besides the platform's DX_* variables):\n"
            "  REGCOUNT_WORKERS      worker processes [online cores: %d]\n"
            "  REGCOUNT_CONNECTIONS  download connections per worker when streaming [4]\n"
            "  REGCOUNT_CHUNK_KB     kB per download request when streaming [4096]\n"
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

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? atoi(v) : def;
}

int main_job(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc == 2 ? stdout : stderr);
        return argc == 2 ? EXIT_OK : EXIT_USAGE;
    }
    const char *home = getenv("HOME");
    job_t job = {.home = home && *home ? home : "."};
    job.workers = env_int("REGCOUNT_WORKERS", default_workers());
    job.connections = env_int("REGCOUNT_CONNECTIONS", DEFAULT_CONNECTIONS);
    job.chunk = (size_t)env_int("REGCOUNT_CHUNK_KB", DEFAULT_CHUNK_KB) << 10;
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
