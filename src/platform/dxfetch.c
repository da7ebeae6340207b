/* dxfetch.c -- a byte range of a DNAnexus file; see dxfetch.h. */
#include "dxfetch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "dxhttp.h"
#include "fdio.h"
#include "log.h"
#include "rc.h"

#define MAX_TRIES_WITHOUT_PROGRESS 7
/* Seconds of margin before a URL's expiry at which a new one is asked for. */
#define URL_MARGIN 60.0
#define FETCH_BUFFER (256L << 10)

static double epoch_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

void dxfetch_init(dxfetch_t *r, dx_env_t *env, const dxfile_t *f)
{
    memset(r, 0, sizeof *r);
    r->env = env;
    r->file = f;
}

void dxfetch_free(dxfetch_t *r) { dxfile_url_free(&r->url); }

typedef struct {
    int64_t pos, end;     /* the next byte wanted; the end of the range */
    int64_t at;           /* file offset of the next body byte of the answer */
    int started;          /* the answer's body has begun */
    long status;          /* from the status line, before the body comes */
    long retry_after;
    dxfetch_sink_fn sink;
    void *arg;
    int sink_rc, gap;
    uint64_t received;
} fetch_t;

static size_t fetch_header(char *p, size_t size, size_t n, void *arg)
{
    fetch_t *f = arg;
    size_t k = size * n;
    long long a;
    long status = dxhttp_status_line(p, k);
    if (status)
        f->status = status;
    if (k > 14 && strncasecmp(p, "content-range:", 14) == 0 &&
        sscanf(p + 14, " bytes %lld-", &a) == 1)
        f->at = a;
    if (k > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        char *end;
        long s = strtol(p + 12, &end, 10);
        f->retry_after = (end != p + 12 && s >= 0) ? s : -1;
    }
    return k;
}

static size_t fetch_body(char *p, size_t size, size_t n, void *arg)
{
    fetch_t *f = arg;
    size_t k = size * n;
    if (!f->started) {
        if (f->status == 200)
            f->at = 0;
        f->started = 1;
    }
    if (f->status != 200 && f->status != 206)
        return k; /* an error body: read and ignore */
    f->received += k;
    int64_t at = f->at;
    f->at += k;
    if (at > f->pos) {
        f->gap = 1; /* the answer starts after the byte we need */
        return 0;
    }
    int64_t skip = f->pos - at, take = (int64_t)k - skip;
    if (take <= 0)
        return k;
    if (take > f->end - f->pos)
        take = f->end - f->pos;
    if ((f->sink_rc = f->sink(f->arg, p + skip, (size_t)take)) != 0)
        return 0;
    f->pos += take;
    /* Bytes past the range end the transfer; an exact answer keeps the
     * connection for the next request. */
    return f->pos == f->end && (size_t)(skip + take) < k ? 0 : k;
}

static CURLcode get_range(dxfetch_t *r, fetch_t *f)
{
    char range[80];
    snprintf(range, sizeof range, "Range: bytes=%" PRId64 "-%" PRId64, f->pos, f->end - 1);
    const char *extra[] = {range, NULL};
    /* curl hands over FETCH_BUFFER at a time: fewer hand-overs to the sink
     * (a pipe write each when streaming) than its 16 KiB. */
    dxhttp_request_t req = {.method = "GET", .url = r->url.url, .headers = r->url.headers,
                            .extra = extra, .buffer = FETCH_BUFFER, .on_body = fetch_body,
                            .body_arg = f, .on_header = fetch_header, .header_arg = f};
    f->started = 0;
    f->status = 0;
    f->retry_after = -1;
    f->at = f->pos;
    long status;
    CURLcode cc = dxhttp_perform(r->env, &req, &status);
    if (!f->started)
        f->status = status;
    r->requests++;
    return cc;
}

static int fetch_failed(const dxfetch_t *r, const fetch_t *f, const char *what, int tries)
{
    return rc_fail(RC_EINTERNAL, "download of %s (%s) bytes %" PRId64 "-%" PRId64 " failed: %s (after %d attempts)",
                   r->file->id, r->file->name ? r->file->name : "?", f->pos, f->end, what, tries);
}

int dxfetch_range(dxfetch_t *r, int64_t beg, int64_t end, dxfetch_sink_fn sink, void *arg)
{
    fetch_t f = {.pos = beg, .end = end, .sink = sink, .arg = arg};
    int tries = 0, no_progress = 0, throttles = 0;
    double last_progress = log_now();
    while (f.pos < f.end) {
        if (!r->url.url || (r->url.expires > 0 && epoch_now() > r->url.expires - URL_MARGIN)) {
            dxfile_url_free(&r->url);
            int rc = dxfile_download_url(r->env, r->file, &r->url);
            if (rc != 0)
                return rc;
        }
        int64_t before = f.pos;
        CURLcode cc = get_range(r, &f);
        tries++;
        r->bytes_fetched += f.received;
        f.received = 0;
        if (f.sink_rc)
            return f.sink_rc;
        if (f.pos == f.end)
            break;
        if (f.pos > before) {
            no_progress = 0;
            last_progress = log_now();
        }
        char what[256];
        double wait = 0;
        if (f.status == 403) {
            snprintf(what, sizeof what, "HTTP 403 from storage (an expired URL?)");
            dxfile_url_free(&r->url); /* ask for a new one */
        } else if ((f.status == 503 || f.status == 429) && f.retry_after >= 0) {
            snprintf(what, sizeof what, "HTTP %ld", f.status);
            wait = dx_throttle_wait(++throttles, f.retry_after);
            no_progress--; /* throttling does not use up the tries */
        } else if (f.status >= 500 || f.status == 429) {
            snprintf(what, sizeof what, "HTTP %ld", f.status);
        } else if (f.status >= 400) {
            snprintf(what, sizeof what, "HTTP %ld from storage", f.status);
            return fetch_failed(r, &f, what, tries);
        } else if (f.gap) {
            snprintf(what, sizeof what, "storage answered with bytes after the ones asked for");
            return fetch_failed(r, &f, what, tries);
        } else {
            snprintf(what, sizeof what, "%s", cc == CURLE_OK || cc == CURLE_WRITE_ERROR
                                                  ? "the answer ended early"
                                                  : curl_easy_strerror(cc));
        }
        if (++no_progress >= MAX_TRIES_WITHOUT_PROGRESS ||
            log_now() - last_progress + wait > r->env->budget)
            return fetch_failed(r, &f, what, tries);
        if (!wait && no_progress > 1)
            wait = dx_backoff(r->env->retry_wait, no_progress - 1);
        log_info("download of %s at byte %" PRId64 ": %s; resuming%s", r->file->id, f.pos, what,
                 wait ? " after a pause" : "");
        dx_sleep(wait);
    }
    return 0;
}

int dxfetch_to_file(void *file_sink, const char *data, size_t len)
{
    dxfetch_file_sink_t *s = file_sink;
    if (fdio_pwrite_all(s->fd, data, len, s->off) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", s->path);
    s->off += len;
    return 0;
}

/* Feeds the part's md5 and passes the bytes on. */
typedef struct {
    hts_md5_context *ctx;
    dxfetch_sink_fn sink;
    void *arg;
} md5_sink_t;

static int to_md5(void *arg, const char *data, size_t len)
{
    md5_sink_t *m = arg;
    hts_md5_update(m->ctx, data, (unsigned long)len);
    return m->sink ? m->sink(m->arg, data, len) : 0;
}

int dxfetch_part(dxfetch_t *r, int i, dxfetch_sink_fn sink, void *arg, hts_md5_context *ctx,
                 int *match, char hex[33])
{
    const dxfile_t *f = r->file;
    int64_t off = 0;
    for (int k = 0; k < i; k++)
        off += f->parts[k].size;
    md5_sink_t m = {ctx, sink, arg};
    hts_md5_reset(ctx);
    *match = 1;
    int rc = dxfetch_range(r, off, off + f->parts[i].size, to_md5, &m);
    if (rc == 0 && *f->parts[i].md5) {
        dx_md5_hex(ctx, hex);
        *match = strcmp(hex, f->parts[i].md5) == 0;
    }
    return rc;
}
