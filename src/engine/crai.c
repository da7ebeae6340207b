/* crai.c -- a CRAM index; see crai.h. */
#include "crai.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "rc.h"

static int out_of_memory(void) { return rc_fail(RC_EINTERNAL, "out of memory for the index"); }

/* The six fields of a line; 0, or RC_EINPUT. */
static int parse_line(char *line, const char *path, int64_t n, crai_entry_t *e)
{
    int64_t v[6];
    char *p = line, *end;
    for (int i = 0; i < 6; i++) {
        errno = 0;
        v[i] = strtoll(p, &end, 10);
        if (end == p || errno || (i < 5 ? *end != '\t' : *end != '\0' && *end != '\r'))
            return rc_fail(RC_EINPUT, "%s:%" PRId64 ": not a CRAM index line (six tab-separated "
                           "numbers): the file is not a CRAI, or is corrupt", path, n);
        p = end + 1;
    }
    *e = (crai_entry_t){(int32_t)v[0], v[1], v[2], v[3], v[4], v[5]};
    return 0;
}

static int by_offset(const void *x, const void *y)
{
    const crai_entry_t *a = x, *b = y;
    if (a->container != b->container)
        return a->container < b->container ? -1 : 1;
    return a->slice < b->slice ? -1 : a->slice > b->slice;
}

static int add(crai_t *c, size_t *cap, const crai_entry_t *e)
{
    if ((size_t)c->n == *cap) {
        size_t m = *cap ? 2 * *cap : 1024;
        crai_entry_t *a = realloc(c->e, m * sizeof *a);
        if (!a)
            return out_of_memory();
        c->e = a;
        *cap = m;
    }
    c->e[c->n++] = *e;
    return 0;
}

/* The distinct container offsets, once the entries are sorted. */
static int list_containers(crai_t *c)
{
    if (!(c->containers = malloc((c->n + 1) * sizeof *c->containers)))
        return out_of_memory();
    for (int64_t i = 0; i < c->n; i++)
        if (i == 0 || c->e[i].container != c->e[i - 1].container)
            c->containers[c->n_containers++] = c->e[i].container;
    return 0;
}

int crai_load(crai_t *c, const char *path, int n_targets, int64_t data_end)
{
    memset(c, 0, sizeof *c);
    /* BGZF reads plain gzip, which a CRAI is, and uncompressed text. */
    BGZF *fp = bgzf_open(path, "r");
    if (!fp)
        return rc_fail_errno(RC_EINPUT, "cannot open index %s", path);
    kstring_t line = {0};
    size_t cap = 0;
    int64_t n = 0;
    int rc = 0, got;
    while (rc == 0 && (got = bgzf_getline(fp, '\n', &line)) >= 0) {
        crai_entry_t e;
        n++;
        if (line.l == 0 || (rc = parse_line(line.s, path, n, &e)) != 0)
            continue;
        if (e.ref_id < -1 || e.ref_id >= n_targets)
            rc = rc_fail(RC_EINPUT, "%s:%" PRId64 ": reference id %d, the CRAM's header has %d "
                         "references: the index does not belong to this CRAM", path, n, e.ref_id,
                         n_targets);
        else if (e.container < 0 || e.container >= data_end || e.slice < 0 || e.size < 0)
            rc = rc_fail(RC_EINPUT, "%s:%" PRId64 ": a container at byte %" PRId64 ", past the "
                         "CRAM's end: the index does not belong to this CRAM", path, n, e.container);
        else
            rc = add(c, &cap, &e);
    }
    if (rc == 0 && got < -1)
        rc = rc_fail(RC_EINPUT, "%s cannot be read after line %" PRId64 " (a corrupt gzip file?)",
                     path, n);
    if (rc == 0) {
        if (c->n > 1)
            qsort(c->e, c->n, sizeof *c->e, by_offset);
        rc = list_containers(c);
    }
    bgzf_close(fp);
    free(line.s);
    if (rc != 0)
        crai_free(c);
    return rc;
}

void crai_free(crai_t *c)
{
    free(c->e);
    free(c->containers);
    *c = (crai_t){0};
}

int64_t crai_container_at(const crai_t *c, int64_t off)
{
    int64_t lo = 0, hi = c->n_containers;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->containers[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first entry at or after offset off. */
static int64_t first_at(const crai_t *c, int64_t off)
{
    int64_t lo = 0, hi = c->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->e[mid].container < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void crai_range(const crai_t *c, int64_t beg, int64_t end, int64_t *first, int64_t *last)
{
    *first = first_at(c, beg);
    *last = first_at(c, end);
}
