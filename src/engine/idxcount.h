/* idxcount.h -- counts from the index, without reading the reads.
 *
 * A BAI written by samtools holds, for every reference sequence, how many
 * records carry its id (mapped and unmapped). That is the samtools view -c
 * count but for one kind of record: a reference id, no position (pos -1)
 * and an end not past 0, which samtools does not count. Such records sort
 * first in their reference sequence, so reading the first records of each
 * reference sequence that has any (a block or two) finds them all.
 *
 * A CRAI holds no counts, but each container header it points at holds
 * its reference id and number of records (cramhdr.h): those are read, and
 * only the containers of several references, or whose records start at
 * position 0 (where records without a position may be), are decoded.
 */
#ifndef RC_IDXCOUNT_H
#define RC_IDXCOUNT_H

#include <stdint.h>

#include "alnfile.h"
#include "count.h"

/* Make bytes [beg, end) of in->path readable (a remote BAM's mirror
 * fetches them); NULL for a local file. Returns 0 or an error kind. */
typedef int (*idxcount_fetch_fn)(void *arg, int64_t beg, int64_t end);

/* Count in (which must have an index) into total (initialised here).
 * Returns 0; RC_EINPUT when the index holds no per-reference counts (the
 * message suggests the scan method), the file cannot be read there, or a
 * CRAI does not belong to the CRAM. */
int idxcount_run(const alnfile_t *in, idxcount_fetch_fn fetch, void *arg, tally_t *total);

/* The byte ranges the index method reads of a CRAM: every container's
 * header (its first CRAMHDR_USUAL_SIZE bytes), those less than
 * IDXCOUNT_GAP apart merged into one range of at most IDXCOUNT_MAX_RANGE
 * (a request costs more than reading the gap). For a caller that fetches
 * them all at once before idxcount_run. *ranges is the caller's to free;
 * *bytes their sum. Returns 0 or RC_EINTERNAL. */
int idxcount_cram_ranges(const alnfile_t *in, int64_t (**ranges)[2], int64_t *n, int64_t *bytes);

#define IDXCOUNT_GAP (64 << 10)
#define IDXCOUNT_MAX_RANGE (4 << 20)

#endif
