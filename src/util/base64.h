/* base64.h -- RFC 4648 base64, for binary data that travels inside JSON (a
 * subjob's tally in its output). */
#ifndef RC_BASE64_H
#define RC_BASE64_H

#include <stddef.h>
#include <htslib/kstring.h>

/* Append the base64 of len bytes to out. Returns 0 or RC_EINTERNAL. */
int base64_encode(const void *data, size_t len, kstring_t *out);

/* Append the bytes text (n characters of base64, padded) stands for.
 * Returns 0, or RC_EINTERNAL when it is not base64 (what names it). */
int base64_decode(const char *text, size_t n, const char *what, kstring_t *out);

#endif
