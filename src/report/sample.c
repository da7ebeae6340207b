/* sample.c -- sample names and the cohort's reference; see sample.h. */
#include "sample.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash.h>

#include "fdio.h"
#include "rc.h"

KHASH_SET_INIT_STR(names)

struct sample_names {
    khash_t(names) *taken;
};

/* The SM every @RG line gives, into sm; 0 when there is none, or they
 * differ, or a line has none. */
static int single_sm(const sam_hdr_t *hdr, kstring_t *sm)
{
    int n = sam_hdr_count_lines((sam_hdr_t *)hdr, "RG");
    kstring_t tag = {0};
    int ok = n > 0;
    for (int i = 0; ok && i < n; i++) {
        ok = sam_hdr_find_tag_pos((sam_hdr_t *)hdr, "RG", i, "SM", &tag) == 0 && tag.l > 0;
        if (ok && i == 0)
            ok = kputsn(tag.s, tag.l, sm) >= 0;
        else if (ok)
            ok = strcmp(tag.s, sm->s) == 0;
    }
    free(tag.s);
    return ok;
}

void sample_file_stem(const char *file_name, char *out, size_t size)
{
    char stem[4096];
    const char *base = strrchr(file_name, '/');
    snprintf(stem, sizeof stem, "%s", base ? base + 1 : file_name);
    size_t n = strlen(stem);
    if (n > 4 && strcmp(stem + n - 4, ".bam") == 0)
        stem[n - 4] = '\0';
    else if (n > 5 && strcmp(stem + n - 5, ".cram") == 0)
        stem[n - 5] = '\0';
    fdio_safe_name(stem, out, size);
}

void sample_name(const sam_hdr_t *hdr, const char *file_name, char *out)
{
    kstring_t sm = {0};
    if (single_sm(hdr, &sm))
        fdio_safe_name(sm.s, out, SAMPLE_NAME_MAX + 1);
    else
        sample_file_stem(file_name, out, SAMPLE_NAME_MAX + 1);
    free(sm.s);
}

sample_names_t *sample_names_init(void)
{
    sample_names_t *s = calloc(1, sizeof *s);
    if (s && !(s->taken = kh_init(names))) {
        free(s);
        s = NULL;
    }
    return s;
}

void sample_names_free(sample_names_t *s)
{
    if (!s)
        return;
    for (khint_t k = kh_begin(s->taken); k != kh_end(s->taken); k++)
        if (kh_exist(s->taken, k))
            free((char *)kh_key(s->taken, k));
    kh_destroy(names, s->taken);
    free(s);
}

int sample_names_take(sample_names_t *s, char *name)
{
    char base[SAMPLE_NAME_MAX + 1];
    snprintf(base, sizeof base, "%s", name);
    for (int k = 2; kh_get(names, s->taken, name) != kh_end(s->taken); k++) {
        char suffix[16];
        int len = snprintf(suffix, sizeof suffix, "_%d", k);
        int keep = (int)strlen(base) < SAMPLE_NAME_MAX - len ? (int)strlen(base)
                                                             : SAMPLE_NAME_MAX - len;
        snprintf(name, SAMPLE_NAME_MAX + 1, "%.*s%s", keep, base, suffix);
    }
    char *copy = strdup(name);
    int absent;
    if (!copy || (kh_put(names, s->taken, copy, &absent), absent < 0)) {
        free(copy);
        return rc_fail(RC_EINTERNAL, "out of memory");
    }
    return 0;
}

int sample_same_reference(const sam_hdr_t *first, const char *first_what, const sam_hdr_t *hdr,
                          const char *what)
{
    int n1 = sam_hdr_nref(first), n2 = sam_hdr_nref(hdr);
    for (int tid = 0; tid < n1 && tid < n2; tid++) {
        const char *a = sam_hdr_tid2name(first, tid), *b = sam_hdr_tid2name(hdr, tid);
        hts_pos_t la = sam_hdr_tid2len(first, tid), lb = sam_hdr_tid2len(hdr, tid);
        if (strcmp(a, b) != 0 || la != lb)
            return rc_fail(RC_EINPUT, "%s is not on the reference of %s: its reference sequence "
                           "%d is %s (%" PRId64 " bp), not %s (%" PRId64 " bp); every file must "
                           "have the same sequences, in the same order", what, first_what,
                           tid + 1, b, (int64_t)lb, a, (int64_t)la);
    }
    if (n1 != n2)
        return rc_fail(RC_EINPUT, "%s is not on the reference of %s: it has %d reference "
                       "sequences, not %d; every file must have the same sequences, in the "
                       "same order", what, first_what, n2, n1);
    return 0;
}
