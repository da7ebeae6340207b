/* filter.c -- samtools view's read filters; see filter.h. */
#include "filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <htslib/sam.h>

#include "rc.h"

int filter_parse_flag(const char *what, const char *text, uint16_t *flag)
{
    long v = -1;
    if (isdigit((unsigned char)*text)) {
        /* All of it a number (bam_str2flag would take "4x" as 4). */
        char *end;
        errno = 0;
        v = strtol(text, &end, 0);
        if (*end || errno)
            v = -1;
    } else if (*text) {
        v = bam_str2flag(text); /* samtools' names, comma-separated */
    }
    if (v < 0 || v > 0xffff)
        return rc_fail(RC_EINPUT,
                       "%s: '%.60s' is not a FLAG (a number such as 0x904, or names such as "
                       "UNMAP,SECONDARY,DUP)", what, text);
    *flag = (uint16_t)v;
    return 0;
}

int filter_parse_mapq(const char *what, const char *text, int *mapq)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!isdigit((unsigned char)*text) || *end || errno || v > 255)
        return rc_fail(RC_EINPUT, "%s: '%.60s' is not a MAPQ (a whole number from 0 to 255)",
                       what, text);
    *mapq = (int)v;
    return 0;
}

const char *filter_describe(const filter_t *f, char buf[96])
{
    int n = 0;
    buf[0] = '\0';
    if (f->min_mapq)
        n += snprintf(buf + n, 96 - n, " -q %d", f->min_mapq);
    if (f->require)
        n += snprintf(buf + n, 96 - n, " -f 0x%x", f->require);
    if (f->exclude)
        n += snprintf(buf + n, 96 - n, " -F 0x%x", f->exclude);
    if (f->exclude_all)
        snprintf(buf + n, 96 - n, " -G 0x%x", f->exclude_all);
    return buf[0] ? buf + 1 : buf;
}
