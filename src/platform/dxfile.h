/* dxfile.h -- DNAnexus files: describe, download (whole or a byte range),
 * upload. Follows ../shared/reference/dnanexus-platform.md sections 2.6-2.9.
 *
 * Downloads ask /file-xxxx/download for a URL (always with a project hint)
 * and GET it with exactly the headers that came back, with Range requests.
 * A dropped connection resumes from the last byte received; a 403 from
 * storage (an expired URL) fetches a new URL and goes on; 5xx and 429 are
 * retried. Whole-file downloads fetch several parts at once, check every
 * part's size and md5, and fetch a part again when its md5 does not match
 * (3 tries).
 *
 * Uploads create the file in the job's workspace with a nonce, send each
 * part with a fresh /upload URL per attempt and exactly the returned
 * headers, check that every part is complete, close the file and wait until
 * it is closed.
 */
#ifndef RC_DXFILE_H
#define RC_DXFILE_H

#include <stdint.h>
#include <curl/curl.h>
#include <htslib/hts.h>

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

/* Receives the bytes of a fetch in order, each byte once; returns 0 to go
 * on, or non-zero to stop the fetch with that code (message recorded). */
typedef int (*dxfetch_sink_fn)(void *arg, const char *data, size_t len);

/* A reader of one file: keeps its download URL across fetches. */
typedef struct {
    dx_env_t *env;
    const dxfile_t *file;
    dxfile_url_t url;
    uint64_t bytes_fetched; /* all bytes received, including refetches */
    int requests;           /* GET requests made */
} dxfetch_t;

void dxfetch_init(dxfetch_t *r, dx_env_t *env, const dxfile_t *f);
void dxfetch_free(dxfetch_t *r);

/* Fetch bytes [beg, end) of the file into sink. Returns 0, the sink's code,
 * or RC_EINTERNAL when storage could not deliver within the retry rules. */
int dxfetch_range(dxfetch_t *r, int64_t beg, int64_t end, dxfetch_sink_fn sink, void *arg);

/* A sink that writes the bytes into fd from offset off on, adding them to
 * md5 when it is not NULL. */
typedef struct {
    int fd;
    int64_t off;
    hts_md5_context *md5;
    const char *path; /* for the message when a write fails */
} dxfetch_file_sink_t;

int dxfetch_to_file(void *file_sink, const char *data, size_t len);

/* Download f to path, checking every part's size and md5, with up to
 * connections parts in flight at once (dx download uses min(cores, 8)).
 * Returns 0 or RC_EINTERNAL (naming the file and part). */
int dxdownload_file(dx_env_t *env, const dxfile_t *f, const char *path, int connections);

/* Upload len bytes of data as a new file called name in the job's
 * workspace; wait until it is closed and put its id in id[64]. media is a
 * MIME type or NULL. Returns 0 or RC_EINTERNAL. */
int dxupload_file(dx_env_t *env, const char *name, const char *media, const char *data,
                   size_t len, char id[64]);

/* ---- parsing the platform's answers (exposed for tests and fuzzing) ---- */

/* Fill f (whose id is set) from a /file-xxxx/describe answer: name, state,
 * size, parts that must cover the size exactly, and the answer's project as
 * the project hint when f has none. RC_EINTERNAL when the
 * answer is malformed. */
int dxfile_parse_describe(json_t *answer, dxfile_t *f);

/* Fill u from a /download or /upload answer: an http(s) url, headers that
 * hold no line breaks, expires. RC_EINTERNAL when malformed. */
int dxfile_parse_url(json_t *answer, const char *file_id, dxfile_url_t *u);

typedef struct {
    int64_t min_part, max_part, max_parts, max_file;
    int empty_last_part_allowed;
} dxupload_params_t;

/* fileUploadParameters from a project or container describe answer. */
int dxupload_parse_params(json_t *answer, dxupload_params_t *p);

/* The part size for a file of len bytes within p (16 MiB when it can).
 * RC_EINTERNAL when the file cannot be uploaded within the limits. */
int dxupload_part_size(const dxupload_params_t *p, size_t len, int64_t *part);

#endif
