/* base64.c -- RFC 4648 base64; see base64.h. */
#include "base64.h"

#include <stdint.h>
#include <string.h>

#include "rc.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(const void *data, size_t len, kstring_t *out)
{
    const uint8_t *p = data;
    if (ks_resize(out, out->l + (len + 2) / 3 * 4 + 1) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    char *o = out->s + out->l;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        *o++ = ALPHABET[v >> 18];
        *o++ = ALPHABET[(v >> 12) & 63];
        *o++ = i + 1 < len ? ALPHABET[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? ALPHABET[v & 63] : '=';
    }
    out->l = (size_t)(o - out->s);
    out->s[out->l] = '\0';
    return 0;
}

static int value(char c)
{
    const char *p = c ? strchr(ALPHABET, c) : NULL;
    return p ? (int)(p - ALPHABET) : -1;
}

int base64_decode(const char *text, size_t n, const char *what, kstring_t *out)
{
    if (n % 4 != 0)
        return rc_fail(RC_EINTERNAL, "%s is not base64", what);
    if (ks_resize(out, out->l + n / 4 * 3 + 1) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (size_t i = 0; i < n; i += 4) {
        int pad = (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=');
        int a = value(text[i]), b = value(text[i + 1]);
        int c = pad >= 2 ? 0 : value(text[i + 2]), d = pad >= 1 ? 0 : value(text[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0 || (pad && i + 4 != n))
            return rc_fail(RC_EINTERNAL, "%s is not base64", what);
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out->s[out->l++] = (char)(v >> 16);
        if (pad < 2)
            out->s[out->l++] = (char)(v >> 8);
        if (pad < 1)
            out->s[out->l++] = (char)v;
    }
    out->s[out->l] = '\0';
    return 0;
}
