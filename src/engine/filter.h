/* filter.h -- samtools view's read filters, with its letters and meanings:
 * -q INT (MAPQ at least INT), -f FLAG (all of FLAG set), -F FLAG (none of
 * FLAG set), -G FLAG (not all of FLAG set). A FLAG is decimal, 0x-hex or
 * samtools' names ("UNMAP,SECONDARY,DUP", any case).
 */
#ifndef RC_FILTER_H
#define RC_FILTER_H

#include <stdint.h>

typedef struct {
    int min_mapq;
    uint16_t require, exclude, exclude_all;
} filter_t;

/* 1 when f lets every record through. */
static inline int filter_none(const filter_t *f)
{
    return f->min_mapq == 0 && !f->require && !f->exclude && !f->exclude_all;
}

/* 1 when a record with flag and mapq passes f, as samtools view decides. */
static inline int filter_pass(const filter_t *f, uint16_t flag, uint8_t mapq)
{
    return mapq >= f->min_mapq && (flag & f->require) == f->require && !(flag & f->exclude) &&
           !(f->exclude_all && (flag & f->exclude_all) == f->exclude_all);
}

/* text as a FLAG; what names the option or input in the message. Returns 0
 * or RC_EINPUT. */
int filter_parse_flag(const char *what, const char *text, uint16_t *flag);

/* text as a MAPQ, a whole number from 0 to 255. Returns 0 or RC_EINPUT. */
int filter_parse_mapq(const char *what, const char *text, int *mapq);

/* The filter in samtools view's options ("-q 20 -F 0x904"), for messages
 * and logs; "" when there is none. buf holds 96 bytes. */
const char *filter_describe(const filter_t *f, char buf[96]);

#endif
