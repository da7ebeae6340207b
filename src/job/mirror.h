/* mirror.h -- a BAM or CRAM on the platform, mirrored sparsely on local disk.
 *
 * The mirror is a file of the BAM's full size in which only the byte ranges
 * asked for have been fetched, each at its own offset: the header at the
 * start, the end-of-file marker at the end, the few blocks the index method
 * reads (for a CRAM, the container headers). htslib then opens the mirror as
 * if it were the whole file, and every check that works on a local file
 * works on it. The rest is never fetched, and holes read as zeros, which no
 * BGZF block or CRAM container (its CRC32 checked) can be mistaken for.
 */
#ifndef RC_MIRROR_H
#define RC_MIRROR_H

#include <stdint.h>

#include "alnfile.h"
#include "dx.h"
#include "dxfetch.h"
#include "dxfile.h"

typedef struct {
    dx_env_t *env;
    dxfetch_t reader;
    int fd;
    const char *path;
    int64_t size;
    int64_t (*have)[2]; /* fetched ranges [beg, end), sorted, merged */
    uint64_t more_fetched; /* bytes mirror_fetch_many's connections fetched */
    /* How long mirror_open_bam's first fetches took, in seconds (0 when not
     * measured): the first MIRROR_FIRST_PREFIX bytes of the start (the
     * download URL's API call, then one request), and then the end-of-file
     * marker (a few bytes: about one round trip). */
    double prefix_secs, eof_secs;
    int n_have, m_have;
} mirror_t;

/* Create the (empty, sparse) mirror of file at path. Returns 0 or an error
 * kind. */
int mirror_open(mirror_t *m, dx_env_t *env, const dxfile_t *file, const char *path);

/* Make sure bytes [beg, end) are in the mirror, fetching what is missing.
 * Returns 0 or an error kind. */
int mirror_fetch(mirror_t *m, int64_t beg, int64_t end);

/* Make sure the bytes of ranges[0..n-1] ([beg, end) each, sorted, apart)
 * are in the mirror, fetching up to threads of them at once, each thread on
 * a connection of its own: many small ranges (a CRAM's container headers)
 * cost a round trip each, and those then overlap. Returns 0 or an error
 * kind. */
int mirror_fetch_many(mirror_t *m, const int64_t (*ranges)[2], int64_t n, int threads);

/* Bytes fetched so far. */
int64_t mirror_fetched(const mirror_t *m);

void mirror_close(mirror_t *m);

/* Bytes of the first fetch of the start (mirror_open_bam). */
#define MIRROR_FIRST_PREFIX (256 << 10)

/* Open the remote BAM through its mirror, as alnfile_open opens a local
 * one (with the index at index_path, or none): fetches as much of the start
 * as the header needs (growing the prefix until the header parses) and the
 * end-of-file marker (unless flags hold ALNFILE_NO_EOF_CHECK). Returns 0
 * or an error kind. */
int mirror_open_bam(mirror_t *m, const char *index_path, int flags, alnfile_t *in);

#endif
