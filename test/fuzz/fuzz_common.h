/* fuzz_common.h -- what the libFuzzer targets of test/fuzz share: a scratch
 * directory per process, writing the input to a file, and CHECK, which
 * turns a broken invariant into a crash that libFuzzer saves as an input.
 */
#ifndef RC_FUZZ_COMMON_H
#define RC_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant: say which and where, then abort (libFuzzer saves the
 * input as a crash). */
#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
            abort();                                                                  \
        }                                                                             \
    } while (0)

/* A fresh directory for this process's files, removed at exit: under
 * $TMPDIR if set, else in /dev/shm (memory) when it exists, else /tmp. */
const char *fuzz_scratch_dir(void);

/* Write len bytes to path (created or truncated); aborts on failure, which
 * is the harness's problem, not the input's. */
void fuzz_write_file(const char *path, const void *data, size_t len);

/* A NUL-terminated copy of data (malloc'd). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
