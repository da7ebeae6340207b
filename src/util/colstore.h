/* colstore.h -- the counts of many samples, a column of n_rows numbers each,
 * kept in a temporary file so that a matrix of a thousand samples by three
 * million bins can be written row by row without holding it in memory.
 *
 * Columns are appended whole, in sample order, and read back a slice of
 * rows at a time. The file is created in a directory given (so that its
 * size is charged where there is room) and unlinked at once: nothing is
 * left behind, whatever happens to the process.
 */
#ifndef RC_COLSTORE_H
#define RC_COLSTORE_H

#include <stdint.h>

typedef struct {
    int fd;
    int64_t n_rows;
    int n_cols;
    char dir[512]; /* for messages */
} colstore_t;

/* An empty store of columns of n_rows numbers in a new temporary file in
 * dir. Returns 0 or an error kind. */
int colstore_open(colstore_t *cs, const char *dir, int64_t n_rows);

/* Append a column: values[0..n_rows-1]. Returns 0 or an error kind (a full
 * disk is the user's to fix, as rc_fail_errno says). */
int colstore_append(colstore_t *cs, const uint64_t *values);

/* Rows [row, row + n) of every column, row-major: out[(r - row) * n_cols +
 * col]. Returns 0 or an error kind. */
int colstore_read_rows(const colstore_t *cs, int64_t row, int64_t n, uint64_t *out);

/* The bytes a store of n_cols columns of n_rows takes on disk. */
static inline int64_t colstore_bytes(int64_t n_rows, int64_t n_cols) { return n_rows * n_cols * 8; }

void colstore_close(colstore_t *cs);

#endif
