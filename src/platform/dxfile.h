/* dxfile.h -- a DNAnexus file: its description (name, state, size, parts
 * with their md5) and its download URLs (API routes /file-xxxx/describe and
 * /file-xxxx/download; Readme.developer.md, "Platform facts"). Reading the
 * bytes is dxfetch.h, a whole download dxdownload.h, an upload dxupload.h.
 */
#ifndef RC_DXFILE_H
#define RC_DXFILE_H

#include <stdint.h>
#include <curl/curl.h>
#include <jansson.h>

#include "dx.h"

typedef struct {
    int64_t size;
    char md5[33]; /* lowercase hex, "" when the platform gave none */
} dxfile_part_t;

typedef struct {
    char id[64];
    char project[64]; /* the project hint for /download ("" if none known) */
    char *name;       /* as on the platform: untrusted, never a path */
    int64_t size;
    char state[16];
    int n_parts;
    dxfile_part_t *parts;
} dxfile_t;

/* Describe file id (with parts). project may be NULL or a project or
 * container id that holds the file. On a 404 the kind is RC_EINPUT: an
 * input that names a file that does not exist is the user's problem. */
int dxfile_describe(dx_env_t *env, const char *id, const char *project, dxfile_t *f);
void dxfile_free(dxfile_t *f);

/* A download URL and the headers to send with it. */
typedef struct {
    char *url;
    struct curl_slist *headers;
    double expires; /* seconds since the epoch; 0 if not given */
} dxfile_url_t;

void dxfile_url_free(dxfile_url_t *u);

/* Get a download URL for f, trying f->project (the link's project, else the
 * one describe found it in), then the job's workspace, then its project
 * context as the project hint. */
int dxfile_download_url(dx_env_t *env, const dxfile_t *f, dxfile_url_t *u);

/* ---- parsing the platform's answers (exposed for tests and fuzzing) ---- */

/* Fill f (whose id is set) from a /file-xxxx/describe answer: name, state,
 * size, parts that must cover the size exactly, and the answer's project as
 * the project hint when f has none. RC_EINTERNAL when the
 * answer is malformed. */
int dxfile_parse_describe(json_t *answer, dxfile_t *f);

/* Fill u from a /download or /upload answer: an http(s) url, headers that
 * hold no line breaks, expires. RC_EINTERNAL when malformed. */
int dxfile_parse_url(json_t *answer, const char *file_id, dxfile_url_t *u);

#endif
