/* bamfile.h -- a BAM file and its index, opened and checked before any
 * counting starts, so that bad input fails at once with a clear message.
 */
#ifndef RC_BAMFILE_H
#define RC_BAMFILE_H

#include <stdint.h>
#include <htslib/sam.h>

typedef struct {
    const char *path;       /* the BAM, as given */
    const char *index_path; /* the index, as given or found; NULL if none */
    sam_hdr_t *hdr;
    hts_idx_t *idx;         /* NULL when there is no index */
    int64_t size;           /* bytes */
    uint64_t data_voff;     /* virtual offset of the first record */
    char *found_index;      /* owned copy of index_path when it was found */
    int header_unreadable;  /* why bamfile_open failed: the header */
} bamfile_t;

/* The virtual offset that stands for the end of the file (a part that
 * reads to the end). */
#define BAMFILE_VOFF_END UINT64_MAX

/* Flags for bamfile_open. */
enum {
    BAMFILE_FIND_INDEX = 1,   /* without index_path, use BAM.bai or BAM.csi if there */
    BAMFILE_NO_EOF_CHECK = 2, /* do not look for the end-of-file marker (a mirror
                             that holds only the start of the file) */
};

/* Open and check a BAM: it must be readable, BGZF-compressed BAM (not SAM,
 * CRAM or plain gzip), end with the BGZF end-of-file marker, and have a
 * readable header. With index_path, load that index (or see flags). The
 * index must have as many reference sequences as the header; a header
 * saying SO:queryname or SO:unsorted is refused when there is an index.
 *
 * Returns 0, or RC_EINPUT with a message naming the file and the problem. */
int bamfile_open(bamfile_t *in, const char *path, const char *index_path, int flags);

void bamfile_close(bamfile_t *in);

/* Check the BAM part of bamfile_open on an open htsFile: its format and,
 * with check_eof, the end-of-file marker (where the file can be checked).
 * Returns 0 or RC_EINPUT. */
int bamfile_check_format(htsFile *fp, const char *path, int check_eof);

/* Load the index at index_path for the BAM open as fp and check that it fits
 * the header. Returns 0 or RC_EINPUT. */
int bamfile_load_index(bamfile_t *in, htsFile *fp, const char *index_path);

#endif
