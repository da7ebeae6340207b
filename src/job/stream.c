/* stream.c -- workers read their byte range from the download URL; see
 * stream.h. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>

#include "rc.h"
#include "fdio.h"
#include "plan.h"

#define MAX_CONNECTIONS 16
/* A record at the end of a range may lie in the block that starts there. */
#define MAX_BLOCK 65536
#define PIPE_SIZE (1 << 20)
/* What a chunk sink returns when the stream is being closed. */
#define STOPPED 1

typedef struct {
    const stream_opts_t *opts;
    pthread_mutex_t lock;
    pthread_cond_t turn;
    int fd;              /* the pipe's write end; the last thread closes it */
    int64_t beg, end;    /* the byte range */
    int64_t n_chunks, next_claim;
    _Atomic int64_t next_write; /* the chunk whose bytes go into the pipe now */
    atomic_int stopping;
    int active, n_threads, failed, err_kind;
    char err[4096];
    pthread_t threads[MAX_CONNECTIONS];
} stream_t;

/* One chunk on its way: held in buf until it is the chunk whose turn it is
 * (the head), then written to the pipe as its bytes arrive. */
typedef struct {
    stream_t *s;
    int64_t k;     /* the chunk's number */
    char *buf;
    size_t len;    /* bytes held in buf */
    size_t flushed; /* of which already written to the pipe */
    int head;      /* everything before it is written: write straight through */
} chunk_sink_t;

/* Write what buf holds and not yet the pipe. -1 when the pipe is closed. */
static int flush_chunk(chunk_sink_t *c)
{
    if (fdio_write_all(c->s->fd, c->buf + c->flushed, c->len - c->flushed) != 0)
        return -1;
    c->flushed = c->len;
    return 0;
}

static int to_chunk(void *arg, const char *data, size_t len)
{
    chunk_sink_t *c = arg;
    stream_t *s = c->s;
    if (atomic_load(&s->stopping))
        return STOPPED;
    if (!c->head && atomic_load(&s->next_write) == c->k) {
        c->head = 1;
        if (flush_chunk(c) != 0)
            return STOPPED;
    }
    if (!c->head) {
        memcpy(c->buf + c->len, data, len);
        c->len += len;
        return 0;
    }
    /* EPIPE: the counting thread has all it needs and closed its end. */
    return fdio_write_all(s->fd, data, len) == 0 ? 0 : STOPPED;
}

/* Stop every thread; the first failure's message is kept. */
static void stop(stream_t *s, int kind, const char *message)
{
    pthread_mutex_lock(&s->lock);
    if (message && !s->failed) {
        s->failed = 1;
        s->err_kind = kind;
        snprintf(s->err, sizeof s->err, "%s", message);
    }
    atomic_store(&s->stopping, 1);
    pthread_cond_broadcast(&s->turn);
    pthread_mutex_unlock(&s->lock);
}

/* Wait until chunk k may be written; 0 if the stream is stopping. */
static int my_turn(stream_t *s, int64_t k)
{
    pthread_mutex_lock(&s->lock);
    while (s->next_write != k && !atomic_load(&s->stopping))
        pthread_cond_wait(&s->turn, &s->lock);
    int go = !atomic_load(&s->stopping);
    pthread_mutex_unlock(&s->lock);
    return go;
}

static void written(stream_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->next_write++;
    pthread_cond_broadcast(&s->turn);
    pthread_mutex_unlock(&s->lock);
}

static int64_t claim(stream_t *s)
{
    pthread_mutex_lock(&s->lock);
    int64_t k = !atomic_load(&s->stopping) && s->next_claim < s->n_chunks ? s->next_claim++ : -1;
    pthread_mutex_unlock(&s->lock);
    return k;
}

/* One connection: fetch the chunks it claims and write each in its turn. */
static void *fetch_chunks(void *arg)
{
    stream_t *s = arg;
    const stream_opts_t *o = s->opts;
    dx_env_t env;
    dx_env_copy(&env, o->env);
    dxfetch_t r;
    dxfetch_init(&r, &env, o->file);
    chunk_sink_t sink = {.s = s, .buf = malloc(o->chunk)};
    if (!sink.buf)
        stop(s, RC_EINTERNAL, "out of memory for a download chunk");
    for (int64_t k; sink.buf && (k = claim(s)) >= 0;) {
        int64_t a = s->beg + k * (int64_t)o->chunk;
        int64_t b = a + (int64_t)o->chunk < s->end ? a + (int64_t)o->chunk : s->end;
        sink.k = k;
        sink.len = sink.flushed = 0;
        sink.head = 0;
        int rc = dxfetch_range(&r, a, b, to_chunk, &sink);
        if (rc != 0) {
            if (rc != STOPPED)
                stop(s, rc, rc_message());
            else if (!atomic_load(&s->stopping))
                stop(s, 0, NULL); /* the pipe is closed */
            break;
        }
        /* The whole chunk arrived before its turn: write it when it comes. */
        if (!sink.head && (!my_turn(s, k) || flush_chunk(&sink) != 0)) {
            stop(s, 0, NULL);
            break;
        }
        written(s);
    }
    free(sink.buf);
    dxfetch_free(&r);
    dx_env_free_copy(&env);
    pthread_mutex_lock(&s->lock);
    if (--s->active == 0) {
        close(s->fd);
        s->fd = -1;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void free_stream(stream_t *s)
{
    if (s->fd >= 0)
        close(s->fd);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->turn);
    free(s);
}

static int start_threads(stream_t *s, int wanted)
{
    int n = wanted < 1 ? 1 : wanted > MAX_CONNECTIONS ? MAX_CONNECTIONS : wanted;
    if (n > s->n_chunks)
        n = (int)s->n_chunks;
    s->active = n;
    if (n == 0) { /* nothing to fetch */
        close(s->fd);
        s->fd = -1;
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&s->threads[i], NULL, fetch_chunks, s) != 0) {
            pthread_mutex_lock(&s->lock);
            s->active -= n - i;
            if (s->active == 0) {
                close(s->fd);
                s->fd = -1;
            }
            pthread_mutex_unlock(&s->lock);
            stop(s, RC_EINTERNAL, "cannot start a download thread");
            break;
        }
        s->n_threads++;
    }
    return 0;
}

static int stream_close(const scan_source_t *src, scan_input_t *in)
{
    (void)src;
    stream_t *s = in->priv;
    if (in->fp)
        bgzf_close(in->fp); /* closes the read end: writers get EPIPE */
    stop(s, 0, NULL);
    for (int i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    int rc = s->failed ? rc_fail(s->err_kind, "%s", s->err) : 0;
    free_stream(s);
    in->fp = NULL;
    in->priv = NULL;
    return rc;
}

static int stream_open(const scan_source_t *src, uint64_t beg, uint64_t end, scan_input_t *in)
{
    const stream_opts_t *o = src->arg;
    int64_t a = (int64_t)(beg >> 16), b = o->file->size;
    if (end != PLAN_EOF && (int64_t)(end >> 16) + ((end & 0xffff) ? MAX_BLOCK : 0) < b)
        b = (int64_t)(end >> 16) + ((end & 0xffff) ? MAX_BLOCK : 0);
    int fds[2];
    if (pipe(fds) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create a pipe");
    fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
    stream_t *s = calloc(1, sizeof *s);
    if (!s) {
        close(fds[0]), close(fds[1]);
        return rc_fail(RC_EINTERNAL, "out of memory");
    }
    *s = (stream_t){.opts = o, .fd = fds[1], .beg = a, .end = b > a ? b : a};
    s->n_chunks = (s->end - s->beg + (int64_t)o->chunk - 1) / (int64_t)o->chunk;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->turn, NULL);
    start_threads(s, o->connections);
    *in = (scan_input_t){.base = a, .priv = s};
    hFILE *h = hdopen(fds[0], "r");
    if (h)
        scan_set_read_buffer(h);
    if (!h || !(in->fp = bgzf_hopen(h, "r"))) {
        if (h)
            hclose_abruptly(h);
        else
            close(fds[0]);
        int rc = stream_close(src, in);
        return rc ? rc : rc_fail(RC_EINPUT, "%s: no BGZF data at byte %lld", src->name, (long long)a);
    }
    /* The stream starts at the block; the record starts inside it. */
    char skip[MAX_BLOCK];
    size_t off = beg & 0xffff;
    if (off && bgzf_read(in->fp, skip, off) != (ssize_t)off) {
        int rc = stream_close(src, in);
        return rc ? rc : rc_fail(RC_EINPUT, "%s: cannot read the block at byte %lld", src->name, (long long)a);
    }
    return 0;
}

static int to_md5(void *arg, const char *data, size_t len)
{
    hts_md5_update(arg, data, (unsigned long)len);
    return 0;
}

/* Fetch the platform part that holds byte at and compare it with its md5. */
static int stream_verify(const scan_source_t *src, int64_t at)
{
    const stream_opts_t *o = src->arg;
    const dxfile_t *f = o->file;
    int64_t off = 0;
    int i = 0;
    while (i < f->n_parts && off + f->parts[i].size <= at)
        off += f->parts[i++].size;
    if (i == f->n_parts || !*f->parts[i].md5)
        return 0; /* nothing to check against: the read error stands */
    dx_env_t env;
    dx_env_copy(&env, o->env);
    dxfetch_t r;
    dxfetch_init(&r, &env, f);
    hts_md5_context *md5 = hts_md5_init();
    int rc = md5 ? dxfetch_range(&r, off, off + f->parts[i].size, to_md5, md5)
                 : rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0) {
        unsigned char digest[16];
        char hex[33];
        hts_md5_final(digest, md5);
        hts_md5_hex(hex, digest);
        if (strcmp(hex, f->parts[i].md5) != 0)
            rc = rc_fail(RC_EINTERNAL,
                         "download of %s (%s): part %d does not match its md5 (%s, expected %s) "
                         "after the data failed to read twice",
                         f->id, f->name, i + 1, hex, f->parts[i].md5);
    }
    if (md5)
        hts_md5_destroy(md5);
    dxfetch_free(&r);
    dx_env_free_copy(&env);
    return rc;
}

scan_source_t stream_source(const stream_opts_t *opts, const char *name)
{
    return (scan_source_t){.open = stream_open, .close = stream_close, .verify = stream_verify,
                           .name = name, .arg = (void *)opts};
}
