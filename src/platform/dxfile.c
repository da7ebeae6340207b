/* dxfile.c -- DNAnexus file describe, download and upload; see dxfile.h. */
#include "dxfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>
#include <htslib/hts.h>

#include "rc.h"
#include "fdio.h"
#include "log.h"

#define MAX_TRIES_WITHOUT_PROGRESS 7
#define PART_MD5_TRIES 3
#define DEFAULT_PART_SIZE (16 << 20)
/* Seconds of margin before a URL's expiry at which a new one is asked for. */
#define URL_MARGIN 60.0
#define DEFAULT_CLOSE_WAIT 900.0
#define MAX_DOWNLOAD_THREADS 8
#define FETCH_BUFFER (256L << 10)

static double epoch_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

static int is_object_id(const char *id, const char *klass)
{
    size_t n = strlen(klass);
    if (strncmp(id, klass, n) != 0 || id[n] != '-' || strlen(id + n + 1) != 24)
        return 0;
    for (const char *p = id + n + 1; *p; p++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

/* ---- describe ---------------------------------------------------------- */

static int is_md5(const char *s)
{
    if (!s || strlen(s) != 32)
        return 0;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Parts are keyed "1".."n"; they must cover the file's size exactly. */
static int parse_parts(json_t *parts, dxfile_t *f)
{
    size_t n = json_object_size(parts);
    if (n == 0 || n > 1000000)
        return rc_fail(RC_EINTERNAL, "describe %s: %zu parts", f->id, n);
    f->parts = calloc(n, sizeof *f->parts);
    if (!f->parts)
        return rc_fail(RC_EINTERNAL, "out of memory");
    f->n_parts = (int)n;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        char key[24];
        snprintf(key, sizeof key, "%zu", i + 1);
        json_t *p = json_object_get(parts, key);
        json_t *size = json_object_get(p, "size");
        const char *md5 = json_string_value(json_object_get(p, "md5"));
        if (!json_is_integer(size) || json_integer_value(size) < 0)
            return rc_fail(RC_EINTERNAL, "describe %s: part %s is missing or has no size", f->id, key);
        f->parts[i].size = json_integer_value(size);
        if (is_md5(md5))
            for (int k = 0; k < 33; k++)
                f->parts[i].md5[k] = (char)tolower((unsigned char)md5[k]);
        if (f->parts[i].size > f->size - total)
            return rc_fail(RC_EINTERNAL, "describe %s: the parts hold more than the file's %" PRId64
                           " bytes", f->id, f->size);
        total += f->parts[i].size;
    }
    if (total != f->size)
        return rc_fail(RC_EINTERNAL, "describe %s: the parts hold %" PRId64 " bytes, the file %" PRId64,
                       f->id, total, f->size);
    return 0;
}

int dxfile_parse_describe(json_t *d, dxfile_t *f)
{
    const char *name = json_string_value(json_object_get(d, "name"));
    const char *state = json_string_value(json_object_get(d, "state"));
    json_t *size = json_object_get(d, "size");
    if (!name || !state || !json_is_integer(size) || json_integer_value(size) < 0)
        return rc_fail(RC_EINTERNAL, "describe %s: the answer lacks name, state or size", f->id);
    if (!(f->name = strdup(name)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    snprintf(f->state, sizeof f->state, "%s", state);
    f->size = json_integer_value(size);
    /* Without a hint of our own, the project describe found the file in is
     * the one /download will accept: no 4xx round trip per URL. */
    const char *project = json_string_value(json_object_get(d, "project"));
    if (!*f->project && project && (is_object_id(project, "project") ||
                                    is_object_id(project, "container")))
        snprintf(f->project, sizeof f->project, "%s", project);
    json_t *parts = json_object_get(d, "parts");
    if (json_is_object(parts) && json_object_size(parts) > 0)
        return parse_parts(parts, f);
    /* No parts (a symlinked file): one part without an md5. */
    if (!(f->parts = calloc(1, sizeof *f->parts)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    f->n_parts = 1;
    f->parts[0].size = f->size;
    return 0;
}

int dxfile_describe(dx_env_t *env, const char *id, const char *project, dxfile_t *f)
{
    memset(f, 0, sizeof *f);
    if (!is_object_id(id, "file"))
        return rc_fail(RC_EINPUT, "'%.80s' is not a file id", id);
    snprintf(f->id, sizeof f->id, "%s", id);
    snprintf(f->project, sizeof f->project, "%s", project ? project : "");
    json_t *in = json_pack("{s:{s:b},s:b}", "fields", "parts", 1, "defaultFields", 1);
    if (project && *project)
        json_object_set_new(in, "project", json_string(project));
    char route[96];
    snprintf(route, sizeof route, "/%s/describe", id);
    json_t *out = NULL;
    dx_reply_t reply;
    int rc = dx_call(env, route, in, &out, DX_RETRY_SAFE, &reply);
    json_decref(in);
    if (rc != 0)
        return reply.status == 404 ? rc_rekind(RC_EINPUT) : rc;
    rc = dxfile_parse_describe(out, f);
    json_decref(out);
    return rc;
}

void dxfile_free(dxfile_t *f)
{
    free(f->name);
    free(f->parts);
    memset(f, 0, sizeof *f);
}

/* ---- download URLs ------------------------------------------------------ */

void dxfile_url_free(dxfile_url_t *u)
{
    free(u->url);
    curl_slist_free_all(u->headers);
    memset(u, 0, sizeof *u);
}

int dxfile_parse_url(json_t *out, const char *fid, dxfile_url_t *u)
{
    const char *url = json_string_value(json_object_get(out, "url"));
    json_t *headers = json_object_get(out, "headers");
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return rc_fail(RC_EINTERNAL, "/download for %s: the answer has no http(s) url", fid);
    if (!(u->url = strdup(url)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach(headers, key, value) {
        const char *v = json_string_value(value);
        char line[8192];
        if (!v || strpbrk(key, "\r\n:") || strpbrk(v, "\r\n") ||
            snprintf(line, sizeof line, "%s: %s", key, v) >= (int)sizeof line)
            return rc_fail(RC_EINTERNAL, "/download for %s: a header in the answer is malformed", fid);
        struct curl_slist *h = curl_slist_append(u->headers, line);
        if (!h)
            return rc_fail(RC_EINTERNAL, "out of memory");
        u->headers = h;
    }
    json_t *expires = json_object_get(out, "expires");
    u->expires = json_is_number(expires) ? json_number_value(expires) / 1000.0 : 0;
    return 0;
}

static int request_url(dx_env_t *env, const dxfile_t *f, const char *project, dxfile_url_t *u,
                       dx_reply_t *reply)
{
    json_t *in = json_pack("{s:s,s:i}", "project", project, "duration", 86400);
    char route[96];
    snprintf(route, sizeof route, "/%s/download", f->id);
    json_t *out = NULL;
    int rc = dx_call(env, route, in, &out, DX_RETRY_SAFE, reply);
    json_decref(in);
    if (rc == 0) {
        rc = dxfile_parse_url(out, f->id, u);
        json_decref(out);
        if (rc != 0)
            dxfile_url_free(u);
    }
    return rc;
}

int dxfile_download_url(dx_env_t *env, const dxfile_t *f, dxfile_url_t *u)
{
    const char *hints[3] = {f->project, env->workspace_id, env->project_id};
    int rc = rc_fail(RC_EINTERNAL, "/download for %s: no project to ask in", f->id);
    for (int i = 0; i < 3; i++) {
        if (!*hints[i] || (i > 0 && strcmp(hints[i], hints[0]) == 0) ||
            (i == 2 && strcmp(hints[2], hints[1]) == 0))
            continue;
        dx_reply_t reply;
        rc = request_url(env, f, hints[i], u, &reply);
        /* A project that does not hold the file answers 4xx: try the next. */
        if (rc == 0 || reply.status < 400 || reply.status >= 500)
            break;
    }
    return rc;
}

/* ---- fetching a byte range ---------------------------------------------- */

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
    long status;
    long retry_after;
    CURL *curl;
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
        curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
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
    CURL *c = dx_curl(r->env);
    if (!c)
        return CURLE_FAILED_INIT;
    char range[80];
    snprintf(range, sizeof range, "Range: bytes=%" PRId64 "-%" PRId64, f->pos, f->end - 1);
    struct curl_slist *h = NULL;
    for (struct curl_slist *s = r->url.headers; s; s = s->next)
        h = curl_slist_append(h, s->data);
    h = curl_slist_append(h, range);
    curl_easy_setopt(c, CURLOPT_URL, r->url.url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    /* Fewer, larger hand-overs to the sink (a pipe write each when
     * streaming) than curl's 16 KiB. */
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, FETCH_BUFFER);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
    f->curl = c;
    f->started = 0;
    f->status = 0;
    f->retry_after = -1;
    f->at = f->pos;
    CURLcode cc = curl_easy_perform(c);
    if (!f->started)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
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
            if (dxfile_download_url(r->env, r->file, &r->url) != 0)
                return RC_EINTERNAL;
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
            wait = dx_backoff(no_progress - 1);
        log_info("download of %s at byte %" PRId64 ": %s; resuming%s", r->file->id, f.pos, what,
                 wait ? " after a pause" : "");
        dx_sleep(wait);
    }
    return 0;
}

/* ---- whole-file download -------------------------------------------------- */

int dxfetch_to_file(void *file_sink, const char *data, size_t len)
{
    dxfetch_file_sink_t *s = file_sink;
    if (fdio_pwrite_all(s->fd, data, len, s->off) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", s->path);
    if (s->md5)
        hts_md5_update(s->md5, data, (unsigned long)len);
    s->off += len;
    return 0;
}

static void md5_hex(hts_md5_context *ctx, char hex[33])
{
    unsigned char digest[16];
    hts_md5_final(digest, ctx);
    hts_md5_hex(hex, digest);
}

static int download_part(dxfetch_t *r, dxfetch_file_sink_t *s, int i, int64_t off)
{
    const dxfile_part_t *p = &r->file->parts[i];
    for (int try = 1; try <= PART_MD5_TRIES; try++) {
        hts_md5_reset(s->md5);
        s->off = off;
        int rc = dxfetch_range(r, off, off + p->size, dxfetch_to_file, s);
        if (rc != 0)
            return rc;
        if (!*p->md5)
            return 0;
        char hex[33];
        md5_hex(s->md5, hex);
        if (strcmp(hex, p->md5) == 0)
            return 0;
        log_info("download of %s part %d: md5 %s, expected %s; fetching it again", r->file->id,
                 i + 1, hex, p->md5);
    }
    return rc_fail(RC_EINTERNAL, "download of %s (%s): part %d does not match its md5 after %d tries",
                   r->file->id, r->file->name, i + 1, PART_MD5_TRIES);
}

/* Parts are handed out to the download threads in order. */
typedef struct {
    dx_env_t *env;
    const dxfile_t *f;
    const char *path;
    int fd;
    int64_t *offsets;
    pthread_mutex_t lock;
    int next_part, failed, err_kind, requests;
    char err[4096];
} download_t;

static int next_part(download_t *d)
{
    pthread_mutex_lock(&d->lock);
    int i = !d->failed && d->next_part < d->f->n_parts ? d->next_part++ : -1;
    pthread_mutex_unlock(&d->lock);
    return i;
}

static void *download_parts(void *arg)
{
    download_t *d = arg;
    dx_env_t env;
    dx_env_copy(&env, d->env);
    dxfetch_t r;
    dxfetch_init(&r, &env, d->f);
    dxfetch_file_sink_t s = {.fd = d->fd, .path = d->path, .md5 = hts_md5_init()};
    int rc = s.md5 ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    for (int i; rc == 0 && (i = next_part(d)) >= 0;)
        rc = download_part(&r, &s, i, d->offsets[i]);
    pthread_mutex_lock(&d->lock);
    if (rc != 0 && !d->failed) {
        d->failed = 1;
        d->err_kind = rc;
        snprintf(d->err, sizeof d->err, "%s", rc_message());
    }
    d->requests += r.requests;
    pthread_mutex_unlock(&d->lock);
    if (s.md5)
        hts_md5_destroy(s.md5);
    dxfetch_free(&r);
    dx_env_free_copy(&env);
    return NULL;
}

static int run_download_threads(download_t *d, int connections)
{
    pthread_t threads[MAX_DOWNLOAD_THREADS];
    int n = connections < 1 ? 1 : connections > MAX_DOWNLOAD_THREADS ? MAX_DOWNLOAD_THREADS : connections;
    if (n > d->f->n_parts)
        n = d->f->n_parts;
    int started = 0;
    while (started < n && pthread_create(&threads[started], NULL, download_parts, d) == 0)
        started++;
    if (started == 0)
        download_parts(d); /* no thread to spare: do it here */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    return d->failed ? rc_fail(d->err_kind, "%s", d->err) : 0;
}

int dxdownload_file(dx_env_t *env, const dxfile_t *f, const char *path, int connections)
{
    double start = log_now();
    download_t d = {.env = env, .f = f, .path = path};
    if ((d.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create %s", path);
    int rc = 0, unchecked = 0;
    if (!(d.offsets = malloc(f->n_parts * sizeof *d.offsets)))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < f->n_parts; i++) {
        d.offsets[i] = i ? d.offsets[i - 1] + f->parts[i - 1].size : 0;
        unchecked += !*f->parts[i].md5;
    }
    pthread_mutex_init(&d.lock, NULL);
    if (rc == 0)
        rc = run_download_threads(&d, connections);
    pthread_mutex_destroy(&d.lock);
    free(d.offsets);
    /* No fsync: a job that dies is started again from scratch. */
    if (close(d.fd) != 0 && rc == 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", path);
    if (rc == 0) {
        double t = log_now() - start;
        char b1[16], b2[16];
        log_info("download: %s (%s) %s in %.1f s, %s/s, %d request%s%s", f->id, f->name,
                 log_bytes(f->size, b1), t, log_bytes((uint64_t)(f->size / (t > 0 ? t : 1e-9)), b2),
                 d.requests, d.requests == 1 ? "" : "s",
                 unchecked ? "; some parts have no md5 and were not checked" : "");
    }
    return rc;
}

/* ---- upload ------------------------------------------------------------- */

static int upload_params(dx_env_t *env, dxupload_params_t *p)
{
    char route[96];
    snprintf(route, sizeof route, "/%s/describe", env->workspace_id);
    json_t *in = json_pack("{s:{s:b}}", "fields", "fileUploadParameters", 1), *out = NULL;
    int rc = dx_call(env, route, in, &out, DX_RETRY_SAFE, NULL);
    json_decref(in);
    if (rc != 0)
        return rc;
    rc = dxupload_parse_params(out, p);
    json_decref(out);
    return rc == 0 ? 0 : rc_context("POST %s", route);
}

int dxupload_parse_params(json_t *out, dxupload_params_t *p)
{
    int rc = 0;
    json_t *f = json_object_get(out, "fileUploadParameters");
    json_t *min = json_object_get(f, "minimumPartSize"), *max = json_object_get(f, "maximumPartSize");
    json_t *parts = json_object_get(f, "maximumNumParts"), *file = json_object_get(f, "maximumFileSize");
    json_t *empty = json_object_get(f, "emptyLastPartAllowed");
    if (!json_is_integer(min) || !json_is_integer(max) || !json_is_integer(parts) ||
        !json_is_integer(file) || !json_is_boolean(empty) || json_integer_value(max) < 1 ||
        json_integer_value(parts) < 1 || json_integer_value(min) > json_integer_value(max))
        rc = rc_fail(RC_EINTERNAL, "fileUploadParameters missing or malformed");
    else
        *p = (dxupload_params_t){json_integer_value(min), json_integer_value(max),
                                  json_integer_value(parts), json_integer_value(file),
                                  json_is_true(empty)};
    return rc;
}

/* dxpy's choice: 16 MiB, within the platform's limits, larger when the
 * file would need too many parts. */
int dxupload_part_size(const dxupload_params_t *p, size_t len, int64_t *part)
{
    int64_t size = DEFAULT_PART_SIZE;
    if (size < p->min_part)
        size = p->min_part;
    if (size > p->max_part)
        size = p->max_part;
    /* In unsigned arithmetic: the limits come from the platform's answer. */
    uint64_t parts = (uint64_t)p->max_parts; /* >= 1, checked by dxupload_parse_params */
    uint64_t need = len / parts + (len % parts != 0);
    if (need > (uint64_t)size)
        size = need > INT64_MAX ? INT64_MAX : (int64_t)need;
    if (size > p->max_part || p->max_file < 0 || (uint64_t)len > (uint64_t)p->max_file)
        return rc_fail(RC_EINTERNAL, "a file of %zu bytes is too large to upload", len);
    *part = size;
    return 0;
}

static int new_file(dx_env_t *env, const char *name, const char *media, char id[64])
{
    char nonce[96];
    json_t *in = json_pack("{s:s,s:s,s:s}", "project", env->workspace_id, "name", name, "nonce",
                           dx_nonce(nonce));
    if (media)
        json_object_set_new(in, "media", json_string(media));
    json_t *out = NULL;
    int rc = dx_call(env, "/file/new", in, &out, DX_RETRY_SAFE, NULL);
    json_decref(in);
    if (rc != 0)
        return rc;
    const char *fid = json_string_value(json_object_get(out, "id"));
    if (!fid || !is_object_id(fid, "file"))
        rc = rc_fail(RC_EINTERNAL, "POST /file/new: the answer has no file id");
    else
        snprintf(id, 64, "%s", fid);
    json_decref(out);
    return rc;
}

typedef struct {
    const char *data;
    size_t len, at;
} put_body_t;

static size_t put_read(char *buf, size_t size, size_t n, void *arg)
{
    put_body_t *b = arg;
    size_t k = size * n;
    if (k > b->len - b->at)
        k = b->len - b->at;
    memcpy(buf, b->data + b->at, k);
    b->at += k;
    return k;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)arg;
    return size * n;
}

/* One PUT of a part to the URL /upload gave. Returns the HTTP status, or 0
 * when there was no answer. */
static long put_once(dx_env_t *env, const dxfile_url_t *u, const char *data, size_t len, CURLcode *cc)
{
    CURL *c = dx_curl(env);
    if (!c) {
        *cc = CURLE_FAILED_INIT;
        return 0;
    }
    struct curl_slist *h = NULL;
    for (struct curl_slist *s = u->headers; s; s = s->next)
        h = curl_slist_append(h, s->data);
    /* Exactly the headers that were signed: no default content type, no
     * 100-continue handshake. */
    h = curl_slist_append(h, "Content-Type:");
    h = curl_slist_append(h, "Expect:");
    put_body_t body = {data, len, 0};
    curl_easy_setopt(c, CURLOPT_URL, u->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, put_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 1800L);
    *cc = curl_easy_perform(c);
    long status = 0;
    if (*cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return status;
}

static int upload_url(dx_env_t *env, const char *id, int index, size_t len, const char *md5,
                      dxfile_url_t *u)
{
    char route[96];
    snprintf(route, sizeof route, "/%s/upload", id);
    json_t *in = json_pack("{s:i,s:I,s:s}", "index", index, "size", (json_int_t)len, "md5", md5);
    json_t *out = NULL;
    int rc = dx_call(env, route, in, &out, DX_RETRY_SAFE, NULL);
    json_decref(in);
    if (rc != 0)
        return rc;
    rc = dxfile_parse_url(out, id, u);
    json_decref(out);
    return rc;
}

/* Send one part, with a fresh /upload URL for every attempt. */
static int upload_part(dx_env_t *env, const char *id, int index, const char *data, size_t len)
{
    hts_md5_context *ctx = hts_md5_init();
    if (!ctx)
        return rc_fail(RC_EINTERNAL, "out of memory");
    hts_md5_update(ctx, data, (unsigned long)len);
    char md5[33];
    md5_hex(ctx, md5);
    hts_md5_destroy(ctx);
    double start = log_now();
    for (int attempt = 1;; attempt++) {
        dxfile_url_t u = {0};
        int rc = upload_url(env, id, index, len, md5, &u);
        if (rc != 0)
            return rc;
        CURLcode cc;
        long status = put_once(env, &u, data, len, &cc);
        dxfile_url_free(&u);
        if (status >= 200 && status < 300)
            return 0;
        char what[160];
        if (status)
            snprintf(what, sizeof what, "HTTP %ld", status);
        else
            snprintf(what, sizeof what, "%s", curl_easy_strerror(cc));
        double wait = dx_backoff(attempt);
        if (attempt > MAX_TRIES_WITHOUT_PROGRESS || log_now() - start + wait > env->budget)
            return rc_fail(RC_EINTERNAL, "upload of %s part %d failed: %s (after %d attempts)", id,
                           index, what, attempt);
        log_info("upload of %s part %d: %s; sending it again with a new URL", id, index, what);
        dx_sleep(wait);
    }
}

/* Parts the platform has not marked complete, as a count; -1 on error. */
static int incomplete_parts(dx_env_t *env, const char *id, int n_parts)
{
    char route[96];
    snprintf(route, sizeof route, "/%s/describe", id);
    json_t *in = json_pack("{s:{s:b}}", "fields", "parts", 1), *out = NULL;
    int rc = dx_call(env, route, in, &out, DX_RETRY_SAFE, NULL);
    json_decref(in);
    if (rc != 0)
        return -1;
    json_t *parts = json_object_get(out, "parts");
    int missing = 0;
    for (int i = 1; i <= n_parts; i++) {
        char key[24];
        snprintf(key, sizeof key, "%d", i);
        const char *state = json_string_value(json_object_get(json_object_get(parts, key), "state"));
        missing += !state || strcmp(state, "complete") != 0;
    }
    json_decref(out);
    return missing;
}

static int file_state(dx_env_t *env, const char *id, char state[16])
{
    char route[96];
    snprintf(route, sizeof route, "/%s/describe", id);
    json_t *in = json_pack("{s:{s:b}}", "fields", "state", 1), *out = NULL;
    int rc = dx_call(env, route, in, &out, DX_RETRY_SAFE, NULL);
    json_decref(in);
    if (rc != 0)
        return rc;
    const char *s = json_string_value(json_object_get(out, "state"));
    snprintf(state, 16, "%s", s ? s : "");
    json_decref(out);
    return s ? 0 : rc_fail(RC_EINTERNAL, "describe %s: no state in the answer", id);
}

static int close_file(dx_env_t *env, const char *id)
{
    char route[96];
    snprintf(route, sizeof route, "/%s/close", id);
    json_t *out = NULL;
    int rc = dx_call(env, route, NULL, &out, DX_RETRY_SAFE, NULL);
    json_decref(out);
    return rc;
}

/* Close and wait until the file is closed, asking to close again if it is
 * still open after a while, up to REGCOUNT_CLOSE_WAIT seconds (900). */
static int close_and_wait(dx_env_t *env, const char *id)
{
    const char *env_wait = getenv("REGCOUNT_CLOSE_WAIT");
    double limit = env_wait && atof(env_wait) > 0 ? atof(env_wait) : DEFAULT_CLOSE_WAIT;
    double start = log_now(), pause = 0.1, last_close = start;
    if (close_file(env, id) != 0)
        return RC_EINTERNAL;
    char state[16];
    for (;;) {
        dx_sleep(pause);
        if (file_state(env, id, state) != 0)
            return RC_EINTERNAL;
        if (strcmp(state, "closed") == 0)
            return 0;
        if (strcmp(state, "closing") != 0 && strcmp(state, "open") != 0)
            return rc_fail(RC_EINTERNAL, "%s went to state '%s' instead of closed", id, state);
        double waited = log_now() - start;
        if (waited > limit)
            return rc_fail(RC_EINTERNAL, "%s is still %s %.0f s after /close", id, state, waited);
        if (strcmp(state, "open") == 0 && log_now() - last_close > 30) {
            last_close = log_now();
            if (close_file(env, id) != 0)
                return RC_EINTERNAL;
        }
        /* A small file closes within a second or two: ask often until then,
         * then back off. */
        if (waited > 2)
            pause = pause * 1.5 > 10 ? 10 : pause * 1.5;
    }
}

static int upload_parts(dx_env_t *env, const char *id, const char *data, size_t len,
                        int64_t part, int n_parts)
{
    for (int i = 0; i < n_parts; i++) {
        size_t off = (size_t)(i * part), n = len - off < (size_t)part ? len - off : (size_t)part;
        if (upload_part(env, id, i + 1, data + off, n) != 0)
            return RC_EINTERNAL;
    }
    return 0;
}

int dxupload_file(dx_env_t *env, const char *name, const char *media, const char *data,
                   size_t len, char id[64])
{
    double start = log_now();
    dxupload_params_t p = {0};
    int64_t part = 0;
    if (upload_params(env, &p) != 0 || dxupload_part_size(&p, len, &part) != 0 ||
        new_file(env, name, media, id) != 0)
        return RC_EINTERNAL;
    /* An empty file needs one empty part where the platform allows it, and
     * none where it does not. */
    int n_parts = len ? (int)((len + part - 1) / part) : p.empty_last_part_allowed;
    if (upload_parts(env, id, data, len, part, n_parts) != 0)
        return RC_EINTERNAL;
    for (int check = 0;; check++) {
        int missing = incomplete_parts(env, id, n_parts);
        if (missing < 0)
            return RC_EINTERNAL;
        if (missing == 0)
            break;
        if (check == 2)
            return rc_fail(RC_EINTERNAL, "upload of %s: %d parts are not complete", id, missing);
        log_info("upload of %s: %d parts are not complete yet; sending them again", id, missing);
        dx_sleep(1 << check);
        if (upload_parts(env, id, data, len, part, n_parts) != 0)
            return RC_EINTERNAL;
    }
    if (close_and_wait(env, id) != 0)
        return RC_EINTERNAL;
    char b[16];
    log_info("upload: %s (%s) as %s in %.1f s", name, log_bytes(len, b), id, log_now() - start);
    return 0;
}
