/* dxhttp.h -- one HTTP request on the process's connection to the platform
 * (the API server or storage), set up once for every kind of call: TLS
 * checks that cannot be turned off, no redirects, http(s) only, timeouts
 * for stalled transfers, and exactly the headers given.
 */
#ifndef RC_DXHTTP_H
#define RC_DXHTTP_H

#include <stddef.h>
#include <curl/curl.h>

#include "dx.h"

typedef struct {
    const char *method;               /* "GET", "POST" or "PUT" */
    const char *url;
    const struct curl_slist *headers; /* header lines to send (may be NULL) */
    const char *const *extra;         /* more lines, NULL-terminated (may be NULL) */
    const char *body;                 /* POST and PUT: the bytes sent */
    size_t body_len;
    long timeout;                     /* seconds for the whole request; 0: none */
    long buffer;                      /* bytes curl hands to on_body at most; 0: its default */
    curl_write_callback on_body;      /* receives the answer's body */
    void *body_arg;
    curl_write_callback on_header;    /* receives each header line (may be NULL) */
    void *header_arg;
} dxhttp_request_t;

/* Perform req on env's connection (a forked child or a thread with its own
 * env copy makes its own). *status is the HTTP status of the answer, 0 when
 * none came. Returns curl's code: CURLE_OK when an answer came whole. */
CURLcode dxhttp_perform(dx_env_t *env, const dxhttp_request_t *req, long *status);

/* From a header line "HTTP/1.1 206 Partial Content": the status, else 0.
 * For header callbacks that must know the status before the body comes. */
long dxhttp_status_line(const char *line, size_t len);

#endif
