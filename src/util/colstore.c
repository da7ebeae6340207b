/* colstore.c -- columns of counts in a temporary file; see colstore.h. */
#include "colstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fdio.h"
#include "rc.h"

int colstore_open(colstore_t *cs, const char *dir, int64_t n_rows)
{
    *cs = (colstore_t){.fd = -1, .n_rows = n_rows};
    snprintf(cs->dir, sizeof cs->dir, "%s", dir);
    char path[600];
    snprintf(path, sizeof path, "%s/.regcount-columns.XXXXXX", dir);
    if ((cs->fd = mkstemp(path)) < 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create a temporary file in %s", dir);
    unlink(path);
    return 0;
}

/* Columns are stored one after the other, n_rows numbers each, in the
 * host's byte order: the file never leaves the process. */
int colstore_append(colstore_t *cs, const uint64_t *values)
{
    int64_t at = colstore_bytes(cs->n_rows, cs->n_cols);
    if (fdio_pwrite_all(cs->fd, values, (size_t)cs->n_rows * 8, at) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write the counts of sample %d to a temporary "
                             "file in %s", cs->n_cols + 1, cs->dir);
    cs->n_cols++;
    return 0;
}

int colstore_read_rows(const colstore_t *cs, int64_t row, int64_t n, uint64_t *out)
{
    uint64_t *slice = malloc((size_t)n * 8);
    if (!slice && n > 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    int rc = 0;
    for (int col = 0; rc == 0 && col < cs->n_cols; col++) {
        int64_t at = colstore_bytes(cs->n_rows, col) + row * 8;
        if (pread(cs->fd, slice, (size_t)n * 8, at) != (ssize_t)(n * 8))
            rc = rc_fail_errno(RC_EINTERNAL, "cannot read back the counts of sample %d from a "
                               "temporary file in %s", col + 1, cs->dir);
        for (int64_t r = 0; rc == 0 && r < n; r++)
            out[r * cs->n_cols + col] = slice[r];
    }
    free(slice);
    return rc;
}

void colstore_close(colstore_t *cs)
{
    if (cs->fd >= 0)
        close(cs->fd);
    cs->fd = -1;
}
