/* fdio.h -- whole writes: to a file descriptor, through interrupted and
 * short writes, and to a path, atomically. */
#ifndef RC_FDIO_H
#define RC_FDIO_H

#include <stddef.h>
#include <stdint.h>

/* Write all len bytes (at file offset off, for fdio_pwrite_all). Returns 0,
 * or -1 with errno set, as write() does. */
int fdio_write_all(int fd, const void *data, size_t len);
int fdio_pwrite_all(int fd, const void *data, size_t len, int64_t off);

/* Write len bytes to path atomically: a temporary file in the same
 * directory, flushed to disk and renamed over path, so that path either
 * holds all of them or is as it was. The file gets mode 0666 less the
 * umask. Returns 0, or an error kind (rc.h) with a message naming path. */
int fdio_save(const char *path, const void *data, size_t len);

#endif
