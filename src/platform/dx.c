/* dxapi.c -- the DNAnexus API client; see dxapi.h. */
#include "dx.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dxhttp.h"
#include "log.h"
#include "rc.h"

#define MAX_RETRIES 6
#define DEFAULT_BUDGET 900.0
#define DEFAULT_RETRY_WAIT 1.0
#define DEFAULT_CLOSE_WAIT 900.0
/* An API answer larger than this is refused rather than buffered. */
#define MAX_ANSWER (16 << 20)

/* ---- environment ---------------------------------------------------------- */

static char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return strdup(v && *v ? v : fallback);
}

/* The Authorization header from DX_SECURITY_CONTEXT. Messages never quote
 * the variable: it holds the token. */
static int read_security_context(dx_env_t *env)
{
    const char *ctx = getenv("DX_SECURITY_CONTEXT");
    if (!ctx || !*ctx)
        return rc_fail(RC_EINTERNAL, "DX_SECURITY_CONTEXT is not set: not running as a job");
    json_t *j = json_loads(ctx, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "auth_token_type"));
    const char *token = json_string_value(json_object_get(j, "auth_token"));
    int rc = 0;
    if (!type || !token || !*token)
        rc = rc_fail(RC_EINTERNAL, "DX_SECURITY_CONTEXT is not JSON with auth_token_type and auth_token");
    else if (strcasecmp(type, "bearer") != 0)
        rc = rc_fail(RC_EINTERNAL, "DX_SECURITY_CONTEXT has token type '%.20s', expected Bearer", type);
    else if (strpbrk(token, "\r\n"))
        rc = rc_fail(RC_EINTERNAL, "DX_SECURITY_CONTEXT holds a token with a line break");
    else if (asprintf(&env->auth_header, "Authorization: Bearer %s", token) < 0)
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    json_decref(j);
    return rc;
}

int dx_env_init(dx_env_t *env)
{
    memset(env, 0, sizeof *env);
    int rc = read_security_context(env);
    if (rc != 0)
        return rc;
    char *proto = env_or("DX_APISERVER_PROTOCOL", "https");
    char *host = env_or("DX_APISERVER_HOST", "api.dnanexus.com");
    char *port = env_or("DX_APISERVER_PORT", "443");
    int n = asprintf(&env->api_url, "%s://%s:%s", proto, host, port);
    free(proto), free(host), free(port);
    env->job_id = env_or("DX_JOB_ID", "");
    env->workspace_id = env_or("DX_WORKSPACE_ID", "");
    env->project_id = env_or("DX_PROJECT_CONTEXT_ID", "");
    env->budget = DEFAULT_BUDGET;
    env->retry_wait = DEFAULT_RETRY_WAIT;
    env->close_wait = DEFAULT_CLOSE_WAIT;
    if (n < 0 || !env->job_id || !env->workspace_id || !env->project_id)
        return rc_fail(RC_EINTERNAL, "out of memory");
    return 0;
}

void dx_env_free(dx_env_t *env)
{
    if (env->curl && env->curl_owner == getpid())
        curl_easy_cleanup(env->curl);
    if (env->auth_header)
        explicit_bzero(env->auth_header, strlen(env->auth_header));
    free(env->auth_header);
    free(env->api_url);
    free(env->job_id);
    free(env->workspace_id);
    free(env->project_id);
    memset(env, 0, sizeof *env);
}

void dx_env_copy(dx_env_t *copy, const dx_env_t *env)
{
    *copy = *env;
    copy->curl = NULL;
    copy->curl_owner = 0;
}

void dx_env_free_copy(dx_env_t *copy)
{
    if (copy->curl)
        curl_easy_cleanup(copy->curl);
    memset(copy, 0, sizeof *copy);
}

/* ---- one request ----------------------------------------------------------- */

typedef struct {
    char *body;
    size_t len, cap;
    int too_big;
    long retry_after;      /* -1: none or not an integer */
    char request_id[96];
} answer_t;

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    answer_t *a = arg;
    size_t k = size * n;
    if (a->len + k > MAX_ANSWER) {
        a->too_big = 1;
        return 0;
    }
    if (a->len + k + 1 > a->cap) {
        size_t cap = (a->len + k + 1) * 2;
        char *b = realloc(a->body, cap);
        if (!b)
            return 0;
        a->body = b;
        a->cap = cap;
    }
    memcpy(a->body + a->len, p, k);
    a->len += k;
    a->body[a->len] = '\0';
    return k;
}

/* Copy a header's value (trimmed, printable characters only) into out. */
static void header_value(const char *p, size_t n, char *out, size_t size)
{
    size_t k = 0;
    while (n > 0 && (*p == ' ' || *p == '\t'))
        p++, n--;
    for (; n > 0 && k + 1 < size; p++, n--)
        if (isprint((unsigned char)*p) && *p != '\r' && *p != '\n')
            out[k++] = *p;
    out[k] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    answer_t *a = arg;
    size_t k = size * n;
    static const char rid[] = "x-request-id:", ra[] = "retry-after:";
    if (k > sizeof rid - 1 && strncasecmp(p, rid, sizeof rid - 1) == 0)
        header_value(p + sizeof rid - 1, k - (sizeof rid - 1), a->request_id, sizeof a->request_id);
    if (k > sizeof ra - 1 && strncasecmp(p, ra, sizeof ra - 1) == 0) {
        char v[32], *end;
        header_value(p + sizeof ra - 1, k - (sizeof ra - 1), v, sizeof v);
        long s = strtol(v, &end, 10);
        a->retry_after = (*v && !*end && s >= 0) ? s : -1;
    }
    return k;
}

/* Perform one POST. Returns the curl code; *status is the HTTP status. */
static CURLcode post_once(dx_env_t *env, const char *route, const char *body, answer_t *a,
                          long *status)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", env->api_url, route);
    const char *extra[] = {env->auth_header, "Content-Type: application/json",
                           "DNAnexus-API: 1.0.0", "Expect:", NULL};
    dxhttp_request_t req = {.method = "POST", .url = url, .extra = extra, .body = body,
                            .body_len = strlen(body), .timeout = 600, .on_body = on_body,
                            .body_arg = a, .on_header = on_header, .header_arg = a};
    return dxhttp_perform(env, &req, status);
}

/* ---- retry decisions ------------------------------------------------------- */

static int never_left(CURLcode cc)
{
    return cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
           cc == CURLE_COULDNT_CONNECT || cc == CURLE_SSL_CONNECT_ERROR;
}

static double random_unit(void)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint32_t)rand();
    return r / 4294967296.0;
}

double dx_backoff(double w, int n)
{
    if (n <= 1)
        return w;
    if (n > 8)
        n = 8;
    double lo = (double)(1 << (n - 2)), hi = (double)(1 << (n - 1));
    return w * (lo + (hi - lo) * random_unit());
}

double dx_throttle_wait(int n, long s)
{
    if (s >= 60)
        return (double)s;
    int k = n - 1 < 20 ? n - 1 : 20;
    return (double)(s + (long)(0.25 * k * s));
}

void dx_sleep(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void platform_error(const answer_t *a, dx_reply_t *reply, char *out, size_t size)
{
    dx_parse_error(a->body, a->len, reply, out, size);
}

void dx_parse_error(const char *body, size_t len, dx_reply_t *reply, char *out, size_t size)
{
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *err = json_object_get(j, "error");
    const char *type = json_string_value(json_object_get(err, "type"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    if (type)
        header_value(type, strlen(type), reply->type, sizeof reply->type);
    char clean[320] = "";
    if (msg)
        header_value(msg, strlen(msg), clean, sizeof clean);
    snprintf(out, size, "%s%s%s", type ? reply->type : "no error details",
             *clean ? ": " : "", clean);
    json_decref(j);
}

static int give_up(const char *route, const char *what, const dx_reply_t *r, int attempts,
                   double spent)
{
    return rc_fail(RC_EINTERNAL, "POST %s: %s%s%s%s (after %d attempt%s in %.0f s)", route, what,
                   *r->request_id ? " (request id " : "", r->request_id,
                   *r->request_id ? ")" : "", attempts, attempts == 1 ? "" : "s", spent);
}

int dx_call(dx_env_t *env, const char *route, json_t *input, json_t **output, int flags,
            dx_reply_t *reply)
{
    dx_reply_t local;
    if (!reply)
        reply = &local;
    json_t *empty = json_object();
    char *body = json_dumps(input ? input : empty, JSON_COMPACT);
    json_decref(empty);
    if (!body)
        return rc_fail(RC_EINTERNAL, "POST %s: cannot encode the request", route);
    double start = log_now();
    int attempts = 0, failures = 0, throttles = 0, rc;
    for (;;) {
        answer_t a = {.retry_after = -1};
        long status;
        memset(reply, 0, sizeof *reply);
        CURLcode cc = post_once(env, route, body, &a, &status);
        attempts++;
        reply->status = cc == CURLE_OK ? status : 0;
        memcpy(reply->request_id, a.request_id, sizeof reply->request_id);
        char what[512];
        double wait;
        int retry;
        json_t *j = NULL;
        if (cc == CURLE_OK && status >= 200 && status < 300 &&
            (j = json_loadb(a.body ? a.body : "", a.len, 0, NULL)) && json_is_object(j)) {
            *output = j;
            free(a.body);
            rc = 0;
            break;
        }
        json_decref(j);
        if (a.too_big) {
            snprintf(what, sizeof what, "the answer is larger than %d bytes", MAX_ANSWER);
            retry = 0, wait = 0;
        } else if (cc != CURLE_OK) {
            snprintf(what, sizeof what, "no answer: %s", curl_easy_strerror(cc));
            retry = (flags & DX_RETRY_SAFE) || never_left(cc);
            wait = dx_backoff(env->retry_wait, ++failures);
        } else if ((status == 503 || status == 429) && a.retry_after >= 0) {
            char detail[400];
            platform_error(&a, reply, detail, sizeof detail);
            snprintf(what, sizeof what, "HTTP %ld %s", status, detail);
            retry = 1;
            wait = dx_throttle_wait(++throttles, a.retry_after);
        } else if (status >= 500 || status == 429) {
            char detail[400];
            platform_error(&a, reply, detail, sizeof detail);
            snprintf(what, sizeof what, "HTTP %ld %s", status, detail);
            retry = 1;
            wait = dx_backoff(env->retry_wait, ++failures);
        } else if (status >= 200 && status < 300) {
            snprintf(what, sizeof what, "HTTP %ld with an answer that is not a JSON object", status);
            retry = flags & DX_RETRY_SAFE;
            wait = dx_backoff(env->retry_wait, ++failures);
        } else {
            char detail[400];
            platform_error(&a, reply, detail, sizeof detail);
            snprintf(what, sizeof what, "HTTP %ld %s", status, detail);
            retry = 0, wait = 0;
        }
        free(a.body);
        double spent = log_now() - start;
        if (!retry || failures > MAX_RETRIES || spent + wait > env->budget) {
            rc = give_up(route, what, reply, attempts, spent);
            break;
        }
        log_info("POST %s: %s; retrying in %.0f s", route, what, wait);
        dx_sleep(wait);
    }
    free(body);
    return rc;
}

int dx_call_object(dx_env_t *env, const char *id, const char *verb, json_t *input,
                   json_t **output, dx_reply_t *reply)
{
    char route[128];
    snprintf(route, sizeof route, "/%.80s/%s", id, verb);
    return dx_call(env, route, input, output, DX_RETRY_SAFE, reply);
}

int dx_is_object_id(const char *id, const char *klass)
{
    size_t n = strlen(klass);
    if (!id || strncmp(id, klass, n) != 0 || id[n] != '-' || strlen(id + n + 1) != 24)
        return 0;
    for (const char *p = id + n + 1; *p; p++)
        if (!isalnum((unsigned char)*p))
            return 0;
    return 1;
}

void dx_md5_hex(hts_md5_context *ctx, char hex[33])
{
    unsigned char digest[16];
    hts_md5_final(digest, ctx);
    hts_md5_hex(hex, digest);
}

const char *dx_nonce(char buf[96])
{
    unsigned char r[32];
    if (getrandom(r, sizeof r, 0) != sizeof r)
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)rand();
    for (size_t i = 0; i < sizeof r; i++)
        sprintf(buf + 2 * i, "%02x", r[i]);
    snprintf(buf + 64, 32, "%lld", (long long)time(NULL));
    return buf;
}
