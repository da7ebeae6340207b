/* cramhdr.h -- the header of a CRAM container and the CRCs of its blocks,
 * read from their bytes.
 *
 * The index method counts a CRAM's records per reference sequence from the
 * container headers alone: each holds its reference id (-1: unmapped, -2:
 * several) and its number of records (CRAM specification, hts-specs
 * CRAMv3.tex, "Container structure"). htslib 1.16 reads these headers but
 * does not offer those two fields (1.17 added cram_container_get_num_records
 * and _coords), so they are parsed here, from the specification: ITF8 and
 * LTF8 integers, and in CRAM 3 a CRC32 of the header, checked.
 */
#ifndef RC_CRAMHDR_H
#define RC_CRAMHDR_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t length;         /* bytes of the blocks after the header */
    int32_t ref_id;         /* -1 unmapped, -2 several references */
    int32_t start, span;    /* alignment start (1-based; 0 unmapped) and span */
    int32_t n_records;
    int64_t record_counter; /* 0-based index of the first record in the file */
    int64_t bases;
    int32_t n_blocks, n_landmarks;
    int size;               /* bytes of the header itself */
} cramhdr_t;

/* A container header is rarely larger than this; cramhdr_parse says when
 * it needs more. */
#define CRAMHDR_USUAL_SIZE 512

/* Parse the container header at data (len bytes) of a CRAM of major
 * version major (2 or 3). Returns 1 with *h filled; 0 when len is too short
 * to hold it (give more); RC_EINPUT when the bytes are not a container
 * header (a CRC32 that does not match, impossible values), the message
 * naming what (the file and offset). */
int cramhdr_parse(const uint8_t *data, size_t len, int major, const char *what, cramhdr_t *h);

/* Check the blocks of a container (the len bytes after its header): each
 * block's CRC32 (CRAM 3), and that they fill len exactly; with
 * padded, only the first n_blocks, and what follows is padding (the header
 * container, which writers pad to leave room for a longer header). htslib
 * checks a block's CRC only when it decompresses the block, and counting
 * needs few. Returns 0 or RC_EINPUT, naming what. */
int cramhdr_check_blocks(const uint8_t *data, size_t len, int major, int n_blocks, int padded,
                         const char *what);

#endif
