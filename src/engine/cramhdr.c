/* cramhdr.c -- a CRAM container header from its bytes; see cramhdr.h. */
#include "cramhdr.h"

#include <zlib.h>

#include "rc.h"

/* The bytes still to read. */
typedef struct {
    const uint8_t *p, *end;
} cursor_t;

/* ITF8: the leading 1-bits of the first byte count the bytes that follow
 * (0 to 4); the fifth byte gives only its low 4 bits. Returns 1, or 0 when
 * the data ends first. */
static int itf8(cursor_t *c, int32_t *v)
{
    if (c->p >= c->end)
        return 0;
    uint32_t b = *c->p;
    int extra = b < 0x80 ? 0 : b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    if (c->end - c->p < extra + 1)
        return 0;
    const uint8_t *p = c->p;
    uint32_t x;
    switch (extra) {
    case 0: x = b; break;
    case 1: x = (b & 0x3f) << 8 | p[1]; break;
    case 2: x = (b & 0x1f) << 16 | (uint32_t)p[1] << 8 | p[2]; break;
    case 3: x = (b & 0x0f) << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; break;
    default:
        x = (b & 0x0f) << 28 | (uint32_t)p[1] << 20 | (uint32_t)p[2] << 12 | (uint32_t)p[3] << 4 |
            (p[4] & 0x0f);
    }
    c->p += extra + 1;
    *v = (int32_t)x;
    return 1;
}

/* LTF8: as ITF8 with up to 8 bytes after the first (0xff: all 8). */
static int ltf8(cursor_t *c, int64_t *v)
{
    if (c->p >= c->end)
        return 0;
    uint8_t b = *c->p;
    int extra = 0;
    while (extra < 8 && (b & (0x80 >> extra)))
        extra++;
    if (c->end - c->p < extra + 1)
        return 0;
    uint64_t x = extra < 8 ? b & (0xff >> (extra + 1)) : 0;
    for (int i = 1; i <= extra; i++)
        x = x << 8 | c->p[i];
    c->p += extra + 1;
    *v = (int64_t)x;
    return 1;
}

static int int32_le(cursor_t *c, uint32_t *v)
{
    if (c->end - c->p < 4)
        return 0;
    *v = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
         (uint32_t)c->p[3] << 24;
    c->p += 4;
    return 1;
}

int cramhdr_parse(const uint8_t *data, size_t len, int major, const char *what, cramhdr_t *h)
{
    cursor_t c = {data, data + len};
    uint32_t length, crc;
    int32_t landmark, record_counter32;
    *h = (cramhdr_t){0};
    if (!int32_le(&c, &length) || !itf8(&c, &h->ref_id) || !itf8(&c, &h->start) ||
        !itf8(&c, &h->span) || !itf8(&c, &h->n_records))
        return 0;
    if (major >= 3) {
        if (!ltf8(&c, &h->record_counter))
            return 0;
    } else { /* CRAM 2: an ITF8 */
        if (!itf8(&c, &record_counter32))
            return 0;
        h->record_counter = record_counter32;
    }
    if (!ltf8(&c, &h->bases) || !itf8(&c, &h->n_blocks) || !itf8(&c, &h->n_landmarks))
        return 0;
    if (h->n_landmarks < 0 || h->n_landmarks > 1 << 20)
        return rc_fail(RC_EINPUT, "%s: not a CRAM container (%d landmarks)", what, h->n_landmarks);
    for (int i = 0; i < h->n_landmarks; i++)
        if (!itf8(&c, &landmark))
            return 0;
    size_t before_crc = (size_t)(c.p - data);
    if (major >= 3) {
        if (!int32_le(&c, &crc))
            return 0;
        if (crc != (uint32_t)crc32(0L, data, (uInt)before_crc))
            return rc_fail(RC_EINPUT, "%s: the container header's CRC32 does not match (a corrupt "
                           "file, or not a container where the index says one starts)", what);
    }
    h->length = (int32_t)length;
    h->size = (int)(c.p - data);
    if (h->length < 0 || h->n_records < 0 || h->ref_id < -2 || h->n_blocks < 0)
        return rc_fail(RC_EINPUT, "%s: not a CRAM container (impossible values)", what);
    return 1;
}

/* A block (CRAM specification, "Block structure"): method, content type,
 * content id, compressed and raw sizes, the data, and in CRAM 3 a CRC32
 * of all that. Its size into *size; 1, or 0 when it does not fit in c. */
static int block(cursor_t *c, int major, size_t *size, int *crc_ok)
{
    const uint8_t *start = c->p;
    int32_t content_id, comp_size, raw_size;
    uint32_t crc;
    if (c->end - c->p < 2)
        return 0;
    c->p += 2; /* method, content type */
    if (!itf8(c, &content_id) || !itf8(c, &comp_size) || !itf8(c, &raw_size) || comp_size < 0 ||
        c->end - c->p < comp_size)
        return 0;
    c->p += comp_size;
    *crc_ok = 1;
    if (major >= 3) {
        size_t covered = (size_t)(c->p - start);
        if (!int32_le(c, &crc))
            return 0;
        *crc_ok = crc == (uint32_t)crc32(0L, start, (uInt)covered);
    }
    *size = (size_t)(c->p - start);
    return 1;
}

int cramhdr_check_blocks(const uint8_t *data, size_t len, int major, int n_blocks, int padded,
                         const char *what)
{
    cursor_t c = {data, data + len};
    for (int i = 0; padded ? i < n_blocks : c.p < c.end; i++) {
        size_t size;
        int crc_ok;
        if (!block(&c, major, &size, &crc_ok))
            return rc_fail(RC_EINPUT, "%s: block %d runs past the container's end (a corrupt "
                           "file)", what, i + 1);
        if (!crc_ok)
            return rc_fail(RC_EINPUT, "%s: the CRC32 of block %d does not match (a corrupt "
                           "file)", what, i + 1);
    }
    return 0;
}
