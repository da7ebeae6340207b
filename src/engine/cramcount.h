/* cramcount.h -- count the records of some containers of a CRAM.
 *
 * The containers are read through a scan source (the local file, or a
 * download URL) and handed to htslib as a whole CRAM (cramfeed.h), which
 * decodes only the fields counting needs: the flag, reference id and
 * position, the CIGAR when regions need the records' ends, the MAPQ when a
 * filter needs it. No sequence is rebuilt, so no reference is needed (see
 * cramcount_fields). The records decoded are then checked against what
 * the container headers announce: as many in all, and at least as many
 * for each reference as its single-reference containers hold.
 */
#ifndef RC_CRAMCOUNT_H
#define RC_CRAMCOUNT_H

#include "alnfile.h"
#include "count.h"
#include "scan.h"

/* Count the records of the containers in [beg, end) (file offsets of
 * container starts, or end the end of the data) of the CRAM in into t, as
 * count_cram_records counts them, with o's regions and filter (o->path,
 * addr_base and progress are set here). threads: htslib's decoding
 * threads (0: none). Returns 0, or an error kind; t->failed_at then says
 * where the data could not be read or checked. */
int cramcount_range(const alnfile_t *in, const scan_source_t *source, int64_t beg, int64_t end,
                    const count_opts_t *o, int threads, tally_t *t);

/* The fields htslib must decode for o (htslib's SAM_* bits). */
int cramcount_fields(const count_opts_t *o);

#endif
