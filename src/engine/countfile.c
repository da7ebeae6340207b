/* countfile.c -- format and save the count file; see countfile.h. */
#include "countfile.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"

static int valid_name(const char *name)
{
    return name && *name && !strpbrk(name, "\n\r\t");
}

int countfile_format(int n, const char *const *names, const uint64_t *counts, kstring_t *out,
                     uint64_t *total_out)
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
    if (total_out)
        *total_out = total;
    return 0;
}

int countfile_format_refs(const sam_hdr_t *hdr, const uint64_t *counts, kstring_t *out,
                          uint64_t *total)
{
    int n = sam_hdr_nref(hdr);
    const char **names = malloc((n + 1) * sizeof *names);
    if (!names)
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; i < n; i++)
        names[i] = sam_hdr_tid2name(hdr, i);
    int rc = countfile_format(n, names, counts, out, total);
    free(names);
    return rc;
}
