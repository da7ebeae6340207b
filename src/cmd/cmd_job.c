/* cmd_job.c -- `regcount job <entry point>`: run as a DNAnexus job.
 *
 * Sets up the job (its environment, ~/job_input.json, space reserved for
 * an error report), runs the entry point (job.h) and writes
 * ~/job_output.json, or on any failure ~/job_error.json: AppError when the
 * input is at fault, AppInternalError otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <curl/curl.h>

#include "commands.h"
#include "job.h"
#include "opt.h"
#include "rc.h"

/* Streaming: connections per worker and bytes per request. One connection
 * to storage is often slower than one core inflates, and a few requests in
 * flight hide each other's latency; four 4 MiB chunks per worker stay well
 * within the memory budget. */
#define DEFAULT_CONNECTIONS 4
#define DEFAULT_CHUNK_KB 4096
/* A worker that reports no progress for this long is hung (it reports
 * every 65536 records, every few MB). */
#define DEFAULT_STALL 600
/* The longest any time setting may be: a week. */
#define MAX_SECONDS (7 * 86400.0)

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
            "  main     count the BAM or CRAM of input mappings_sorted_bam (and\n"
            "           mappings_sorted_bai), or the files of input mappings (with\n"
            "           indexes); count_method scan (default) or index; download_first\n"
            "           true to download each file and check its md5 before counting\n"
            "  count_part, gather            a file's parts over subjobs (input subjobs)\n"
            "  count_samples, gather_samples the files of mappings over subjobs\n"
            "\n"
            "Environment (besides the platform's DX_* variables):\n"
            "  REGCOUNT_WORKERS      worker processes [online cores: %d]\n"
            "  REGCOUNT_CONNECTIONS  download connections per worker when streaming [4]\n"
            "  REGCOUNT_CHUNK_KB     kB per download request when streaming [4096]\n"
            "  REGCOUNT_TIMEOUT      seconds the count may take [0: no limit]\n"
            "  REGCOUNT_STALL_TIMEOUT  seconds a worker may go without progress [600]\n"
            "  REGCOUNT_API_BUDGET   seconds one API call may spend retrying [900]\n"
            "  REGCOUNT_RETRY_WAIT   seconds of the first back-off before a retry [1]\n"
            "  REGCOUNT_CLOSE_WAIT   seconds to wait for an uploaded file to close [900]\n"
            "A bad value is an error, never replaced by the default.\n",
            opt_online_cores());
}

/* The REGCOUNT_* settings (the usage above lists them), into job and its
 * environment. */
static int read_settings(job_t *job)
{
    long long workers = 1, connections = 1, chunk_kb = 64;
    dx_env_t *env = &job->env;
    int rc = opt_env_int("REGCOUNT_WORKERS", opt_online_cores(), 1, 1024, &workers);
    if (rc == 0)
        rc = opt_env_int("REGCOUNT_CONNECTIONS", DEFAULT_CONNECTIONS, 1, 16, &connections);
    if (rc == 0)
        rc = opt_env_int("REGCOUNT_CHUNK_KB", DEFAULT_CHUNK_KB, 64, 1 << 20, &chunk_kb);
    if (rc == 0)
        rc = opt_env_seconds("REGCOUNT_TIMEOUT", 0, MAX_SECONDS, &job->timeout);
    if (rc == 0)
        rc = opt_env_seconds("REGCOUNT_STALL_TIMEOUT", DEFAULT_STALL, MAX_SECONDS, &job->stall);
    if (rc == 0)
        rc = opt_env_seconds("REGCOUNT_API_BUDGET", env->budget, MAX_SECONDS, &env->budget);
    if (rc == 0)
        rc = opt_env_seconds("REGCOUNT_RETRY_WAIT", env->retry_wait, 3600, &env->retry_wait);
    if (rc == 0)
        rc = opt_env_seconds("REGCOUNT_CLOSE_WAIT", env->close_wait, MAX_SECONDS, &env->close_wait);
    job->workers = (int)workers;
    job->connections = (int)connections;
    job->chunk = (size_t)chunk_kb << 10;
    return rc;
}

static int run_entry(job_t *job, const char *entry)
{
    jobio_reserve_error_space(job->home);
    int rc = dx_env_init(&job->env);
    if (rc == 0)
        rc = read_settings(job);
    if (rc == 0)
        rc = jobio_load_input(job->home, &job->input);
    if (rc == 0) {
        if (strcmp(entry, "main") == 0)
            rc = job_main(job);
        else if (strcmp(entry, "count_part") == 0)
            rc = job_scatter_part(job);
        else if (strcmp(entry, "gather") == 0)
            rc = job_scatter_gather(job);
        else if (strcmp(entry, "count_samples") == 0)
            rc = job_cohort_count(job);
        else if (strcmp(entry, "gather_samples") == 0)
            rc = job_cohort_gather(job);
        else
            rc = rc_fail(RC_EINTERNAL, "unknown entry point '%s'", entry);
    }
    if (rc == 0 && (rc = jobio_write_output(job->home, job->output)) == 0)
        jobio_release_error_space(job->home);
    return rc;
}

/* The process holds the job's token: no core dump may carry it away, and
 * no other process of the user may read its memory. */
static void keep_token_out_of_dumps(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0);
}

int main_job(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc == 2 ? stdout : stderr);
        return argc == 2 ? EXIT_OK : EXIT_USAGE;
    }
    const char *home = getenv("HOME");
    job_t job = {.home = home && *home ? home : "."};
    keep_token_out_of_dumps();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* The platform starts jobs in $HOME; paths like in/... are relative to it. */
    int rc = chdir(job.home) == 0 ? run_entry(&job, argv[1])
                                  : rc_fail_errno(RC_EINTERNAL, "cannot enter %s", job.home);
    if (rc != 0) {
        fprintf(stderr, "regcount: %s\n", rc_message());
        jobio_write_error(job.home, rc, rc_message());
    }
    json_decref(job.input);
    json_decref(job.output);
    dx_env_free(&job.env);
    curl_global_cleanup();
    return rc_exit_status(rc);
}
