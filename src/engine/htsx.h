/* htsx.h -- the few things regcount needs from htslib that its public API
 * (1.16) does not offer, in one place.
 *
 * Each reads or writes fields of htslib's structures (BGZF, hts_itr_t) or
 * calls a function htslib exports without declaring it. Checked against
 * htslib 1.16 (Debian 12) and 1.19 (Ubuntu 24.04, the platform's worker):
 * the fields used have the same names, types and meaning in both. A newer
 * htslib that changes them breaks the build here, not silently elsewhere.
 */
#ifndef RC_HTSX_H
#define RC_HTSX_H

#include <stddef.h>
#include <stdint.h>
#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>
#include <htslib/hts_endian.h>

/* ---- reading records where they lie in the decompressed block ---------- */

/* These run once per record: inline, here, rather than a call each into
 * htsx.c.
 *
 * htsx_bgzf_fill: make sure fp's current block has data to read, loading
 * the next block when the current one is used up. Returns 1, 0 at the end
 * of the data (an empty block, as bgzf_read takes it), or -1 when the block
 * cannot be read (truncated or corrupt). Only for a stream without threads.
 *
 * htsx_bgzf_take_record: when the current block holds the whole record at
 * fp's position (its 4-byte block_size and the block_size bytes after it),
 * point *rec at it, set *block_size, move past it as bgzf_read would and
 * return 1; else return 0 and leave fp as it was (the record spans blocks:
 * read it with bgzf_read). Never copies.
 *
 * htsx_bgzf_threaded: 1 if fp decompresses with threads (bgzf_mt), whose
 * blocks are not read in place. */
static inline int htsx_bgzf_fill(BGZF *fp)
{
    if (fp->block_offset < fp->block_length)
        return 1;
    if (bgzf_read_block(fp) != 0)
        return -1;
    return fp->block_length > 0;
}

static inline int htsx_bgzf_take_record(BGZF *fp, const uint8_t **rec, uint32_t *block_size)
{
    int avail = fp->block_length - fp->block_offset;
    if (avail < 4)
        return 0;
    const uint8_t *p = (const uint8_t *)fp->uncompressed_block + fp->block_offset;
    uint32_t bs = le_to_u32(p);
    if ((int64_t)bs + 4 > avail)
        return 0;
    *rec = p;
    *block_size = bs;
    fp->block_offset += 4 + bs;
    fp->uncompressed_address += 4 + bs;
    if (fp->block_offset == fp->block_length) {
        /* As bgzf_read does: point at the next block, so that bgzf_tell
         * gives the offsets the index uses. */
        fp->block_address = htell(fp->fp);
        fp->block_offset = fp->block_length = 0;
    }
    return 1;
}

static inline int htsx_bgzf_threaded(const BGZF *fp) { return fp->mt != NULL; }

/* ---- reading a file ------------------------------------------------------ */

/* Reads of a few blocks at a time into a buffer that stays in the CPU's
 * cache (128 KiB): with 1 MiB reads the kernel's copy out of the page cache
 * missed it and took 3 times the system time (0.4 s per GB instead of
 * 0.15). */
void htsx_set_read_buffer(hFILE *h);

/* ---- offsets from the index --------------------------------------------- */

/* The virtual offsets of the first and last chunk holding records of tid
 * that overlap [beg, end). Returns 1, or 0 when the index has none. */
int htsx_chunk_range(const hts_idx_t *idx, int tid, hts_pos_t beg, hts_pos_t end,
                     uint64_t *first, uint64_t *last);

/* Where the unplaced unmapped reads start (the end of the placed ones), or
 * UINT64_MAX when the index does not say. */
uint64_t htsx_unplaced_start(const hts_idx_t *idx);

#endif
