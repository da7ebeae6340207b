/* dxhttp.c -- one HTTP request; see dxhttp.h. */
#include "dxhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "version.h"

/* The process's handle for env, set up with the options every request
 * shares. A forked child must not share its parent's connection: it leaves
 * the parent's handle alone and makes its own. */
static CURL *handle(dx_env_t *env)
{
    if (env->curl && env->curl_owner == getpid()) {
        curl_easy_reset(env->curl);
    } else {
        env->curl = curl_easy_init();
        env->curl_owner = getpid();
    }
    CURL *c = env->curl;
    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Certificate checks are never turned off; DX_CA_CERT may only name
     * the CA file to check against. */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    const char *ca = getenv("DX_CA_CERT");
    if (ca && *ca && strcmp(ca, "NOVERIFY") != 0)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "regcount/" REGCOUNT_VERSION);
    return c;
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

CURLcode dxhttp_perform(dx_env_t *env, const dxhttp_request_t *req, long *status)
{
    *status = 0;
    CURL *c = handle(env);
    if (!c)
        return CURLE_FAILED_INIT;
    struct curl_slist *h = NULL, *more;
    for (const struct curl_slist *s = req->headers; s; s = s->next)
        if ((more = curl_slist_append(h, s->data)))
            h = more;
    for (int i = 0; req->extra && req->extra[i]; i++)
        if ((more = curl_slist_append(h, req->extra[i])))
            h = more;
    put_body_t put = {req->body, req->body_len, 0};
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    } else if (strcmp(req->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, put_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &put);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (req->timeout > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout);
    if (req->buffer > 0)
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, req->buffer);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, req->on_body ? req->on_body : discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, req->body_arg);
    if (req->on_header) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, req->on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, req->header_arg);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return cc;
}

long dxhttp_status_line(const char *line, size_t len)
{
    char buf[32];
    if (len < 12 || strncmp(line, "HTTP/", 5) != 0)
        return 0;
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 31 ? len : 31), line);
    const char *sp = strchr(buf, ' ');
    return sp ? strtol(sp + 1, NULL, 10) : 0;
}
