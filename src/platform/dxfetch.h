/* dxfetch.h -- the bytes of a DNAnexus file, any range of them, from its
 * download URL.
 *
 * A reader asks /file-xxxx/download for a URL (always with a project hint)
 * and GETs it with exactly the headers that came back, with Range requests.
 * A dropped connection resumes from the last byte received; a 403 from
 * storage (an expired URL) fetches a new URL and goes on; 5xx and 429 are
 * retried (429 and 503 after their Retry-After), within the env's budget.
 */
#ifndef RC_DXFETCH_H
#define RC_DXFETCH_H

#include <stdint.h>
#include <htslib/hts.h>

#include "dx.h"
#include "dxfile.h"

/* Receives the bytes of a fetch in order, each byte once; returns 0 to go
 * on, or an error kind to stop the fetch (message recorded). */
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

/* A sink that writes the bytes into fd from offset off on. */
typedef struct {
    int fd;
    int64_t off;
    const char *path; /* for the message when a write fails */
} dxfetch_file_sink_t;

int dxfetch_to_file(void *file_sink, const char *data, size_t len);

/* Fetch part i of the file (as describe lists them) into sink (may be
 * NULL) and check it against its md5, using ctx. *match is 0 when the md5
 * differs (hex then holds the md5 of what came), else 1 (also when the
 * platform gave no md5). Returns 0 or an error kind. */
int dxfetch_part(dxfetch_t *r, int i, dxfetch_sink_fn sink, void *arg, hts_md5_context *ctx,
                 int *match, char hex[33]);

#endif
