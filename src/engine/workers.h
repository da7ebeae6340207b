/* pool.h -- run tasks in forked worker processes and collect their results.
 *
 * Each task runs in a child process of its own (fork, no exec) and sends
 * framed messages to the parent through a pipe: progress notes while it
 * works and one result at the end. The parent reads every worker's messages
 * and stderr as they arrive, waits for every child and checks each exit
 * status and terminating signal. When one worker fails, the others are
 * stopped and the error message names the failed worker, its task and what
 * it wrote to stderr. SIGTERM or SIGINT to the parent stops every worker.
 */
#ifndef RC_POOL_H
#define RC_POOL_H

#include <stddef.h>
#include <stdint.h>

/* Runs in the child. Sends its result with workers_send_result(out_fd, ...)
 * and returns 0, or an error kind with the message recorded (error.h). */
typedef int (*workers_task_fn)(int index, void *arg, int out_fd);

/* Parent side: a worker reported progress (a count of its own units). */
typedef void (*workers_progress_fn)(int index, uint64_t done, void *arg);

/* Parent side: "part 2 of 4: ..." for the error message; buf holds 256. */
typedef const char *(*workers_describe_fn)(int index, void *arg, char buf[256]);

typedef struct {
    int n;                    /* tasks, one worker each */
    workers_task_fn task;
    workers_progress_fn progress; /* may be NULL */
    workers_describe_fn describe; /* may be NULL */
    void *arg;
    double timeout;           /* seconds for the whole run; 0 for none */
    double stall;             /* seconds a worker may go without reporting
                                 progress (a hung worker); 0 for no limit */
} workers_spec_t;

typedef struct {
    char *data; /* the worker's result message, malloc'd */
    size_t len;
} workers_result_t;

/* Run spec->n tasks at once and fill results[0..n-1]. Returns 0 when every
 * worker exited 0 after sending a result; otherwise an error kind: RC_EINPUT
 * when every failed worker reported bad input, else RC_EINTERNAL. */
int workers_run(const workers_spec_t *spec, workers_result_t *results);

void workers_results_free(workers_result_t *results, int n);

/* In a task: send progress, or the result (once). Return 0 or RC_EINTERNAL. */
int workers_send_progress(int out_fd, uint64_t done);
int workers_send_result(int out_fd, const void *data, size_t len);

#endif
