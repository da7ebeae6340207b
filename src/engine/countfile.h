/* countfile.h -- the count file, in the classic format of the tutorial:
 *
 *     Region <name>: <count>      one line per region, in order
 *     Total reads: <sum>
 *
 * Every line ends with a newline. (Written atomically with fdio_save.)
 */
#ifndef RC_COUNTFILE_H
#define RC_COUNTFILE_H

#include <stdint.h>
#include <htslib/kstring.h>
#include <htslib/sam.h>

/* Append the count file for n regions to out and put the sum in *total
 * (may be NULL). A name must be non-empty and hold no line break, tab or
 * NUL, so that each region stays on one line; the sum must not overflow.
 * Returns 0, or RC_EINPUT for such a name or sum. */
int countfile_format(int n, const char *const *names, const uint64_t *counts, kstring_t *out,
                     uint64_t *total);

/* The count file for the header's reference sequences, counts[tid] each. */
int countfile_format_refs(const sam_hdr_t *hdr, const uint64_t *counts, kstring_t *out,
                          uint64_t *total);

#endif
