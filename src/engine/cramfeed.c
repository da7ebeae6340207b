/* cramfeed.c -- a part of a CRAM as a whole CRAM, checked; see cramfeed.h. */
#include "cramfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cramhdr.h"
#include "fdio.h"
#include "rc.h"
#include "workq.h"

#define FILE_DEFINITION 26 /* "CRAM", major, minor, a 20-byte file id */
#define MAX_CONTAINER (1 << 30)
#define PIPE_SIZE (1 << 20)

struct cramfeed {
    const cramfeed_spec_t *spec;
    int write_fd;       /* the pipe's write end, closed once all is written */
    uint8_t *buf;       /* bytes from offset at on: have of them */
    size_t have, size;
    int64_t at;
    int64_t next_index; /* the next container the index lists, in crai->containers */
    cramfeed_result_t res;
    workq_t *q;
};

/* ---- reading ------------------------------------------------------------ */

/* Make buf hold n bytes from at, reading no further than end. */
static int want(struct cramfeed *f, size_t n, int64_t end)
{
    const cramfeed_spec_t *s = f->spec;
    if (f->at + (int64_t)n > end)
        return rc_fail(RC_EINPUT, "%s: the container at byte %" PRId64 " runs past byte %" PRId64
                       " (a corrupt or truncated file, or an index that does not belong to it)",
                       s->path, f->at, end);
    if (n > f->size) {
        size_t m = n < 2 * f->size ? 2 * f->size : n;
        uint8_t *b = realloc(f->buf, m);
        if (!b)
            return rc_fail(RC_EINTERNAL, "out of memory for a CRAM container of %zu bytes", n);
        f->buf = b;
        f->size = m;
    }
    while (f->have < n) {
        size_t need = n - f->have;
        int64_t off = f->at + (int64_t)f->have;
        ssize_t got = s->fd_is_file ? pread(s->fd, f->buf + f->have, need, off)
                                    : read(s->fd, f->buf + f->have, need);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return rc_fail_errno(RC_EINPUT, "cannot read %s at byte %" PRId64, s->path, off);
        if (got == 0)
            return rc_fail(RC_EINPUT, "%s: unexpected end of data at byte %" PRId64, s->path, off);
        f->have += (size_t)got;
    }
    return 0;
}

/* The first n bytes of buf are done with: drop them. */
static void consume(struct cramfeed *f, size_t n)
{
    memmove(f->buf, f->buf + n, f->have - n);
    f->have -= n;
    f->at += (int64_t)n;
}

static int to_pipe(struct cramfeed *f, size_t n)
{
    if (fdio_write_all(f->write_fd, f->buf, n) != 0)
        return rc_fail_errno(RC_EINTERNAL, "%s: cannot write to the pipe", f->spec->path);
    return 0;
}

/* ---- checks ------------------------------------------------------------- */

static int check_file_definition(struct cramfeed *f)
{
    int rc = want(f, FILE_DEFINITION, f->spec->ranges[CRAMFEED_HEADER][1]);
    if (rc == 0 && (memcmp(f->buf, "CRAM", 4) != 0 || f->buf[4] != f->spec->major))
        rc = rc_fail(RC_EINPUT, "%s: the CRAM file definition has changed since the file was "
                     "opened", f->spec->path);
    if (rc == 0 && (rc = to_pipe(f, FILE_DEFINITION)) == 0)
        consume(f, FILE_DEFINITION);
    return rc;
}

/* A container of the part must start where the index says one starts, and
 * hold the reference it says. */
static int check_against_index(struct cramfeed *f, const cramhdr_t *h)
{
    const crai_t *c = f->spec->crai;
    const char *path = f->spec->path;
    if (f->next_index >= c->n_containers || c->containers[f->next_index] != f->at)
        return rc_fail(RC_EINPUT, "%s: the index lists no container at byte %" PRId64 ", where one "
                       "starts: the index does not belong to this CRAM", path, f->at);
    f->next_index++;
    int64_t first, last;
    crai_range(c, f->at, f->at + 1, &first, &last);
    for (int64_t i = first; i < last && h->ref_id != -2; i++)
        if (c->e[i].ref_id != h->ref_id)
            return rc_fail(RC_EINPUT, "%s: the container at byte %" PRId64 " holds reference id %d, "
                           "the index says %d: the index does not belong to this CRAM", path,
                           f->at, h->ref_id, c->e[i].ref_id);
    return 0;
}

/* Check the container at f->at (within [.., end)) and pass it on. header:
 * the header container; in_part: a container of the part, first: its
 * first, where the index says a container starts. */
static int feed_container(struct cramfeed *f, int64_t end, int header, int in_part, int first)
{
    const cramfeed_spec_t *s = f->spec;
    char what[512];
    snprintf(what, sizeof what, "%s: the container at byte %" PRId64, s->path, f->at);
    cramhdr_t h;
    size_t n = CRAMHDR_USUAL_SIZE;
    int r = 0, rc = 0;
    if ((int64_t)n > end - f->at)
        n = (size_t)(end - f->at);
    while ((rc = want(f, n, end)) == 0 && (r = cramhdr_parse(f->buf, f->have, s->major, what, &h)) == 0)
        n = f->at + (int64_t)(2 * n) > end ? (size_t)(end - f->at) + 1 : 2 * n;
    if (rc == 0 && r < 0)
        rc = first && s->crai
                 ? rc_fail(RC_EINPUT, "%s: no container can be read at byte %" PRId64 ", where the "
                           "index says one starts: the index does not belong to this CRAM (or the "
                           "CRAM is corrupt there)", s->path, f->at)
                 : r;
    if (rc == 0 && (int64_t)h.length > MAX_CONTAINER)
        rc = rc_fail(RC_EINPUT, "%s holds %d bytes: not a CRAM container", what, h.length);
    if (rc == 0 && in_part && s->crai)
        rc = check_against_index(f, &h);
    size_t total = (size_t)h.size + (size_t)h.length;
    if (rc == 0)
        rc = want(f, total, end);
    if (rc == 0)
        rc = cramhdr_check_blocks(f->buf + h.size, (size_t)h.length, s->major, h.n_blocks, header,
                                  what);
    if (rc == 0 && in_part) {
        f->res.containers++;
        f->res.records += h.n_records;
        if (s->single_ref_records && h.ref_id >= 0 && h.ref_id < s->n_targets)
            s->single_ref_records[h.ref_id] += (uint64_t)h.n_records;
    }
    if (rc == 0)
        rc = to_pipe(f, total);
    if (rc == 0)
        consume(f, total);
    else if (f->res.failed_at < 0)
        f->res.failed_at = f->at;
    return rc;
}

static int feed_range(struct cramfeed *f, int which)
{
    const int64_t *range = f->spec->ranges[which];
    f->at = range[0];
    f->have = 0;
    int rc = which == CRAMFEED_HEADER ? check_file_definition(f) : 0;
    for (int first = 1; rc == 0 && f->at < range[1]; first = 0)
        rc = feed_container(f, range[1], which == CRAMFEED_HEADER && first,
                            which == CRAMFEED_PART, which == CRAMFEED_PART && first);
    return rc;
}

static int feed(void *arg, int64_t item, int thread)
{
    (void)item, (void)thread;
    struct cramfeed *f = arg;
    int rc = 0;
    for (int i = 0; rc == 0 && i < CRAMFEED_RANGES; i++)
        rc = feed_range(f, i);
    if (rc == 0 && f->spec->crai && f->next_index < f->spec->crai->n_containers &&
        f->spec->crai->containers[f->next_index] < f->spec->ranges[CRAMFEED_PART][1])
        rc = rc_fail(RC_EINPUT, "%s: the index lists a container at byte %" PRId64 " where none "
                     "starts: the index does not belong to this CRAM", f->spec->path,
                     f->spec->crai->containers[f->next_index]);
    return rc;
}

/* All is written (or the feed failed): htslib sees the end. */
static void all_written(void *arg)
{
    struct cramfeed *f = arg;
    close(f->write_fd);
    f->write_fd = -1;
}

/* ---- the feed ----------------------------------------------------------- */

int cramfeed_open(const cramfeed_spec_t *spec, int *read_fd, cramfeed_t **feedp)
{
    struct cramfeed *f = calloc(1, sizeof *f);
    if (!f)
        return rc_fail(RC_EINTERNAL, "out of memory");
    f->spec = spec;
    f->res.failed_at = -1;
    if (spec->crai)
        f->next_index = crai_container_at(spec->crai, spec->ranges[CRAMFEED_PART][0]);
    int fds[2];
    if (pipe(fds) != 0) {
        free(f);
        return rc_fail_errno(RC_EINTERNAL, "cannot create a pipe");
    }
    fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
    f->write_fd = fds[1];
    workq_spec_t ws = {.threads = 1, .items = 1, .run = feed, .finished = all_written, .arg = f};
    int rc = workq_start(&ws, &f->q);
    if (rc != 0) {
        close(fds[0]);
        close(fds[1]);
        free(f);
        return rc;
    }
    *read_fd = fds[0];
    *feedp = f;
    return 0;
}

void cramfeed_stop(cramfeed_t *f) { workq_stop(f->q); }

int cramfeed_close(cramfeed_t *f, cramfeed_result_t *res)
{
    int rc = workq_join(f->q);
    if (f->write_fd >= 0)
        close(f->write_fd);
    if (res)
        *res = f->res;
    free(f->buf);
    free(f);
    return rc;
}
