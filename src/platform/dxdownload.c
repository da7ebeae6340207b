/* dxdownload.c -- a whole file to a local path; see dxdownload.h. */
#include "dxdownload.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dxfetch.h"
#include "log.h"
#include "rc.h"
#include "workq.h"

#define PART_MD5_TRIES 3
#define MAX_DOWNLOAD_THREADS 8

/* What each download thread has of its own: a connection, a reader and an
 * md5 context. */
typedef struct {
    dx_env_t env;
    dxfetch_t reader;
    hts_md5_context *md5;
} thread_state_t;

typedef struct {
    const dxfile_t *f;
    const char *path;
    int fd;
    thread_state_t *threads;
} download_t;

static int download_part(void *arg, int64_t i, int thread)
{
    download_t *d = arg;
    thread_state_t *t = &d->threads[thread];
    int64_t off = 0;
    for (int k = 0; k < i; k++)
        off += d->f->parts[k].size;
    for (int try = 1; try <= PART_MD5_TRIES; try++) {
        dxfetch_file_sink_t sink = {.fd = d->fd, .off = off, .path = d->path};
        char hex[33];
        int match, rc = dxfetch_part(&t->reader, (int)i, dxfetch_to_file, &sink, t->md5, &match, hex);
        if (rc != 0 || match)
            return rc;
        log_info("download of %s part %d: md5 %s, expected %s; fetching it again", d->f->id,
                 (int)i + 1, hex, d->f->parts[i].md5);
    }
    return rc_fail(RC_EINTERNAL, "download of %s (%s): part %d does not match its md5 after %d tries",
                   d->f->id, d->f->name, (int)i + 1, PART_MD5_TRIES);
}

/* The parts, up to connections at once; the GET requests made into
 * *requests. */
static int download_parts(dx_env_t *env, download_t *d, int connections, int *requests)
{
    int n = connections < 1 ? 1 : connections > MAX_DOWNLOAD_THREADS ? MAX_DOWNLOAD_THREADS
                                                                      : connections;
    thread_state_t t[MAX_DOWNLOAD_THREADS];
    int rc = 0, ready = 0;
    for (; ready < n && rc == 0; ready++) {
        dx_env_copy(&t[ready].env, env);
        dxfetch_init(&t[ready].reader, &t[ready].env, d->f);
        if (!(t[ready].md5 = hts_md5_init()))
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    }
    d->threads = t;
    workq_spec_t spec = {.threads = n, .items = d->f->n_parts, .run = download_part, .arg = d};
    if (rc == 0)
        rc = workq_run(&spec);
    *requests = 0;
    for (int i = 0; i < ready; i++) {
        *requests += t[i].reader.requests;
        if (t[i].md5)
            hts_md5_destroy(t[i].md5);
        dxfetch_free(&t[i].reader);
        dx_env_free_copy(&t[i].env);
    }
    return rc;
}

int dxdownload_file(dx_env_t *env, const dxfile_t *f, const char *path, int connections)
{
    double start = log_now();
    download_t d = {.f = f, .path = path};
    if ((d.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create %s", path);
    int requests = 0, unchecked = 0;
    for (int i = 0; i < f->n_parts; i++)
        unchecked += !*f->parts[i].md5;
    int rc = download_parts(env, &d, connections, &requests);
    /* No fsync: a job that dies is started again from scratch. */
    if (close(d.fd) != 0 && rc == 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", path);
    if (rc == 0) {
        double t = log_now() - start;
        char b1[16], b2[16];
        log_info("download: %s (%s) %s in %.1f s, %s/s, %d request%s%s", f->id, f->name,
                 log_bytes(f->size, b1), t, log_bytes((uint64_t)(f->size / (t > 0 ? t : 1e-9)), b2),
                 requests, requests == 1 ? "" : "s",
                 unchecked ? "; some parts have no md5 and were not checked" : "");
    }
    return rc;
}
