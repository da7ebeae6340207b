/* count.h -- the counting engine: read records and add them up per region,
 * the way `samtools view -c [filters] BAM REGION` counts them.
 *
 * A record that passes the filters counts in a region of its reference
 * sequence when its span, from its position to its end as bam_endpos
 * computes it, meets the region (sweep.h). For a whole reference sequence,
 * the region [0, end), that is every record whose end is past 0:
 * secondary, supplementary, duplicate, QC-fail and placed unmapped reads
 * included; unplaced unmapped reads (tid -1) and the records that have a
 * tid but no position (pos -1) and no reference-consuming CIGAR excluded.
 * The rule looks at one record only, so any split of the file at record
 * starts gives the same sums. Every record is also counted, whatever the
 * filters, in the tally's records per reference (for the index check).
 */
#ifndef RC_COUNT_H
#define RC_COUNT_H

#include <stdint.h>
#include <htslib/bgzf.h>
#include <htslib/sam.h>

#include "alnfile.h"
#include "filter.h"
#include "regions.h"
#include "tally.h"

/* Called every so many records with the virtual offset reached. */
typedef void (*count_progress_fn)(void *arg, uint64_t voff);

typedef struct {
    const char *path;      /* for messages */
    int64_t addr_base;     /* added to block addresses in messages (a
                              stream that starts inside the file) */
    uint64_t end;          /* stop at this virtual offset, or ALNFILE_VOFF_END */
    int check_sorted;      /* fail on a record out of coordinate order */
    int start_from_index;  /* the start offset came from the index */
    const regions_t *regions; /* NULL: whole reference sequences */
    const filter_t *filter;   /* NULL: none */
    const char *reference;    /* CRAM: the reference given, or NULL (for messages) */
    count_progress_fn progress;
    void *progress_arg;
} count_opts_t;

/* Read records from fp's current position up to opts->end and add them to
 * t (initialised for the header's reference count and opts->regions). Reading must stop
 * exactly at end: a record that crosses it means the split point was not a
 * record start (an index that does not belong to the file).
 *
 * Returns 0; RC_EINPUT for a corrupt, truncated or unsorted file, a record
 * whose reference id is not in the header, or a misplaced end (t->failed_at
 * then says where the data could not be read, for a reread); RC_EINTERNAL
 * when out of memory. */
int count_records(BGZF *fp, const count_opts_t *opts, tally_t *t);

/* The same for a CRAM that htslib decodes, to its end (opts->end is not
 * used; cramfeed.h hands htslib exactly the containers to count). Block
 * addresses in messages are the stream's offset plus opts->addr_base. */
int count_cram_records(htsFile *fp, sam_hdr_t *hdr, const count_opts_t *opts, tally_t *t);

/* From fp's position, read the records of reference sequence tid that have
 * no position (pos -1; they sort first) and add to *skipped those samtools
 * does not count; stop at the first other record. Returns 0, or RC_EINPUT
 * when the data cannot be read (o gives the path and offsets for the
 * message). */
int count_unpositioned(BGZF *fp, int tid, const count_opts_t *o, uint64_t *skipped);

#endif
