/* fdio.c -- whole writes; see fdio.h. */
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

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
