/* fdio.h -- whole writes to a file descriptor, through interrupted and
 * short writes. */
#ifndef RC_FDIO_H
#define RC_FDIO_H

#include <stddef.h>
#include <stdint.h>

/* Write all len bytes (at file offset off, for fdio_pwrite_all). Returns 0,
 * or -1 with errno set. */
int fdio_write_all(int fd, const void *data, size_t len);
int fdio_pwrite_all(int fd, const void *data, size_t len, int64_t off);

#endif
