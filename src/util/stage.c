/* stage.c -- files committed together; see stage.h. */
#include "stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <htslib/hts.h>

#include "rc.h"

int stage_begin(stage_t *s, const char *dir)
{
    *s = (stage_t){0};
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return rc_fail_errno(RC_EINPUT, "cannot create the directory %s", dir);
    size_t n = strlen(dir) + 32;
    s->dir = strdup(dir);
    s->tmp = malloc(n);
    if (!s->dir || !s->tmp)
        return rc_fail(RC_EINTERNAL, "out of memory");
    snprintf(s->tmp, n, "%s/.regcount-XXXXXX", dir);
    if (!mkdtemp(s->tmp)) {
        free(s->tmp);
        s->tmp = NULL;
        return rc_fail_errno(RC_EINPUT, "cannot write in the directory %s", dir);
    }
    return 0;
}

int stage_file(stage_t *s, const char *name, char *path, size_t size)
{
    if (hts_resize(char *, s->n + 1, &s->m, &s->names, 0) < 0 ||
        !(s->names[s->n] = strdup(name)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    s->n++;
    snprintf(path, size, "%s/%s", s->tmp, name);
    return 0;
}

/* The path of staged file i, in the staging directory or in dir. */
static void path_of(const stage_t *s, int i, int final, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", final ? s->dir : s->tmp, s->names[i]);
}

int stage_commit(stage_t *s)
{
    char from[4096], to[4096];
    int rc = 0;
    for (int i = 0; rc == 0 && i < s->n; i++) {
        path_of(s, i, 0, from, sizeof from);
        path_of(s, i, 1, to, sizeof to);
        if (rename(from, to) != 0)
            rc = rc_fail_errno(RC_EINTERNAL, "cannot move %s to %s", from, to);
        else
            s->names[i][0] = '\0'; /* moved: not the staging directory's to remove */
    }
    stage_abort(s);
    return rc;
}

void stage_abort(stage_t *s)
{
    char path[4096];
    for (int i = 0; i < s->n; i++) {
        if (s->tmp && s->names[i][0]) {
            path_of(s, i, 0, path, sizeof path);
            unlink(path);
        }
        free(s->names[i]);
    }
    if (s->tmp)
        rmdir(s->tmp);
    free(s->names);
    free(s->dir);
    free(s->tmp);
    *s = (stage_t){0};
}
