/* dxupload.h -- a new DNAnexus file from bytes in memory: created in the
 * job's workspace with a nonce, each part sent with a fresh /upload URL per
 * attempt and exactly the headers that came back, every part checked
 * complete, then closed, waiting until it is closed (within the env's
 * close_wait).
 */
#ifndef RC_DXUPLOAD_H
#define RC_DXUPLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dx.h"

/* Upload len bytes of data as a new file called name in the job's
 * workspace; wait until it is closed and put its id in id[64]. media is a
 * MIME type or NULL. Returns 0 or an error kind. */
int dxupload_file(dx_env_t *env, const char *name, const char *media, const char *data,
                  size_t len, char id[64]);

/* ---- exposed for tests and fuzzing ---- */

typedef struct {
    int64_t min_part, max_part, max_parts, max_file;
    int empty_last_part_allowed;
} dxupload_params_t;

/* fileUploadParameters from a project or container describe answer.
 * RC_EINTERNAL when malformed. */
int dxupload_parse_params(json_t *answer, dxupload_params_t *p);

/* The part size for a file of len bytes within p (16 MiB when it can).
 * RC_EINTERNAL when the file cannot be uploaded within the limits. */
int dxupload_part_size(const dxupload_params_t *p, size_t len, int64_t *part);

#endif
