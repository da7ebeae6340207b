/* stage.h -- files that appear in a directory together or not at all.
 *
 * They are written into a hidden staging directory inside it
 * (".regcount-XXXXXX", on the same file system) and moved into place by
 * stage_commit once every one of them is complete; stage_abort removes
 * them. So a run that fails halfway leaves no count file of the samples
 * that were done (at worst, if the process is killed, the hidden directory).
 */
#ifndef RC_STAGE_H
#define RC_STAGE_H

#include <stddef.h>

typedef struct {
    char *dir;    /* where the files go */
    char *tmp;    /* the staging directory */
    char **names; /* the files staged */
    int n, m;
} stage_t;

/* Stage files for dir (created if it does not exist; its parent must).
 * Returns 0 or an error kind. */
int stage_begin(stage_t *s, const char *dir);

/* The path at which to write the file name (path holds size bytes); the
 * file is moved into dir on commit. Returns 0 or an error kind. */
int stage_file(stage_t *s, const char *name, char *path, size_t size);

/* Move every staged file into dir and remove the staging directory.
 * Returns 0 or an error kind (the files not yet moved are removed). */
int stage_commit(stage_t *s);

/* Remove the staged files and the staging directory; free s. */
void stage_abort(stage_t *s);

#endif
