/* fdio.h -- whole writes: to a file descriptor, through interrupted and
 * short writes, and to a path, atomically. */
#ifndef RC_FDIO_H
#define RC_FDIO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Write all len bytes (at file offset off, for fdio_pwrite_all). Returns 0,
 * or -1 with errno set, as write() does. */
int fdio_write_all(int fd, const void *data, size_t len);
int fdio_pwrite_all(int fd, const void *data, size_t len, int64_t off);

/* A file written atomically, piece by piece: a temporary file in the same
 * directory, flushed to disk and renamed over path on commit, so that path
 * either holds all of it or is as it was. The file gets mode 0666 less the
 * umask; a symbolic link to a file stays, and the file it leads to is
 * replaced. Some paths cannot be replaced, and renaming over them would put
 * a plain file in their place: a device or a pipe (/dev/null, a FIFO), and
 * the process's own descriptors ("-", which is standard output as in
 * samtools, /dev/stdout, /dev/stderr, /dev/fd/N, which the shell may have
 * opened for appending). For those the text is held in memory (a memfd)
 * and commit writes it through, so that nothing reaches them before the
 * whole is there. Each returns 0, or an error kind (rc.h)
 * with a message naming path; after a failure, or without a commit,
 * fdio_abort removes the temporary file. */
typedef struct {
    const char *path;    /* as the caller named it */
    char target[PATH_MAX];   /* the file commit replaces; empty: written through */
    char tmp[PATH_MAX + 24]; /* the temporary file, while it has a name */
    int fd;
    int own_fd; /* written through to this descriptor of ours, or -1 */
} fdio_file_t;

int fdio_begin(fdio_file_t *f, const char *path);
/* len bytes at offset off of the file (threads may write apart at once). */
int fdio_write_at(fdio_file_t *f, const char *data, size_t len, int64_t off);
int fdio_append(void *file, const char *data, size_t len); /* file: an fdio_file_t */
int fdio_commit(fdio_file_t *f);
void fdio_abort(fdio_file_t *f);
/* Take back a file committed to path: remove the regular file there (or
 * where its symbolic link leads). What was written through to a device or a
 * pipe cannot be taken back, and the device is left alone. */
void fdio_remove(const char *path);

/* The whole of len bytes to path, atomically as above. */
int fdio_save(const char *path, const void *data, size_t len);

/* A file name safe to create in a directory and to give the platform: the
 * characters [A-Za-z0-9._+-] kept, runs of others turned into one '_', no
 * leading '.', at most 200 bytes (and size - 1), never empty. */
void fdio_safe_name(const char *name, char *out, size_t size);

#endif
