/* dxapi.h -- the DNAnexus API client: every call a POST with a JSON body
 * and the job's token, retried the way dxpy retries (see
 * ../shared/reference/dnanexus-platform.md, section 2.3):
 *
 *   - 5xx and 429 answers are retried whatever the route; 503 and 429 wait
 *     at least the Retry-After the server sent, and do not use up the retry
 *     count (only the time budget);
 *   - a call that got no answer (connection refused or dropped, timeout,
 *     bad body) is retried when it is safe: the route is idempotent or the
 *     call carries a nonce, or the error proves the request never left;
 *   - 422 and other 4xx answers are not retried;
 *   - back-off 1 s, then a random 2^(n-2)..2^(n-1) s (n capped at 8), at
 *     most 6 retries, and never past the time budget of the call.
 *
 * A failure's message names the route, the HTTP status, the platform's
 * error type and message and the response's request id. The token is only
 * ever placed in the Authorization header; it is never printed or written.
 */
#ifndef RC_DXAPI_H
#define RC_DXAPI_H

#include <stddef.h>
#include <sys/types.h>
#include <curl/curl.h>
#include <jansson.h>

typedef struct {
    char *api_url;      /* <protocol>://<host>:<port> */
    char *auth_header;  /* "Authorization: <type> <token>": secret */
    char *job_id, *workspace_id, *project_id;
    double budget;      /* seconds one call may spend on retries */
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
 * DX_WORKSPACE_ID, DX_PROJECT_CONTEXT_ID. REGCOUNT_API_BUDGET (seconds)
 * overrides the default retry budget of 900 s. Returns 0 or RC_EINTERNAL. */
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

/* A fresh nonce (hex of 32 random bytes and the time) in buf[96]. */
const char *dx_nonce(char buf[96]);

/* Seconds to wait before retry number n (1-based) of an unthrottled
 * failure; and before a throttled retry with Retry-After s. */
double dx_backoff(int n);
double dx_throttle_wait(int n, long retry_after);

/* The libcurl handle of this process for env, set up with the TLS and
 * timeout options every request shares (certificate checks are never
 * turned off). Used by the storage transfers too. */
CURL *dx_curl(dx_env_t *env);

/* Sleep for s seconds. */
void dx_sleep(double s);

/* From an error answer's body (untrusted, len bytes, may be NULL): set
 * reply->type from {"error": {"type": ...}} and write "Type: message",
 * printable characters only and cut to a few hundred, into out. */
void dx_parse_error(const char *body, size_t len, dx_reply_t *reply, char *out, size_t size);

#endif
