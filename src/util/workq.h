/* workq.h -- a few threads that take numbered items in order, as
 * minimap2's kt_for does, and keep the first failure.
 *
 * Each thread calls run(arg, item, thread) for the next item not yet taken,
 * until none is left, the owner stops the queue, or an item fails. The first
 * failure's kind and message (rc.h; recorded by the thread that failed) are
 * kept and handed to the thread that joins the queue. Failures after the
 * owner stopped the queue are not failures: the owner no longer wants the
 * results (a stream whose reader has all it needs, say).
 */
#ifndef RC_WORKQ_H
#define RC_WORKQ_H

#include <stdint.h>

typedef struct {
    int threads;      /* at most WORKQ_MAX_THREADS; at most one per item */
    int64_t items;
    /* Returns 0, or an error kind with the message recorded. thread is
     * 0..threads-1, for per-thread state the caller keeps. */
    int (*run)(void *arg, int64_t item, int thread);
    /* Called once, by the last thread to finish (may be NULL). */
    void (*finished)(void *arg);
    void *arg;
} workq_spec_t;

#define WORKQ_MAX_THREADS 16

typedef struct workq workq_t;

/* Start the threads. Returns 0 and *q, or RC_EINTERNAL (nothing started:
 * finished is not called). A spec with no items starts no thread and calls
 * finished at once. */
int workq_start(const workq_spec_t *spec, workq_t **q);

/* Hand out no more items; those under way finish. */
void workq_stop(workq_t *q);

/* 1 once the queue was stopped or an item failed. */
int workq_stopping(workq_t *q);

/* Wait for every thread and free q. Returns 0, or the kind of the first
 * failure with its message recorded in the calling thread. */
int workq_join(workq_t *q);

/* workq_start and workq_join. */
int workq_run(const workq_spec_t *spec);

#endif
