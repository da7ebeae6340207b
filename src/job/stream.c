/* stream.c -- workers read their byte range from the download URL; see
 * stream.h. */
#include "stream.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <htslib/hfile.h>

#include "dxfetch.h"
#include "fdio.h"
#include "htsx.h"
#include "rc.h"
#include "workq.h"

/* A record at the end of a range may lie in the block that starts there. */
#define MAX_BLOCK 65536
#define PIPE_SIZE (1 << 20)
#define STREAM_MAX_RANGES 4

/* What each connection has of its own. */
typedef struct {
    dx_env_t env;
    dxfetch_t reader;
    char *buf; /* a chunk that arrives before its turn */
} connection_t;

typedef struct {
    const stream_opts_t *opts;
    workq_t *q;
    pthread_mutex_t lock;
    pthread_cond_t turn;
    int fd;                     /* the pipe's write end; closed when all is fetched */
    int n_ranges;               /* the byte ranges, [beg, end) each, in order */
    int64_t ranges[STREAM_MAX_RANGES][2];
    int64_t first_chunk[STREAM_MAX_RANGES + 1]; /* the number of each range's first chunk */
    _Atomic int64_t next_write; /* the chunk whose bytes go into the pipe now */
    int broken;                 /* a chunk failed or the reader closed: no turn will come */
    int n_connections;
    connection_t conn[WORKQ_MAX_THREADS];
} stream_t;

/* One chunk on its way: held in buf until it is the chunk whose turn it is
 * (the head), then written to the pipe as its bytes arrive. */
typedef struct {
    stream_t *s;
    int64_t k;      /* the chunk's number */
    char *buf;
    size_t len;     /* bytes held in buf */
    size_t flushed; /* of which already written to the pipe */
    int head;       /* everything before it is written: write straight through */
} chunk_sink_t;

/* Write what the chunk holds and the pipe does not yet. A closed pipe is
 * the reader's way of saying it has all it needs: it stopped the queue
 * first, so the failure is not recorded as one. */
static int to_pipe(chunk_sink_t *c, const char *data, size_t len)
{
    if (fdio_write_all(c->s->fd, data, len) != 0)
        return rc_fail_errno(RC_EINTERNAL, "stream of %s: cannot write to the pipe",
                             c->s->opts->file->id);
    return 0;
}

static int to_chunk(void *arg, const char *data, size_t len)
{
    chunk_sink_t *c = arg;
    stream_t *s = c->s;
    if (workq_stopping(s->q))
        return rc_fail(RC_EINTERNAL, "stream of %s stopped", s->opts->file->id);
    if (!c->head && atomic_load(&s->next_write) == c->k) {
        c->head = 1;
        int rc = to_pipe(c, c->buf, c->len);
        if (rc != 0)
            return rc;
        c->flushed = c->len;
    }
    if (c->head)
        return to_pipe(c, data, len);
    memcpy(c->buf + c->len, data, len);
    c->len += len;
    return 0;
}

/* Wait until chunk k may be written; 0 if the stream is stopping. */
static int my_turn(stream_t *s, int64_t k)
{
    pthread_mutex_lock(&s->lock);
    while (s->next_write != k && !s->broken)
        pthread_cond_wait(&s->turn, &s->lock);
    int go = !s->broken;
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

/* No turn will come for the chunks not yet written: wake the connections
 * that wait for theirs. */
static void break_turns(stream_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->broken = 1;
    pthread_cond_broadcast(&s->turn);
    pthread_mutex_unlock(&s->lock);
}

/* Fetch chunk k on this thread's connection and write it in its turn. */
static int fetch_chunk(void *arg, int64_t k, int thread)
{
    stream_t *s = arg;
    connection_t *c = &s->conn[thread];
    int64_t chunk = (int64_t)s->opts->chunk;
    int r = 0;
    while (k >= s->first_chunk[r + 1])
        r++;
    int64_t a = s->ranges[r][0] + (k - s->first_chunk[r]) * chunk;
    int64_t b = a + chunk < s->ranges[r][1] ? a + chunk : s->ranges[r][1];
    chunk_sink_t sink = {.s = s, .k = k, .buf = c->buf};
    int rc = dxfetch_range(&c->reader, a, b, to_chunk, &sink);
    /* The whole chunk arrived before its turn: write it when it comes. */
    if (rc == 0 && !sink.head) {
        if (!my_turn(s, k))
            return rc_fail(RC_EINTERNAL, "stream of %s stopped", s->opts->file->id);
        rc = to_pipe(&sink, sink.buf, sink.len);
    }
    if (rc == 0)
        written(s);
    else
        break_turns(s);
    return rc;
}

/* The last connection to finish ends the data: the reader sees its end. */
static void all_fetched(void *arg)
{
    stream_t *s = arg;
    close(s->fd);
    s->fd = -1;
}

static void free_stream(stream_t *s)
{
    for (int i = 0; i < s->n_connections; i++) {
        free(s->conn[i].buf);
        dxfetch_free(&s->conn[i].reader);
        dx_env_free_copy(&s->conn[i].env);
    }
    if (s->fd >= 0)
        close(s->fd);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->turn);
    free(s);
}

static int stream_close(const scan_source_t *src, scan_input_t *in)
{
    (void)src;
    stream_t *s = in->priv;
    int rc = 0;
    if (s->q) {
        /* Stop first: the writers that then find the pipe closed are not
         * failures. */
        workq_stop(s->q);
        break_turns(s);
    }
    if (in->fp)
        bgzf_close(in->fp); /* closes the read end: writers get EPIPE */
    else if (in->fd >= 0)
        close(in->fd);
    if (s->q)
        rc = workq_join(s->q);
    free_stream(s);
    in->fp = NULL;
    in->priv = NULL;
    return rc;
}

/* The stream for the bytes of ranges[0..n-1] and its connections, started. */
static int start_stream(const stream_opts_t *o, const int64_t (*ranges)[2], int n_ranges, int fd,
                        stream_t **out)
{
    stream_t *s = calloc(1, sizeof *s);
    *out = s;
    if (!s) {
        close(fd);
        return rc_fail(RC_EINTERNAL, "out of memory");
    }
    *s = (stream_t){.opts = o, .fd = fd, .n_ranges = n_ranges};
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->turn, NULL);
    for (int r = 0; r < n_ranges; r++) {
        int64_t a = ranges[r][0], b = ranges[r][1] > a ? ranges[r][1] : a;
        s->ranges[r][0] = a;
        s->ranges[r][1] = b;
        s->first_chunk[r + 1] = s->first_chunk[r] + (b - a + (int64_t)o->chunk - 1) / (int64_t)o->chunk;
    }
    int64_t n_chunks = s->first_chunk[n_ranges];
    int n = o->connections < 1 ? 1 : o->connections > WORKQ_MAX_THREADS ? WORKQ_MAX_THREADS
                                                                          : o->connections;
    int rc = 0;
    for (; s->n_connections < n && rc == 0; s->n_connections++) {
        connection_t *c = &s->conn[s->n_connections];
        dx_env_copy(&c->env, o->env);
        dxfetch_init(&c->reader, &c->env, o->file);
        if (!(c->buf = malloc(o->chunk)))
            rc = rc_fail(RC_EINTERNAL, "out of memory for a download chunk");
    }
    workq_spec_t spec = {.threads = n, .items = n_chunks, .run = fetch_chunk,
                         .finished = all_fetched, .arg = s};
    return rc ? rc : workq_start(&spec, &s->q);
}

/* A pipe fed with the bytes of ranges[0..n-1]: its read end in in->fd.
 * (A CRAM's ranges; a BAM's one range goes on in stream_open.) */
static int open_pipe(const scan_source_t *src, const int64_t (*ranges)[2], int n, scan_input_t *in)
{
    *in = (scan_input_t){.fd = -1};
    if (n < 1 || n > STREAM_MAX_RANGES)
        return rc_fail(RC_EINTERNAL, "stream of %s: %d ranges", src->name, n);
    int fds[2];
    if (pipe(fds) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create a pipe");
    fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
    stream_t *s = NULL;
    int rc = start_stream(src->arg, ranges, n, fds[1], &s);
    if (rc != 0) {
        close(fds[0]);
        if (s)
            free_stream(s);
        return rc;
    }
    *in = (scan_input_t){.base = ranges[0][0], .fd = fds[0], .priv = s};
    return 0;
}

static int stream_open(const scan_source_t *src, uint64_t beg, uint64_t end, scan_input_t *in)
{
    const stream_opts_t *o = src->arg;
    int64_t range[1][2] = {{(int64_t)(beg >> 16), o->file->size}};
    int64_t a = range[0][0];
    if (end != ALNFILE_VOFF_END && (int64_t)(end >> 16) + ((end & 0xffff) ? MAX_BLOCK : 0) < range[0][1])
        range[0][1] = (int64_t)(end >> 16) + ((end & 0xffff) ? MAX_BLOCK : 0);
    int rc = open_pipe(src, range, 1, in);
    if (rc != 0)
        return rc;
    int fd = in->fd;
    in->fd = -1; /* the BGZF reader owns it from here */
    hFILE *h = hdopen(fd, "r");
    if (h)
        htsx_set_read_buffer(h);
    if (!h || !(in->fp = bgzf_hopen(h, "r"))) {
        if (h)
            hclose_abruptly(h);
        else
            close(fd);
        rc = stream_close(src, in);
        return rc ? rc : rc_fail(RC_EINPUT, "%s: no BGZF data at byte %lld", src->name, (long long)a);
    }
    /* The stream starts at the block; the record starts inside it. */
    char skip[MAX_BLOCK];
    size_t off = beg & 0xffff;
    if (off && bgzf_read(in->fp, skip, off) != (ssize_t)off) {
        rc = stream_close(src, in);
        return rc ? rc : rc_fail(RC_EINPUT, "%s: cannot read the block at byte %lld", src->name, (long long)a);
    }
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
    char hex[33];
    int match = 1;
    int rc = md5 ? dxfetch_part(&r, i, NULL, NULL, md5, &match, hex)
                 : rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0 && !match)
        rc = rc_fail(RC_EINTERNAL,
                     "download of %s (%s): part %d does not match its md5 (%s, expected %s) "
                     "after the data failed to read twice",
                     f->id, f->name, i + 1, hex, f->parts[i].md5);
    if (md5)
        hts_md5_destroy(md5);
    dxfetch_free(&r);
    dx_env_free_copy(&env);
    return rc;
}

scan_source_t stream_source(const stream_opts_t *opts, const char *name)
{
    return (scan_source_t){.open = stream_open, .open_ranges = open_pipe,
                           .close = stream_close, .verify = stream_verify,
                           .name = name, .arg = (void *)opts};
}
