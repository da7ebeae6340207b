/* workq.c -- threads that take numbered items; see workq.h. */
#include "workq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "rc.h"

struct workq {
    workq_spec_t spec;
    pthread_mutex_t lock;
    int64_t next;
    atomic_int stopping;
    int stopped_by_owner, failed, err_kind, running, n_started;
    char err[4096];
    pthread_t threads[WORKQ_MAX_THREADS];
    struct slot {
        workq_t *q;
        int id;
    } slots[WORKQ_MAX_THREADS];
};

static int64_t take(workq_t *q)
{
    pthread_mutex_lock(&q->lock);
    int64_t i = !atomic_load(&q->stopping) && q->next < q->spec.items ? q->next++ : -1;
    pthread_mutex_unlock(&q->lock);
    return i;
}

static void fail(workq_t *q, int kind)
{
    pthread_mutex_lock(&q->lock);
    if (!q->failed && !q->stopped_by_owner) {
        q->failed = 1;
        q->err_kind = kind;
        snprintf(q->err, sizeof q->err, "%s", rc_message());
    }
    atomic_store(&q->stopping, 1);
    pthread_mutex_unlock(&q->lock);
}

/* The last thread to leave calls finished. */
static void leave(workq_t *q)
{
    pthread_mutex_lock(&q->lock);
    int last = --q->running == 0;
    pthread_mutex_unlock(&q->lock);
    if (last && q->spec.finished)
        q->spec.finished(q->spec.arg);
}

static void *worker(void *arg)
{
    struct slot *slot = arg;
    workq_t *q = slot->q;
    for (int64_t i; (i = take(q)) >= 0;) {
        int rc = q->spec.run(q->spec.arg, i, slot->id);
        if (rc != 0) {
            fail(q, rc);
            break;
        }
    }
    leave(q);
    return NULL;
}

int workq_start(const workq_spec_t *spec, workq_t **out)
{
    workq_t *q = calloc(1, sizeof *q);
    if (!q)
        return rc_fail(RC_EINTERNAL, "out of memory");
    q->spec = *spec;
    pthread_mutex_init(&q->lock, NULL);
    int n = spec->threads < 1 ? 1 : spec->threads > WORKQ_MAX_THREADS ? WORKQ_MAX_THREADS
                                                                       : spec->threads;
    if (n > spec->items)
        n = (int)(spec->items > 0 ? spec->items : 0);
    q->running = n;
    *out = q;
    if (n == 0) {
        if (spec->finished)
            spec->finished(spec->arg);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        q->slots[i] = (struct slot){q, i};
        if (pthread_create(&q->threads[i], NULL, worker, &q->slots[i]) != 0) {
            /* The threads that did start do the work; the others never run. */
            pthread_mutex_lock(&q->lock);
            q->running -= n - i;
            int none = q->running == 0;
            pthread_mutex_unlock(&q->lock);
            if (i == 0) {
                pthread_mutex_destroy(&q->lock);
                free(q);
                *out = NULL;
                return rc_fail(RC_EINTERNAL, "cannot start a thread");
            }
            if (none && spec->finished)
                spec->finished(spec->arg);
            break;
        }
        q->n_started++;
    }
    return 0;
}

void workq_stop(workq_t *q)
{
    pthread_mutex_lock(&q->lock);
    q->stopped_by_owner = 1;
    atomic_store(&q->stopping, 1);
    pthread_mutex_unlock(&q->lock);
}

int workq_stopping(workq_t *q) { return atomic_load(&q->stopping); }

int workq_join(workq_t *q)
{
    for (int i = 0; i < q->n_started; i++)
        pthread_join(q->threads[i], NULL);
    int rc = q->failed ? rc_fail(q->err_kind, "%s", q->err) : 0;
    pthread_mutex_destroy(&q->lock);
    free(q);
    return rc;
}

int workq_run(const workq_spec_t *spec)
{
    workq_t *q;
    int rc = workq_start(spec, &q);
    return rc ? rc : workq_join(q);
}
