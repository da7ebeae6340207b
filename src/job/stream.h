/* stream.h -- a scan source (scan.h) for a BAM or CRAM on the platform:
 * each worker reads its own byte ranges straight from the file's download URL
 * and counts the bytes as they arrive, so that the transfer and the
 * decompression overlap and the BAM never touches the disk.
 *
 * A worker's range is fetched in chunks by a few threads at once (one
 * connection each), which hand the chunks in order to the counting thread
 * through a pipe. A dropped connection resumes where it broke (dxfetch_range);
 * a failed transfer is reported when the stream is closed, and its message
 * then explains why the counting thread saw the data end early.
 *
 * Integrity: the bytes are not checked against the parts' md5 as they
 * stream (the parts do not line up with the workers' ranges); every BGZF
 * block's CRC32 is checked as it is decompressed, or every CRAM container's
 * and block's as it passes (cramfeed.h), and the counts are checked against
 * the index. When a part's data fails to read, the worker
 * reads it again; when it fails again, the platform part that holds the bad
 * byte is fetched and checked against its md5 (scan.h, verify): a mismatch
 * is the transfer's fault (AppInternalError naming the part), a match the
 * file's (AppError). The download-then-count path checks every part's md5.
 */
#ifndef RC_STREAM_H
#define RC_STREAM_H

#include <stddef.h>

#include "dx.h"
#include "dxfile.h"
#include "scan.h"

typedef struct {
    dx_env_t *env;         /* copied by each thread */
    const dxfile_t *file;
    int connections;       /* per worker */
    size_t chunk;          /* bytes per request */
} stream_opts_t;

/* A scan source reading file through opts (which must outlive it). */
scan_source_t stream_source(const stream_opts_t *opts, const char *name);

#endif
