/* decimal.h -- numbers written as decimal text into a buffer known to be
 * large enough: for files of millions of lines, where ksprintf's and even
 * kputll's checks per number show. */
#ifndef RC_DECIMAL_H
#define RC_DECIMAL_H

#include <stdint.h>
#include <string.h>

/* The room a number takes at most. */
#define DECIMAL_MAX 20

/* Write v at p; returns the end. */
static inline char *decimal_put(char *p, uint64_t v)
{
    static const char pairs[] = "000102030405060708091011121314151617181920212223242526272829"
                                "303132333435363738394041424344454647484950515253545556575859"
                                "606162636465666768697071727374757677787980818283848586878889"
                                "90919293949596979899";
    char digits[DECIMAL_MAX];
    int n = DECIMAL_MAX;
    while (v >= 100) {
        n -= 2;
        memcpy(digits + n, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        n -= 2;
        memcpy(digits + n, pairs + 2 * v, 2);
    } else {
        digits[--n] = (char)('0' + v);
    }
    memcpy(p, digits + n, DECIMAL_MAX - n);
    return p + (DECIMAL_MAX - n);
}

/* The number of digits of v. */
static inline int decimal_len(uint64_t v)
{
    int n = 1;
    for (; v >= 10000; v /= 10000)
        n += 4;
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

#endif
