/* jobio.c -- job_input.json, job_output.json, job_error.json; see jobio.h. */
#include "jobio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dx.h"
#include "fdio.h"
#include "rc.h"

#define RESERVE_NAME ".job_error_reserved_space"
#define RESERVE_SIZE 65536
#define MAX_ERROR_MESSAGE 8192
/* The inputs are a few links and values; anything near this is not. */
#define MAX_INPUT_SIZE (64 << 20)

static char *home_path(const char *home, const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s", home, name) < 0 ? NULL : p;
}

int jobio_load_input(const char *home, json_t **input)
{
    char *path = home_path(home, "job_input.json");
    if (!path)
        return rc_fail(RC_EINTERNAL, "out of memory");
    struct stat st;
    *input = NULL;
    if (stat(path, &st) == 0 && st.st_size > MAX_INPUT_SIZE) {
        free(path);
        return rc_fail(RC_EINPUT, "job_input.json is larger than %d MiB", MAX_INPUT_SIZE >> 20);
    }
    json_error_t err;
    *input = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    free(path);
    if (!*input)
        return rc_fail(RC_EINPUT, "job_input.json cannot be read: %s (line %d, column %d)",
                       err.text, err.line, err.column);
    if (!json_is_object(*input)) {
        json_decref(*input);
        *input = NULL;
        return rc_fail(RC_EINPUT, "job_input.json is not a JSON object");
    }
    return 0;
}

int jobio_link(json_t *input, const char *name, int required, jobio_link_t *link, int *present)
{
    memset(link, 0, sizeof *link);
    json_t *v = json_object_get(input, name);
    if (present)
        *present = v != NULL;
    if (!v)
        return required ? rc_fail(RC_EINPUT, "input %s is missing", name) : 0;
    return jobio_parse_link(v, name, link);
}

int jobio_parse_link(json_t *v, const char *name, jobio_link_t *link)
{
    memset(link, 0, sizeof *link);
    json_t *l = json_object_get(v, "$dnanexus_link");
    const char *id = json_string_value(l), *project = NULL;
    if (json_is_object(l)) {
        id = json_string_value(json_object_get(l, "id"));
        project = json_string_value(json_object_get(l, "project"));
        if (project && !dx_is_object_id(project, "project") && !dx_is_object_id(project, "container"))
            return rc_fail(RC_EINPUT, "input %s: '%.80s' is not a project id", name, project);
    }
    if (!dx_is_object_id(id, "file"))
        return rc_fail(RC_EINPUT,
                       "input %s must be a file link such as {\"$dnanexus_link\": \"file-...\"}",
                       name);
    snprintf(link->id, sizeof link->id, "%s", id);
    snprintf(link->project, sizeof link->project, "%s", project ? project : "");
    return 0;
}

int jobio_int(json_t *input, const char *name, long long def, long long min, long long max,
                  long long *value)
{
    json_t *v = json_object_get(input, name);
    *value = def;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return rc_fail(RC_EINPUT, "input %s must be an int from %lld to %lld", name, min, max);
    *value = json_integer_value(v);
    return 0;
}

int jobio_bool(json_t *input, const char *name, int def, int *value)
{
    json_t *v = json_object_get(input, name);
    *value = def;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return rc_fail(RC_EINPUT, "input %s must be true or false", name);
    *value = json_is_true(v);
    return 0;
}

int jobio_string(json_t *input, const char *name, const char *def,
                     const char *const *choices, const char **value)
{
    json_t *v = json_object_get(input, name);
    *value = def;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return rc_fail(RC_EINPUT, "input %s must be a string", name);
    *value = json_string_value(v);
    for (int i = 0; choices && choices[i]; i++)
        if (strcmp(choices[i], *value) == 0)
            return 0;
    return choices ? rc_fail(RC_EINPUT, "input %s: '%.80s' is not one of the choices", name, *value)
                   : 0;
}

void jobio_reserve_error_space(const char *home)
{
    char *path = home_path(home, RESERVE_NAME);
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    if (fd >= 0) {
        static const char block[4096];
        for (int i = 0; i < RESERVE_SIZE / 4096; i++)
            if (fdio_write_all(fd, block, sizeof block) != 0)
                break;
        close(fd);
    }
    free(path);
}

void jobio_release_error_space(const char *home)
{
    char *path = home_path(home, RESERVE_NAME);
    if (path)
        unlink(path);
    free(path);
}

/* Write text to home/name atomically. */
static int write_atomically(const char *home, const char *name, const char *text)
{
    char *path = home_path(home, name);
    if (!path)
        return rc_fail(RC_EINTERNAL, "out of memory");
    int rc = fdio_save(path, text, strlen(text));
    free(path);
    return rc;
}

int jobio_write_output(const char *home, json_t *output)
{
    char *text = json_dumps(output, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text)
        return rc_fail(RC_EINTERNAL, "cannot encode job_output.json");
    int rc = write_atomically(home, "job_output.json", text);
    free(text);
    return rc;
}

/* A copy of s (malloc'd; NULL when out of memory) in which every
 * occurrence of secret is replaced with "[token]". Done before the message
 * is cut to size, so that no part of a token survives the cut. */
static char *scrubbed(const char *s, const char *secret)
{
    static const char mark[] = "[token]";
    size_t n = secret ? strlen(secret) : 0, m = sizeof mark - 1, count = 0;
    if (n < 4) /* too short to tell from ordinary text */
        n = 0;
    for (const char *p = s; n && (p = strstr(p, secret)); p += n)
        count++;
    char *out = malloc(strlen(s) + count * m + 1), *o = out;
    if (!out)
        return NULL;
    const char *p = s, *q;
    while (n && (q = strstr(p, secret))) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, mark, m);
        o += m;
        p = q + n;
    }
    strcpy(o, p);
    return out;
}

static const char *job_token(json_t **ctx)
{
    const char *v = getenv("DX_SECURITY_CONTEXT");
    *ctx = v ? json_loads(v, 0, NULL) : NULL;
    return json_string_value(json_object_get(*ctx, "auth_token"));
}

/* The length of the valid UTF-8 sequence at p (as jansson checks it: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
static int utf8_length(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : p[0] < 0xC2 ? 0 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : p[0] < 0xF5 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* Keep valid UTF-8 sequences; other bytes and control characters become '?'. */
static void make_utf8(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = utf8_length(p);
        if (n == 0 || (n == 1 && *p < 0x20 && *p != '\t')) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

int jobio_write_error(const char *home, int kind, const char *message)
{
    jobio_release_error_space(home);
    char *path = home_path(home, "job_output.json");
    if (path)
        unlink(path);
    free(path);
    json_t *ctx;
    char *clean = scrubbed(message && *message ? message : "unknown error", job_token(&ctx));
    json_decref(ctx);
    char text[MAX_ERROR_MESSAGE + 8];
    snprintf(text, sizeof text, "%s", clean ? clean : "out of memory while reporting an error");
    free(clean);
    make_utf8(text);
    const char *type = kind == RC_EINPUT ? "AppError" : "AppInternalError";
    json_t *j = json_pack("{s:{s:s,s:s}}", "error", "type", type, "message", text);
    if (!j) /* never without a report: make_utf8 should have made it valid */
        j = json_pack("{s:{s:s,s:s}}", "error", "type", type, "message",
                      "(the error message could not be encoded)");
    char *out = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    int rc = out ? write_atomically(home, "job_error.json", out)
                 : rc_fail(RC_EINTERNAL, "cannot encode job_error.json");
    free(out);
    json_decref(j);
    return rc;
}
