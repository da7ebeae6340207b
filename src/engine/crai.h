/* crai.h -- a CRAM index (CRAI), read as the CRAM specification defines it:
 * gzip-compressed text, one line per slice (one per reference of a
 * multi-reference slice) of six tab-separated integers,
 *
 *     reference id, alignment start, alignment span,
 *     container offset, slice offset (in the container's blocks), slice size
 *
 * regcount plans the parts of a CRAM at container boundaries from it, reads
 * the container headers it points at for the index method, and checks each
 * part's records against the references and positions it gives. (htslib
 * loads a CRAI too, but keeps its entries to itself.)
 */
#ifndef RC_CRAI_H
#define RC_CRAI_H

#include <stdint.h>

typedef struct {
    int32_t ref_id;      /* -1: unmapped */
    int64_t start, span; /* 1-based alignment start; 0 and 0 when unmapped */
    int64_t container;   /* byte offset of the container in the CRAM */
    int64_t slice, size;
} crai_entry_t;

typedef struct {
    int64_t n;
    crai_entry_t *e;     /* sorted by container offset, then slice */
    int64_t n_containers;
    int64_t *containers; /* the distinct container offsets, in order */
} crai_t;

/* Read the CRAI at path for a CRAM of n_targets references whose data runs
 * to byte data_end (its end-of-file container). RC_EINPUT, naming the file
 * and line, for a line that is not six integers, a reference id outside
 * the header, or an offset past data_end; RC_EINTERNAL when out of memory.
 * (The CRAI of a CRAM without records has no lines.) */
int crai_load(crai_t *c, const char *path, int n_targets, int64_t data_end);

void crai_free(crai_t *c);

/* The first of c->containers at or after offset off (n_containers if none). */
int64_t crai_container_at(const crai_t *c, int64_t off);

/* The entries of the containers from offset beg to offset end: [*first,
 * *last) of c->e. */
void crai_range(const crai_t *c, int64_t beg, int64_t end, int64_t *first, int64_t *last);

#endif
