/* htsx.c -- what htslib's public API does not offer; see htsx.h. */
#include "htsx.h"

#include <htslib/sam.h>

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
