/* unit.h -- the unit tests' harness: each check prints one line, "PASS
 * <name>" or "FAIL <name>: <why>", as the shell tests do (test/run.sh
 * counts them), and a test program exits 0 when it ran to the end.
 *
 *     UNIT_CHECK("plan: 8 parts", plan.n == 8, "got %d", plan.n);
 */
#ifndef RC_UNIT_H
#define RC_UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int unit_failures;

#define UNIT_CHECK(name, cond, ...)                                   \
    do {                                                              \
        if (cond) {                                                   \
            printf("PASS %s\n", name);                                \
        } else {                                                      \
            unit_failures++;                                          \
            printf("FAIL %s: ", name);                                \
            printf(__VA_ARGS__);                                      \
            printf(" (%s:%d)\n", __FILE__, __LINE__);                 \
        }                                                             \
        fflush(stdout);                                               \
    } while (0)

/* The directory of the generated test BAMs (test/data). */
static inline const char *unit_data_dir(void)
{
    const char *d = getenv("REGCOUNT_TEST_DATA");
    return d && *d ? d : "test/data";
}

#endif
