/* dx.h -- the DNAnexus API client: every call a POST with a JSON body and
 * the job's token, retried the way dxpy retries (dx-toolkit,
 * src/python/dxpy/__init__.py, DXHTTPRequest; Readme.developer.md,
 * "Platform facts the code relies on"):
 *
 *   - 5xx and 429 answers are retried whatever the route; 503 and 429 wait
 *     at least the Retry-After the server sent, and do not use up the retry
 *     count (only the time budget);
 *   - a call that got no answer (connection refused or dropped, timeout,
 *     bad body) is retried when it is safe: the route is idempotent or the
 *     call carries a nonce, or the error proves the request never left;
 *   - 422 and other 4xx answers are not retried;
 *   - back-off: the first wait (1 s), then a random 2^(n-2)..2^(n-1) times
 *     it (n capped at 8), at most 6 retries, and never past the time budget
 *     of the call.
 *
 * A failure's message names the route, the HTTP status, the platform's
 * error type and message and the response's request id. The token is only
 * ever placed in the Authorization header; it is never printed or written.
 */
#ifndef RC_DX_H
#define RC_DX_H

#include <stddef.h>
#include <sys/types.h>
#include <curl/curl.h>
#include <htslib/hts.h>
#include <jansson.h>

typedef struct {
    char *api_url;      /* <protocol>://<host>:<port> */
    char *auth_header;  /* "Authorization: <type> <token>": secret */
    char *job_id, *workspace_id, *project_id;
    /* Settings (Readme.developer.md lists them): */
    double budget;      /* seconds one call may spend on retries [900] */
    double retry_wait;  /* seconds of the first back-off [1] */
    double close_wait;  /* seconds an uploaded file may take to close [900] */
    CURL *curl;         /* the connection, reused by calls of this process */
    pid_t curl_owner;   /* a forked child makes its own */
} dx_env_t;

/* What came back from the last failed call, for callers that decide by it
 * (a 404 for an input file is the user's problem, say). */
typedef struct {
    long status;         /* HTTP status, 0 when there was no answer */
    char type[64];       /* error.type of the platform's answer, or "" */
    char request_id[96]; /* x-request-id, or "" */
} dx_reply_t;

/* Flags for dx_call. */
enum {
    DX_RETRY_SAFE = 1, /* idempotent route or nonce-protected call */
};

/* Read the job's environment: DX_SECURITY_CONTEXT (auth_token_type must be
 * bearer, in any case), DX_APISERVER_PROTOCOL/HOST/PORT, DX_JOB_ID,
 * DX_WORKSPACE_ID, DX_PROJECT_CONTEXT_ID; the settings get their defaults.
 * Returns 0 or RC_EINTERNAL. */
int dx_env_init(dx_env_t *env);
void dx_env_free(dx_env_t *env);

/* A copy of env for another thread: the same settings (shared, read-only)
 * and a connection of its own. Release it with dx_env_free_copy. */
void dx_env_copy(dx_env_t *copy, const dx_env_t *env);
void dx_env_free_copy(dx_env_t *copy);

/* POST route (e.g. "/file-xxxx/describe") with input (not stolen); on
 * success *output holds the parsed answer (json_decref it). reply, if not
 * NULL, is filled either way. Returns 0 or RC_EINTERNAL. */
int dx_call(dx_env_t *env, const char *route, json_t *input, json_t **output, int flags,
            dx_reply_t *reply);

/* POST /<id>/<verb> (a describe, download, upload or close of an object),
 * as dx_call with DX_RETRY_SAFE: all of these are idempotent. */
int dx_call_object(dx_env_t *env, const char *id, const char *verb, json_t *input,
                   json_t **output, dx_reply_t *reply);

/* 1 if id is "<klass>-" followed by 24 letters and digits. */
int dx_is_object_id(const char *id, const char *klass);

/* A fresh nonce (hex of 32 random bytes and the time) in buf[96]. */
const char *dx_nonce(char buf[96]);

/* Seconds to wait before retry number n (1-based) of an unthrottled
 * failure, from the first wait w; and before a throttled retry with
 * Retry-After s. */
double dx_backoff(double w, int n);
double dx_throttle_wait(int n, long retry_after);

/* Sleep for s seconds. */
void dx_sleep(double s);

/* From an error answer's body (untrusted, len bytes, may be NULL): set
 * reply->type from {"error": {"type": ...}} and write "Type: message",
 * printable characters only and cut to a few hundred, into out. */
void dx_parse_error(const char *body, size_t len, dx_reply_t *reply, char *out, size_t size);

/* Finish ctx and write its digest as 32 lowercase hex digits into hex. */
void dx_md5_hex(hts_md5_context *ctx, char hex[33]);

#endif
