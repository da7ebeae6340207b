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

/* ---- reading records where they lie in the decompressed block ---------- */

/* Make sure fp's current block has data to read: load the next block when
 * the current one is used up. Returns 1, 0 at the end of the data (an
 * empty block, as bgzf_read takes it), or -1 when the block cannot be read
 * (truncated or corrupt). Only for a stream without threads. */
int htsx_bgzf_fill(BGZF *fp);

/* When the current block holds the whole record at fp's position (its
 * 4-byte block_size and the block_size bytes after it), point *rec at it,
 * set *block_size, move past it as bgzf_read would and return 1; else
 * return 0 and leave fp as it was (the record spans blocks: read it with
 * bgzf_read). Never copies. */
int htsx_bgzf_take_record(BGZF *fp, const uint8_t **rec, uint32_t *block_size);

/* 1 if fp decompresses with threads (bgzf_mt), whose blocks are not read
 * in place. */
int htsx_bgzf_threaded(const BGZF *fp);

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
