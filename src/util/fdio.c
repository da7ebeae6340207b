/* fdio.c -- whole writes; see fdio.h. */
#include "fdio.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* The descriptor path names when it is one of this process's own
 * ("-" and /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), else -1. */
static int own_descriptor(const char *path)
{
    static const char *const dirs[] = {"/dev/fd/", "/proc/self/fd/"};
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        size_t n = strlen(dirs[i]);
        char *end;
        if (strncmp(path, dirs[i], n) == 0 && isdigit((unsigned char)path[n])) {
            long fd = strtol(path + n, &end, 10);
            if (*end == '\0' && fd <= INT_MAX)
                return (int)fd;
        }
    }
    return -1;
}

/* path as messages name it. */
static const char *shown(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard output" : path;
}

/* The regular file that committing to path replaces, into out: path
 * itself, or where its symbolic link leads. -1 when path names something
 * that is not to be replaced: a device, a pipe, a directory or one of our
 * own descriptors. */
static int replaced_file(const char *path, char out[PATH_MAX])
{
    struct stat st, lst;
    if (own_descriptor(path) >= 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode)))
        return -1;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(path, out))
        return 0;
    snprintf(out, PATH_MAX, "%s", path);
    return 0;
}

/* Where the temporary file of f goes, and what commit does with it. */
static int plan_target(fdio_file_t *f)
{
    struct stat st;
    const char *path = f->path;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return rc_fail(RC_EINPUT, "cannot write %s: it is a directory", shown(path));
    if (strlen(path) >= sizeof f->target)
        return rc_fail(RC_EINPUT, "cannot write %s: the path is too long", shown(path));
    f->own_fd = own_descriptor(path);
    if (f->own_fd >= 0 && fcntl(f->own_fd, F_GETFD) < 0)
        return rc_fail(RC_EINPUT, "cannot write %s: descriptor %d is not open", shown(path),
                       f->own_fd);
    if (replaced_file(path, f->target) == 0)
        snprintf(f->tmp, sizeof f->tmp, "%s.tmp.XXXXXX", f->target);
    else
        f->target[0] = '\0'; /* written through */
    return 0;
}

int fdio_begin(fdio_file_t *f, const char *path)
{
    *f = (fdio_file_t){.path = path, .fd = -1, .own_fd = -1};
    int rc = plan_target(f);
    if (rc != 0)
        return rc;
    if (!f->target[0]) {
        /* Written through: held in memory until commit, in a file that needs
         * no name nor any writable directory (a bare chroot has no /tmp). */
        if ((f->fd = memfd_create("regcount-out", MFD_CLOEXEC)) < 0)
            return rc_fail_errno(RC_EINTERNAL, "cannot hold the text for %s", shown(path));
        return 0;
    }
    if ((f->fd = mkstemp(f->tmp)) < 0) {
        f->tmp[0] = '\0';
        return rc_fail_errno(RC_EINTERNAL, "cannot create a temporary file for %s", shown(path));
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(f->fd, 0666 & ~mask) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(path));
    return 0;
}

int fdio_append(void *file, const char *data, size_t len)
{
    fdio_file_t *f = file;
    if (fdio_write_all(f->fd, data, len) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(f->path));
    return 0;
}

int fdio_write_at(fdio_file_t *f, const char *data, size_t len, int64_t off)
{
    if (fdio_pwrite_all(f->fd, data, len, off) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(f->path));
    /* Start writing these pages to disk now, so that the commit's fsync
     * has little left to wait for (a count file of bins is 100 MB). A hint:
     * the fsync still makes sure. */
    sync_file_range(f->fd, off, (off_t)len, SYNC_FILE_RANGE_WRITE);
    return 0;
}

/* The temporary file's whole text into the device, pipe or descriptor
 * that f->path names. */
static int write_through(fdio_file_t *f)
{
    char buf[65536];
    ssize_t n;
    int out = f->own_fd >= 0 ? f->own_fd : open(f->path, O_WRONLY | O_CLOEXEC);
    if (out < 0 || lseek(f->fd, 0, SEEK_SET) != 0)
        n = -1;
    else
        while ((n = read(f->fd, buf, sizeof buf)) > 0 && fdio_write_all(out, buf, n) == 0)
            ;
    if (out >= 0 && out != f->own_fd && close(out) != 0)
        n = -1;
    return n == 0 ? 0 : rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(f->path));
}

int fdio_commit(fdio_file_t *f)
{
    int rc = 0;
    if (!f->target[0])
        rc = write_through(f);
    else if (fsync(f->fd) != 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(f->path));
    if (close(f->fd) != 0 && rc == 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(f->path));
    f->fd = -1;
    if (rc == 0 && f->tmp[0] && rename(f->tmp, f->target) != 0)
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write %s", shown(f->path));
    if (rc != 0 && f->tmp[0])
        unlink(f->tmp);
    f->tmp[0] = '\0';
    return rc;
}

void fdio_abort(fdio_file_t *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->tmp[0])
        unlink(f->tmp);
    f->fd = -1;
    f->tmp[0] = '\0';
}

void fdio_remove(const char *path)
{
    char file[PATH_MAX];
    if (replaced_file(path, file) == 0)
        unlink(file);
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
