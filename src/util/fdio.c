/* fdio.c -- whole writes; see fdio.h. */
#include "fdio.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rc.h"

int fdio_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= w;
    }
    return 0;
}

int fdio_pwrite_all(int fd, const void *data, size_t len, int64_t off)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        off += w;
        len -= w;
    }
    return 0;
}

int fdio_begin(fdio_file_t *f, const char *path)
{
    size_t n = strlen(path);
    *f = (fdio_file_t){.path = path, .fd = -1};
    if (!(f->tmp = malloc(n + 16)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
    if ((f->fd = mkstemp(f->tmp)) < 0) {
        int rc = rc_fail_errno(RC_EINTERNAL, "cannot create a temporary file next to %s", path);
        free(f->tmp);
        f->tmp = NULL;
        return rc;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(f->fd, 0666 & ~mask) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", path);
    return 0;
}

int fdio_append(void *file, const char *data, size_t len)
{
    fdio_file_t *f = file;
    if (fdio_write_all(f->fd, data, len) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", f->path);
    return 0;
}

int fdio_write_at(fdio_file_t *f, const char *data, size_t len, int64_t off)
{
    if (fdio_pwrite_all(f->fd, data, len, off) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", f->path);
    /* Start writing these pages to disk now, so that the commit's fsync
     * has little left to wait for (a count file of bins is 100 MB). A hint:
     * the fsync still makes sure. */
    sync_file_range(f->fd, off, (off_t)len, SYNC_FILE_RANGE_WRITE);
    return 0;
}

int fdio_commit(fdio_file_t *f)
{
    int rc = 0;
    if (fsync(f->fd) != 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", f->path);
    if (close(f->fd) != 0 && rc == 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", f->path);
    f->fd = -1;
    if (rc == 0 && rename(f->tmp, f->path) != 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", f->path);
    if (rc != 0)
        unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
    return rc;
}

void fdio_abort(fdio_file_t *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    *f = (fdio_file_t){.fd = -1};
}

int fdio_save(const char *path, const void *data, size_t len)
{
    fdio_file_t f;
    int rc = fdio_begin(&f, path);
    if (rc == 0)
        rc = fdio_append(&f, data, len);
    if (rc == 0)
        return fdio_commit(&f);
    fdio_abort(&f);
    return rc;
}

void fdio_safe_name(const char *name, char *out, size_t size)
{
    size_t n = 0, max = size - 1 < 200 ? size - 1 : 200;
    for (const char *p = name; *p && n < max; p++) {
        int ok = isalnum((unsigned char)*p) || strchr("._+-", *p);
        if (ok && !(n == 0 && *p == '.'))
            out[n++] = *p;
        else if (n == 0 || out[n - 1] != '_')
            out[n++] = '_';
    }
    if (n == 0)
        out[n++] = '_';
    out[n] = '\0';
}
