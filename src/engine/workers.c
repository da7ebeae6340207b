/* pool.c -- forked workers with framed result pipes; see pool.h.
 *
 * Frames on a worker's result pipe: one type byte ('P' progress, 'R'
 * result), a uint64_t payload length in host byte order (both ends are the
 * same program on the same machine), then the payload.
 */
#include "workers.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc.h"
#include "fdio.h"
#include "log.h"

#define MSG_PROGRESS 'P'
#define MSG_RESULT 'R'
#define FRAME_HEADER 9
/* How much of the end of a worker's stderr goes into an error message. */
#define STDERR_TAIL 2048
/* A result larger than this is not one the tasks send. */
#define MAX_RESULT ((uint64_t)1 << 34)
/* How long stopped workers get to exit after SIGTERM before SIGKILL. */
#define KILL_GRACE 2.0

typedef struct {
    pid_t pid;
    int out_fd, err_fd; /* read ends; -1 once at end of file */
    char *buf;          /* result pipe bytes not yet parsed */
    size_t len, cap;
    size_t want;        /* bytes of the result still to come, read straight
                           into result.data (no copy of a large result) */
    char err[2 * STDERR_TAIL];
    size_t err_len;
    workers_result_t result;
    int has_result, reaped, stopped, status;
    double last_progress; /* when the worker last reported progress */
} worker_t;

/* Set by the signal handler; a process owns its signal disposition. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig) { stop_signal = sig; }

/* ---- the child side ---------------------------------------------------- */

static int write_all(int fd, const void *data, size_t len)
{
    if (fdio_write_all(fd, data, len) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot send a result to the parent process");
    return 0;
}

static int send_frame(int fd, char type, const void *data, uint64_t len)
{
    char header[FRAME_HEADER];
    header[0] = type;
    memcpy(header + 1, &len, sizeof len);
    int rc = write_all(fd, header, sizeof header);
    return rc ? rc : write_all(fd, data, len);
}

int workers_send_progress(int out_fd, uint64_t done)
{
    return send_frame(out_fd, MSG_PROGRESS, &done, sizeof done);
}

int workers_send_result(int out_fd, const void *data, size_t len)
{
    return send_frame(out_fd, MSG_RESULT, data, len);
}

/* Test hook: REGCOUNT_TEST_FAULT=<kill|abort|exit|hang>:<worker index>
 * makes that worker die by SIGKILL or SIGABRT, exit with an internal
 * error, or hang, so that the tests can show what the parent does about
 * it. */
static void test_fault(int index)
{
    const char *spec = getenv("REGCOUNT_TEST_FAULT");
    char action[16];
    int which;
    if (!spec || sscanf(spec, "%15[a-z]:%d", action, &which) != 2 || which != index)
        return;
    if (strcmp(action, "kill") == 0)
        raise(SIGKILL);
    if (strcmp(action, "abort") == 0)
        abort();
    if (strcmp(action, "exit") == 0) {
        fprintf(stderr, "regcount: worker %d: injected failure (REGCOUNT_TEST_FAULT)\n", index + 1);
        _exit(EXIT_INTERNAL);
    }
    if (strcmp(action, "hang") == 0)
        for (;;)
            pause();
}

static void run_child(const workers_spec_t *spec, int index, worker_t *w, int out_w, int err_w)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    dup2(err_w, STDERR_FILENO);
    close(err_w);
    for (int i = 0; i < index; i++) { /* the parent's ends for earlier workers */
        close(w[i].out_fd);
        close(w[i].err_fd);
    }
    test_fault(index);
    int rc = spec->task(index, spec->arg, out_w);
    if (rc != 0)
        fprintf(stderr, "regcount: %s\n", rc_message());
    fflush(stderr);
    _exit(rc_exit_status(rc));
}

/* ---- the parent side --------------------------------------------------- */

static int start_worker(const workers_spec_t *spec, int index, worker_t *w)
{
    int out[2], err[2];
    if (pipe(out) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create a pipe for worker %d", index);
    if (pipe(err) != 0) {
        close(out[0]);
        close(out[1]);
        return rc_fail_errno(RC_EINTERNAL, "cannot create a pipe for worker %d", index);
    }
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        return rc_fail_errno(RC_EINTERNAL, "cannot start worker %d", index);
    }
    if (pid == 0) {
        close(out[0]);
        close(err[0]);
        run_child(spec, index, w, out[1], err[1]);
    }
    close(out[1]);
    close(err[1]);
    w[index].pid = pid;
    w[index].out_fd = out[0];
    w[index].err_fd = err[0];
    w[index].last_progress = log_now();
    return 0;
}

/* Parse complete frames from w->buf; a frame header that cannot be one of
 * ours fails at once, before its payload would arrive. */
static int take_frames(const workers_spec_t *spec, int index, worker_t *w)
{
    size_t at = 0;
    while (w->len - at >= FRAME_HEADER) {
        uint64_t len;
        memcpy(&len, w->buf + at + 1, sizeof len);
        char type = w->buf[at];
        if ((type != MSG_PROGRESS && type != MSG_RESULT) || len > MAX_RESULT ||
            (type == MSG_PROGRESS && len != sizeof(uint64_t)) ||
            (type == MSG_RESULT && w->has_result))
            return rc_fail(RC_EINTERNAL, "worker %d sent a malformed message (type %d, %llu bytes)",
                           index + 1, (unsigned char)type, (unsigned long long)len);
        size_t have = w->len - at - FRAME_HEADER;
        if (type == MSG_PROGRESS && have < len)
            break;
        if (have > len)
            have = len;
        const char *payload = w->buf + at + FRAME_HEADER;
        if (type == MSG_PROGRESS) {
            uint64_t done;
            memcpy(&done, payload, sizeof done);
            w->last_progress = log_now();
            if (spec->progress)
                spec->progress(index, done, spec->arg);
        } else {
            if (!(w->result.data = malloc(len ? len : 1)))
                return rc_fail(RC_EINTERNAL, "out of memory for worker %d's result", index + 1);
            memcpy(w->result.data, payload, have);
            w->result.len = have;
            at += FRAME_HEADER + have;
            if (have < len) { /* the rest is read into result.data */
                w->want = len - have;
                break;
            }
            w->has_result = 1;
            continue;
        }
        at += FRAME_HEADER + len;
    }
    memmove(w->buf, w->buf + at, w->len - at);
    w->len -= at;
    return 0;
}

static int read_results(const workers_spec_t *spec, int index, worker_t *w)
{
    if (w->want) { /* the rest of a result */
        ssize_t r = read(w->out_fd, w->result.data + w->result.len, w->want);
        if (r < 0 && errno == EINTR)
            return 0;
        if (r <= 0) { /* cut short: no result, which the exit check reports */
            close(w->out_fd);
            w->out_fd = -1;
            return 0;
        }
        w->result.len += r;
        if ((w->want -= r) == 0)
            w->has_result = 1;
        return 0;
    }
    if (w->cap - w->len < 65536) {
        size_t cap = w->cap ? 2 * w->cap : 131072;
        char *buf = realloc(w->buf, cap);
        if (!buf)
            return rc_fail(RC_EINTERNAL, "out of memory for worker %d's result", index + 1);
        w->buf = buf;
        w->cap = cap;
    }
    ssize_t r = read(w->out_fd, w->buf + w->len, w->cap - w->len);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0) {
        close(w->out_fd);
        w->out_fd = -1;
        return 0;
    }
    w->len += r;
    return take_frames(spec, index, w);
}

/* Keep the last STDERR_TAIL bytes (at least) of the worker's stderr. */
static void read_stderr(worker_t *w)
{
    if (w->err_len > STDERR_TAIL) {
        memmove(w->err, w->err + w->err_len - STDERR_TAIL, STDERR_TAIL);
        w->err_len = STDERR_TAIL;
    }
    ssize_t r = read(w->err_fd, w->err + w->err_len, sizeof w->err - w->err_len);
    if (r < 0 && errno == EINTR)
        return;
    if (r <= 0) {
        close(w->err_fd);
        w->err_fd = -1;
        return;
    }
    w->err_len += r;
}

static void stop_workers(worker_t *w, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (!w[i].reaped) {
            kill(w[i].pid, sig);
            w[i].stopped = 1;
        }
}

static int failed(const worker_t *w)
{
    return !WIFEXITED(w->status) || WEXITSTATUS(w->status) != 0 || !w->has_result;
}

/* The worker's stderr on one line, its lines joined by "; ", in buf. */
static const char *stderr_line(const worker_t *w, char *buf, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < w->err_len && n + 3 < size; i++) {
        char c = w->err[i];
        if (c == '\r')
            continue;
        if (c != '\n')
            buf[n++] = c;
        else if (i + 1 < w->err_len) {
            buf[n++] = ';';
            buf[n++] = ' ';
        }
    }
    buf[n] = '\0';
    return n ? buf : "(nothing on stderr)";
}

static void describe_failure(const workers_spec_t *spec, int i, const worker_t *w, char *out, size_t size)
{
    char part[256] = "";
    if (spec->describe)
        spec->describe(i, spec->arg, part);
    char how[128];
    if (WIFSIGNALED(w->status))
        snprintf(how, sizeof how, "was killed by signal %d (%s)", WTERMSIG(w->status),
                 strsignal(WTERMSIG(w->status)));
    else if (WEXITSTATUS(w->status) != 0)
        snprintf(how, sizeof how, "failed with exit status %d", WEXITSTATUS(w->status));
    else
        snprintf(how, sizeof how, "exited without a result");
    char err[3 * STDERR_TAIL];
    snprintf(out, size, "worker %d (%s) %s: %s", i + 1, part, how, stderr_line(w, err, sizeof err));
}

/* Build the error message: every worker that failed on its own, and when
 * the run was stopped (why), the workers that were still running. */
static int report_failures(const workers_spec_t *spec, worker_t *w, const char *why)
{
    char msg[12288] = "";
    size_t len = 0;
    int all_input = why == NULL;
    if (why)
        len = snprintf(msg, sizeof msg, "%s", why);
    for (int i = 0; i < spec->n && len + 1 < sizeof msg; i++) {
        if (!failed(&w[i]))
            continue;
        int killed_by_us = w[i].stopped && WIFSIGNALED(w[i].status);
        if (killed_by_us && !why)
            continue; /* stopped because another worker failed */
        len += snprintf(msg + len, sizeof msg - len, "%s", len ? " | " : "");
        if (killed_by_us) {
            char part[256] = "";
            if (spec->describe)
                spec->describe(i, spec->arg, part);
            char err[3 * STDERR_TAIL];
            snprintf(msg + len, sizeof msg - len, "worker %d (%s) was still running: %s", i + 1,
                     part, stderr_line(&w[i], err, sizeof err));
        } else {
            all_input &= WIFEXITED(w[i].status) && WEXITSTATUS(w[i].status) == EXIT_INPUT;
            describe_failure(spec, i, &w[i], msg + len, sizeof msg - len);
        }
        len = strlen(msg);
    }
    return rc_fail(all_input ? RC_EINPUT : RC_EINTERNAL, "%s", msg);
}

static void close_pipes(worker_t *w, int n)
{
    for (int i = 0; i < n; i++) {
        if (w[i].out_fd >= 0)
            close(w[i].out_fd);
        if (w[i].err_fd >= 0)
            close(w[i].err_fd);
        w[i].out_fd = w[i].err_fd = -1;
    }
}

static void reap(worker_t *w)
{
    while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
        ;
    w->reaped = 1;
}

/* The first running worker that has not reported progress for longer than
 * spec->stall seconds, or -1. */
static int stalled_worker(const workers_spec_t *spec, const worker_t *w)
{
    double now = log_now();
    for (int i = 0; spec->stall > 0 && i < spec->n; i++)
        if (!w[i].reaped && now - w[i].last_progress > spec->stall)
            return i;
    return -1;
}

/* Poll every open pipe until all are closed, reaping each worker as its
 * pipes close; stop the rest on the first failure, a timeout, a stalled
 * worker or a signal. */
static int collect(const workers_spec_t *spec, worker_t *w, const char **why, char *why_buf)
{
    int n = spec->n, stopping = 0, stalled;
    double start = log_now(), kill_at = 0;
    struct pollfd *fds = calloc(2 * n, sizeof *fds);
    if (!fds)
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (;;) {
        int nfds = 0;
        for (int i = 0; i < n; i++) {
            if (w[i].out_fd >= 0)
                fds[nfds++] = (struct pollfd){.fd = w[i].out_fd, .events = POLLIN};
            if (w[i].err_fd >= 0)
                fds[nfds++] = (struct pollfd){.fd = w[i].err_fd, .events = POLLIN};
            if (w[i].out_fd < 0 && w[i].err_fd < 0 && !w[i].reaped) {
                reap(&w[i]);
                if (failed(&w[i]) && !stopping) {
                    stopping = 1;
                    kill_at = log_now() + KILL_GRACE;
                    stop_workers(w, n, SIGTERM);
                }
            }
        }
        if (nfds == 0)
            break;
        if (!stopping && stop_signal) {
            snprintf(why_buf, 256, "stopped by signal %d (%s)", (int)stop_signal, strsignal(stop_signal));
            *why = why_buf;
        } else if (!stopping && spec->timeout > 0 && log_now() - start > spec->timeout) {
            snprintf(why_buf, 256, "the workers did not finish within %.0f s", spec->timeout);
            *why = why_buf;
        } else if (!stopping && (stalled = stalled_worker(spec, w)) >= 0) {
            snprintf(why_buf, 256, "worker %d made no progress for %.0f s", stalled + 1, spec->stall);
            *why = why_buf;
        }
        if (*why && !stopping) {
            stopping = 1;
            kill_at = log_now() + KILL_GRACE;
            stop_workers(w, n, SIGTERM);
        }
        if (stopping && log_now() > kill_at)
            stop_workers(w, n, SIGKILL);
        if (poll(fds, nfds, 200) < 0 && errno != EINTR) {
            free(fds);
            return rc_fail_errno(RC_EINTERNAL, "poll");
        }
        for (int k = 0; k < nfds; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            for (int i = 0; i < n; i++) {
                int rc = fds[k].fd == w[i].out_fd ? read_results(spec, i, &w[i]) : 0;
                if (rc != 0) {
                    free(fds);
                    return rc;
                }
                if (fds[k].fd == w[i].err_fd)
                    read_stderr(&w[i]);
            }
        }
    }
    free(fds);
    return 0;
}

static void log_worker_stderr(worker_t *w, int n)
{
    char err[3 * STDERR_TAIL];
    for (int i = 0; i < n; i++)
        if (w[i].err_len)
            log_info("worker %d said: %s", i + 1, stderr_line(&w[i], err, sizeof err));
}

int workers_run(const workers_spec_t *spec, workers_result_t *results)
{
    int n = spec->n, rc = 0;
    worker_t *w = calloc(n, sizeof *w);
    if (!w)
        return rc_fail(RC_EINTERNAL, "out of memory");
    struct sigaction sa = {.sa_handler = on_stop_signal}, old_term, old_int;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);

    int started = 0;
    while (started < n && (rc = start_worker(spec, started, w)) == 0)
        started++;
    if (rc != 0)
        stop_workers(w, started, SIGKILL);
    workers_spec_t running = *spec;
    running.n = started;
    const char *why = NULL;
    char why_buf[256];
    int collect_rc = collect(&running, w, &why, why_buf);
    if (collect_rc != 0) {
        /* A worker may be blocked writing to a pipe nobody reads any more:
         * kill, close, then reap, so that waiting for it cannot hang. */
        stop_workers(w, started, SIGKILL);
        close_pipes(w, started);
        if (rc == 0)
            rc = collect_rc;
    }
    for (int i = 0; i < started; i++)
        if (!w[i].reaped)
            reap(&w[i]);
    if (rc == 0) {
        int any_failed = why != NULL;
        for (int i = 0; i < n; i++)
            any_failed |= failed(&w[i]);
        if (any_failed)
            rc = report_failures(spec, w, why);
        else
            log_worker_stderr(w, n);
    }
    for (int i = 0; i < n; i++) {
        free(w[i].buf);
        if (rc == 0)
            results[i] = w[i].result;
        else
            free(w[i].result.data);
    }
    free(w);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    return rc;
}

void workers_results_free(workers_result_t *results, int n)
{
    for (int i = 0; i < n; i++) {
        free(results[i].data);
        results[i].data = NULL;
    }
}
