/* alnfile.h -- an alignment file, BAM or CRAM, and its index, opened and
 * checked before any counting starts, so that bad input fails at once with
 * a clear message.
 */
#ifndef RC_ALNFILE_H
#define RC_ALNFILE_H

#include <stdint.h>
#include <htslib/sam.h>

#include "crai.h"

typedef enum {
    ALNFILE_BAM,
    ALNFILE_CRAM,
} alnfile_kind_t;

typedef struct {
    alnfile_kind_t kind;
    const char *path;       /* the file, as given */
    const char *index_path; /* the index, as given or found; NULL if none */
    sam_hdr_t *hdr;
    hts_idx_t *idx;         /* BAM: the BAI or CSI; NULL when there is none */
    crai_t crai;            /* CRAM: the CRAI, when index_path is set */
    int64_t size;           /* bytes */
    uint64_t data_voff;     /* virtual offset of the first record (CRAM: of the
                               first container, shifted as plan.h says) */
    int cram_major, cram_minor;
    int64_t cram_data;      /* CRAM: offset of the first container after the header */
    int64_t cram_data_end;  /* CRAM: offset of the end-of-file container */
    char *found_index;      /* owned copy of index_path when it was found */
    int header_unreadable;  /* why alnfile_open failed: the header */
} alnfile_t;

/* The virtual offset that stands for the end of the file (a part that
 * reads to the end). */
#define ALNFILE_VOFF_END UINT64_MAX

/* The end of a CRAM's data (its end-of-file container) as a virtual offset. */
#define ALNFILE_CRAM_END(in) ((uint64_t)(in)->cram_data_end << 16)

/* Flags for alnfile_open. */
enum {
    ALNFILE_FIND_INDEX = 1,   /* without index_path, use the index next to the
                                 file (BAM.bai, BAM.csi, CRAM.crai) if there */
    ALNFILE_NO_EOF_CHECK = 2, /* do not look for the end-of-file marker (a mirror
                                 that holds only the start of the file) */
};

/* Open and check a BAM or CRAM: it must be readable, be BGZF-compressed
 * BAM or a CRAM version htslib reads (not SAM, plain gzip or anything
 * else), end with its end-of-file marker, and have a readable header. With
 * index_path, load that index (or see flags): a BAI or CSI for a BAM, a
 * CRAI for a CRAM, with as many reference sequences as the header. A
 * header saying SO:queryname or SO:unsorted is refused when there is an
 * index.
 *
 * Returns 0, or RC_EINPUT with a message naming the file and the problem. */
int alnfile_open(alnfile_t *in, const char *path, const char *index_path, int flags);

void alnfile_close(alnfile_t *in);

/* 1 if in has an index. */
static inline int alnfile_indexed(const alnfile_t *in)
{
    return in->idx || (in->kind == ALNFILE_CRAM && in->index_path);
}

/* "BAM" or "CRAM", for messages. */
static inline const char *alnfile_kind_name(const alnfile_t *in)
{
    return in->kind == ALNFILE_CRAM ? "CRAM" : "BAM";
}

/* Check what alnfile_open checks of a file's format on an open htsFile:
 * BAM or CRAM, and with check_eof, the end-of-file marker (where the file
 * can be checked). Sets in->kind and the CRAM version. Returns 0 or
 * RC_EINPUT. */
int alnfile_check_format(alnfile_t *in, htsFile *fp, const char *path, int check_eof);

/* 1 when the file at path is a BAM or CRAM, by its first bytes (0 when it
 * is anything else, or cannot be read). */
int alnfile_is_alignments(const char *path);

/* Keep htslib from fetching references over the network: a REF_PATH that
 * is unset, empty or names a URL is replaced with one that finds nothing
 * (htslib 1.16 asks a public server otherwise). Once, at start. */
void alnfile_no_reference_server(void);

#endif
