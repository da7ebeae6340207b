/* dxdownload.h -- a whole DNAnexus file to a local path, as dx download
 * does it: several parts at once, every part's size and md5 checked, a part
 * fetched again when its md5 does not match (3 tries).
 */
#ifndef RC_DXDOWNLOAD_H
#define RC_DXDOWNLOAD_H

#include "dx.h"
#include "dxfile.h"

/* Download f to path with up to connections parts in flight at once (dx
 * download uses min(cores, 8)). Returns 0 or an error kind (naming the file
 * and part). */
int dxdownload_file(dx_env_t *env, const dxfile_t *f, const char *path, int connections);

#endif
