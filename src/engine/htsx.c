/* htsx.c -- what htslib's public API does not offer; see htsx.h. */
#include "htsx.h"

#include <htslib/hts_endian.h>
#include <htslib/sam.h>

int htsx_bgzf_fill(BGZF *fp)
{
    if (fp->block_offset < fp->block_length)
        return 1;
    if (bgzf_read_block(fp) != 0)
        return -1;
    return fp->block_length > 0;
}

int htsx_bgzf_take_record(BGZF *fp, const uint8_t **rec, uint32_t *block_size)
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

int htsx_bgzf_threaded(const BGZF *fp) { return fp->mt != NULL; }

/* Exported by htslib and declared only inside an inline function of
 * hfile.h: sets the size of an hFILE's buffer. */
extern int hfile_set_blksize(hFILE *fp, size_t bufsiz);

void htsx_set_read_buffer(hFILE *h) { hfile_set_blksize(h, 1 << 17); }

int htsx_chunk_range(const hts_idx_t *idx, int tid, hts_pos_t beg, hts_pos_t end,
                     uint64_t *first, uint64_t *last)
{
    hts_itr_t *it = sam_itr_queryi(idx, tid, beg, end);
    int found = it && it->n_off > 0;
    if (found) {
        *first = it->off[0].u;
        *last = it->off[it->n_off - 1].v;
    }
    hts_itr_destroy(it);
    return found;
}

uint64_t htsx_unplaced_start(const hts_idx_t *idx)
{
    hts_itr_t *it = sam_itr_queryi(idx, HTS_IDX_NOCOOR, 0, 0);
    uint64_t start = it && !it->finished ? it->curr_off : UINT64_MAX;
    hts_itr_destroy(it);
    return start;
}
