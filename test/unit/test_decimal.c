/* test_decimal.c -- decimal_put (decimal.h) writes what printf does, for
 * every number up to two million and at the edges of 64 bits. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "unit.h"

static int same(uint64_t v)
{
    char got[32], want[32];
    *decimal_put(got, v) = '\0';
    snprintf(want, sizeof want, "%" PRIu64, v);
    return strcmp(got, want) == 0;
}

int main(void)
{
    uint64_t bad = UINT64_MAX;
    for (uint64_t v = 0; v <= 2000000 && bad == UINT64_MAX; v++)
        if (!same(v))
            bad = v;
    UNIT_CHECK("decimal_put: 0 to 2 000 000 as printf writes them", bad == UINT64_MAX, "%" PRIu64, bad);
    static const uint64_t edges[] = {9999999999ULL, 10000000000ULL, 1ULL << 63, UINT64_MAX - 1,
                                     UINT64_MAX, 10000000000000000000ULL};
    int ok = 1;
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        ok &= same(edges[i]);
    UNIT_CHECK("decimal_put: the edges of 64 bits", ok, "differs");
    return 0;
}
