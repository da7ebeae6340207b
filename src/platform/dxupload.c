/* dxupload.c -- a new file from bytes in memory; see dxupload.h. */
#include "dxupload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxfile.h"
#include "dxhttp.h"
#include "log.h"
#include "rc.h"

#define MAX_PUT_TRIES 8
#define DEFAULT_PART_SIZE (16 << 20)

static int upload_params(dx_env_t *env, dxupload_params_t *p)
{
    json_t *in = json_pack("{s:{s:b}}", "fields", "fileUploadParameters", 1), *out = NULL;
    int rc = dx_call_object(env, env->workspace_id, "describe", in, &out, NULL);
    json_decref(in);
    if (rc != 0)
        return rc;
    rc = dxupload_parse_params(out, p);
    json_decref(out);
    return rc == 0 ? 0 : rc_context("POST /%s/describe", env->workspace_id);
}

int dxupload_parse_params(json_t *out, dxupload_params_t *p)
{
    json_t *f = json_object_get(out, "fileUploadParameters");
    json_t *min = json_object_get(f, "minimumPartSize"), *max = json_object_get(f, "maximumPartSize");
    json_t *parts = json_object_get(f, "maximumNumParts"), *file = json_object_get(f, "maximumFileSize");
    json_t *empty = json_object_get(f, "emptyLastPartAllowed");
    if (!json_is_integer(min) || !json_is_integer(max) || !json_is_integer(parts) ||
        !json_is_integer(file) || !json_is_boolean(empty) || json_integer_value(max) < 1 ||
        json_integer_value(parts) < 1 || json_integer_value(min) > json_integer_value(max))
        return rc_fail(RC_EINTERNAL, "fileUploadParameters missing or malformed");
    *p = (dxupload_params_t){json_integer_value(min), json_integer_value(max),
                             json_integer_value(parts), json_integer_value(file),
                             json_is_true(empty)};
    return 0;
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
    if (!dx_is_object_id(fid, "file"))
        rc = rc_fail(RC_EINTERNAL, "POST /file/new: the answer has no file id");
    else
        snprintf(id, 64, "%s", fid);
    json_decref(out);
    return rc;
}

/* One PUT of a part to the URL /upload gave. Returns the HTTP status, or 0
 * when no whole answer came (*cc says why). */
static long put_once(dx_env_t *env, const dxfile_url_t *u, const char *data, size_t len,
                     CURLcode *cc)
{
    /* Exactly the headers that were signed: no default content type, no
     * 100-continue handshake. */
    const char *extra[] = {"Content-Type:", "Expect:", NULL};
    dxhttp_request_t req = {.method = "PUT", .url = u->url, .headers = u->headers, .extra = extra,
                            .body = data, .body_len = len, .timeout = 1800};
    long status;
    *cc = dxhttp_perform(env, &req, &status);
    return *cc == CURLE_OK ? status : 0;
}

static int upload_url(dx_env_t *env, const char *id, int index, size_t len, const char *md5,
                      dxfile_url_t *u)
{
    json_t *in = json_pack("{s:i,s:I,s:s}", "index", index, "size", (json_int_t)len, "md5", md5);
    json_t *out = NULL;
    int rc = dx_call_object(env, id, "upload", in, &out, NULL);
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
    dx_md5_hex(ctx, md5);
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
        double wait = dx_backoff(env->retry_wait, attempt);
        if (attempt >= MAX_PUT_TRIES || log_now() - start + wait > env->budget)
            return rc_fail(RC_EINTERNAL, "upload of %s part %d failed: %s (after %d attempts)", id,
                           index, what, attempt);
        log_info("upload of %s part %d: %s; sending it again with a new URL", id, index, what);
        dx_sleep(wait);
    }
}

static int upload_parts(dx_env_t *env, const char *id, const char *data, size_t len,
                        int64_t part, int n_parts)
{
    for (int i = 0; i < n_parts; i++) {
        size_t off = (size_t)(i * part), n = len - off < (size_t)part ? len - off : (size_t)part;
        int rc = upload_part(env, id, i + 1, data + off, n);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* How many of parts 1..n_parts the platform has not marked complete. */
static int incomplete_parts(dx_env_t *env, const char *id, int n_parts, int *missing)
{
    json_t *in = json_pack("{s:{s:b}}", "fields", "parts", 1), *out = NULL;
    int rc = dx_call_object(env, id, "describe", in, &out, NULL);
    json_decref(in);
    if (rc != 0)
        return rc;
    json_t *parts = json_object_get(out, "parts");
    *missing = 0;
    for (int i = 1; i <= n_parts; i++) {
        char key[24];
        snprintf(key, sizeof key, "%d", i);
        const char *state = json_string_value(json_object_get(json_object_get(parts, key), "state"));
        *missing += !state || strcmp(state, "complete") != 0;
    }
    json_decref(out);
    return 0;
}

static int file_state(dx_env_t *env, const char *id, char state[16])
{
    json_t *in = json_pack("{s:{s:b}}", "fields", "state", 1), *out = NULL;
    int rc = dx_call_object(env, id, "describe", in, &out, NULL);
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
    json_t *out = NULL;
    int rc = dx_call_object(env, id, "close", NULL, &out, NULL);
    json_decref(out);
    return rc;
}

/* Close and wait until the file is closed, asking to close again if it is
 * still open after a while, up to env->close_wait seconds. */
static int close_and_wait(dx_env_t *env, const char *id)
{
    double start = log_now(), pause = 0.1, last_close = start;
    int rc = close_file(env, id);
    char state[16];
    while (rc == 0) {
        dx_sleep(pause);
        if ((rc = file_state(env, id, state)) != 0)
            break;
        if (strcmp(state, "closed") == 0)
            return 0;
        if (strcmp(state, "closing") != 0 && strcmp(state, "open") != 0)
            return rc_fail(RC_EINTERNAL, "%s went to state '%s' instead of closed", id, state);
        double waited = log_now() - start;
        if (waited > env->close_wait)
            return rc_fail(RC_EINTERNAL, "%s is still %s %.0f s after /close", id, state, waited);
        if (strcmp(state, "open") == 0 && log_now() - last_close > 30) {
            last_close = log_now();
            rc = close_file(env, id);
        }
        /* A small file closes within a second or two: ask often until then,
         * then back off. */
        if (waited > 2)
            pause = pause * 1.5 > 10 ? 10 : pause * 1.5;
    }
    return rc;
}

/* Send the parts, then make sure the platform has them all (sending the
 * missing ones again, twice at most). */
static int send_and_check(dx_env_t *env, const char *id, const char *data, size_t len,
                          int64_t part, int n_parts)
{
    int rc = upload_parts(env, id, data, len, part, n_parts);
    for (int check = 0; rc == 0; check++) {
        int missing = 0;
        if ((rc = incomplete_parts(env, id, n_parts, &missing)) != 0 || missing == 0)
            break;
        if (check == 2)
            return rc_fail(RC_EINTERNAL, "upload of %s: %d parts are not complete", id, missing);
        log_info("upload of %s: %d parts are not complete yet; sending them again", id, missing);
        dx_sleep(env->retry_wait * (1 << check));
        rc = upload_parts(env, id, data, len, part, n_parts);
    }
    return rc;
}

int dxupload_file(dx_env_t *env, const char *name, const char *media, const char *data,
                  size_t len, char id[64])
{
    double start = log_now();
    dxupload_params_t p = {0};
    int64_t part = 0;
    int rc = upload_params(env, &p);
    if (rc == 0)
        rc = dxupload_part_size(&p, len, &part);
    if (rc == 0)
        rc = new_file(env, name, media, id);
    /* An empty file needs one empty part where the platform allows it, and
     * none where it does not. */
    int n_parts = len ? (int)((len + part - 1) / part) : p.empty_last_part_allowed;
    if (rc == 0)
        rc = send_and_check(env, id, data, len, part, n_parts);
    if (rc == 0)
        rc = close_and_wait(env, id);
    if (rc == 0) {
        char b[16];
        log_info("upload: %s (%s) as %s in %.1f s", name, log_bytes(len, b), id,
                 log_now() - start);
    }
    return rc;
}
