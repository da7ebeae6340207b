/* fdio.c -- whole writes; see fdio.h. */
#include "fdio.h"

#include <errno.h>
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

int fdio_save(const char *path, const void *data, size_t len)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return rc_fail(RC_EINTERNAL, "out of memory");
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int rc = rc_fail_errno(RC_EINTERNAL, "cannot create a temporary file next to %s", path);
        free(tmp);
        return rc;
    }
    mode_t mask = umask(0);
    umask(mask);
    int rc = 0;
    if (fchmod(fd, 0666 & ~mask) != 0 || fdio_write_all(fd, data, len) != 0 || fsync(fd) != 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", path);
    if (close(fd) != 0 && rc == 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", path);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", path);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
