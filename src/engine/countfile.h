/* countfile.h -- the count file, in the classic format of the tutorial:
 *
 *     Region <name>: <count>      one line per reference sequence, in order
 *     Total reads: <sum>
 *
 * Every line ends with a newline.
 */
#ifndef RC_COUNTFILE_H
#define RC_COUNTFILE_H

#include <stdint.h>
#include <stdio.h>
#include <htslib/kstring.h>

/* Append the count file for n regions to out. A name must be non-empty and
 * hold no line break, tab or NUL, so that each region stays on one line;
 * the sum must not overflow. Returns 0, or RC_EINPUT for such a name. */
int countfile_format(int n, const char *const *names, const uint64_t *counts, kstring_t *out);

/* Write text to path atomically: a temporary file in the same directory,
 * flushed and renamed over path, so that path either holds the whole count
 * file or does not exist. Returns 0 or RC_EINTERNAL (a full disk, say). */
int countfile_save(const char *path, const char *text, size_t len);

#endif
