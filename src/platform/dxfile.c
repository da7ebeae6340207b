/* dxfile.c -- a DNAnexus file's description and download URLs; see
 * dxfile.h. */
#include "dxfile.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"

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
    if (!*f->project && project && (dx_is_object_id(project, "project") ||
                                    dx_is_object_id(project, "container")))
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
    if (!dx_is_object_id(id, "file"))
        return rc_fail(RC_EINPUT, "'%.80s' is not a file id", id);
    snprintf(f->id, sizeof f->id, "%s", id);
    snprintf(f->project, sizeof f->project, "%s", project ? project : "");
    json_t *in = json_pack("{s:{s:b},s:b}", "fields", "parts", 1, "defaultFields", 1);
    if (project && *project)
        json_object_set_new(in, "project", json_string(project));
    json_t *out = NULL;
    dx_reply_t reply;
    int rc = dx_call_object(env, id, "describe", in, &out, &reply);
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
    json_t *out = NULL;
    int rc = dx_call_object(env, f->id, "download", in, &out, reply);
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
