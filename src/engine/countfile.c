/* countfile.c -- format and save the count file; see countfile.h. */
#include "countfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rc.h"
#include "fdio.h"

static int valid_name(const char *name)
{
    return name && *name && !strpbrk(name, "\n\r\t");
}

int countfile_format(int n, const char *const *names, const uint64_t *counts, kstring_t *out)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (!valid_name(names[i]))
            return rc_fail(RC_EINPUT, "region %d has an empty name or one with a line break or tab",
                           i + 1);
        if (counts[i] > UINT64_MAX - total)
            return rc_fail(RC_EINPUT, "the total read count overflows");
        total += counts[i];
        if (ksprintf(out, "Region %s: %" PRIu64 "\n", names[i], counts[i]) < 0)
            return rc_fail(RC_EINTERNAL, "out of memory");
    }
    if (ksprintf(out, "Total reads: %" PRIu64 "\n", total) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    return 0;
}

int countfile_save(const char *path, const char *text, size_t len)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return rc_fail(RC_EINTERNAL, "out of memory");
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc_fail_errno(RC_EINTERNAL, "cannot create a temporary file next to %s", path);
        free(tmp);
        return RC_EINTERNAL;
    }
    mode_t mask = umask(0);
    umask(mask);
    int rc = 0;
    if (fchmod(fd, 0666 & ~mask) != 0 || fdio_write_all(fd, text, len) != 0 || fsync(fd) != 0)
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
