/* summary.c -- a sample's reads, dosage and profile; see summary.h. */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/ksort.h>

#include "rc.h"

KSORT_INIT_GENERIC(uint64_t)

/* n for a sequence named n or chrn with 1 <= n <= 22, else 0. */
static int autosome_number(const char *name)
{
    const char *p = strncmp(name, "chr", 3) == 0 ? name + 3 : name;
    if (*p < '1' || *p > '9' || (p[1] && (p[1] < '0' || p[1] > '9')) || (p[1] && p[2]))
        return 0;
    int n = atoi(p);
    return n <= 22 ? n : 0;
}

/* 1 when name is one of names (NULL-terminated), with or without "chr". */
static int named(const char *name, const char *const *names)
{
    const char *p = strncmp(name, "chr", 3) == 0 ? name + 3 : name;
    for (; *names; names++)
        if (strcmp(p, *names) == 0)
            return 1;
    return 0;
}

/* Without autosomes, the longest sequences are plotted, in header order. */
static int longer_first(const void *a, const void *b, void *hdr)
{
    int ta = *(const int *)a, tb = *(const int *)b;
    hts_pos_t la = sam_hdr_tid2len(hdr, ta), lb = sam_hdr_tid2len(hdr, tb);
    return la != lb ? (la < lb) - (la > lb) : (ta > tb) - (ta < tb);
}

static int by_tid(const void *a, const void *b)
{
    return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

static int plot_longest(summary_layout_t *l, int nref)
{
    int *tids = malloc((nref + 1) * sizeof *tids);
    if (!tids)
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (int tid = 0; tid < nref; tid++)
        tids[tid] = tid;
    qsort_r(tids, nref, sizeof *tids, longer_first, (void *)l->hdr);
    l->n_plot = nref < SUMMARY_MAX_PLOT ? nref : SUMMARY_MAX_PLOT;
    memcpy(l->plot, tids, l->n_plot * sizeof *tids);
    qsort(l->plot, l->n_plot, sizeof *l->plot, by_tid);
    free(tids);
    return 0;
}

int summary_layout_init(summary_layout_t *l, const sam_hdr_t *hdr, const regions_t *regions,
                        int profiles)
{
    static const char *const X[] = {"X", NULL}, *const Y[] = {"Y", NULL},
                             *const M[] = {"M", "MT", NULL};
    int nref = sam_hdr_nref(hdr);
    *l = (summary_layout_t){.hdr = hdr, .regions = regions, .x = -1, .y = -1, .m = -1};
    if (!(l->is_base = calloc(nref + 1, sizeof *l->is_base)))
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (int tid = 0; tid < nref; tid++) {
        const char *name = sam_hdr_tid2name(hdr, tid);
        int special = 1;
        if (named(name, X))
            l->x = tid;
        else if (named(name, Y))
            l->y = tid;
        else if (named(name, M))
            l->m = tid;
        else
            special = 0;
        if (autosome_number(name)) {
            l->is_base[tid] = l->autosomes = 1;
            l->base_len += sam_hdr_tid2len(hdr, tid);
        }
        if ((special || autosome_number(name)) && l->n_plot < SUMMARY_MAX_PLOT)
            l->plot[l->n_plot++] = tid;
    }
    if (!l->autosomes) {
        int rc = plot_longest(l, nref);
        if (rc != 0)
            return rc;
        for (int tid = 0; tid < nref; tid++) {
            l->is_base[tid] = 1;
            l->base_len += sam_hdr_tid2len(hdr, tid);
        }
    }
    if (profiles && regions->kind == REGIONS_BINS)
        l->n_cols = regions->n < SUMMARY_PROFILE_COLS ? (int)regions->n : SUMMARY_PROFILE_COLS;
    return 0;
}

void summary_layout_free(summary_layout_t *l)
{
    free(l->is_base);
    l->is_base = NULL;
}

void summary_column_bins(const summary_layout_t *l, int c, int64_t *first, int64_t *end)
{
    *first = l->regions->n * c / l->n_cols;
    *end = l->regions->n * (c + 1) / l->n_cols;
}

/* The median count of the full-size bins that hold reads; 0 when none. */
static int median_bin(const summary_layout_t *l, const uint64_t *counts, double *median)
{
    const regions_t *r = l->regions;
    uint64_t *full = malloc((size_t)r->n * sizeof *full + 1);
    if (!full)
        return rc_fail(RC_EINTERNAL, "out of memory for the profile of %lld bins",
                       (long long)r->n);
    int64_t n = 0;
    regions_pos_t pos = {.tid = -1};
    for (int64_t i = 0; i < r->n; i++) {
        regions_coords(r, i, &pos);
        if (pos.end - pos.beg == r->bin && counts[i] > 0)
            full[n++] = counts[i];
    }
    *median = n ? (double)ks_ksmall_uint64_t((size_t)n, full, (size_t)n / 2) : 0;
    free(full);
    return 0;
}

static int make_profile(const summary_layout_t *l, const uint64_t *counts, summary_t *s)
{
    double median = 0;
    int rc = median_bin(l, counts, &median);
    if (rc == 0 && !(s->profile = malloc(l->n_cols * sizeof *s->profile)))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    const regions_t *r = l->regions;
    regions_pos_t pos = {.tid = -1};
    for (int c = 0; rc == 0 && c < l->n_cols; c++) {
        int64_t first, end;
        double reads = 0, bases = 0;
        summary_column_bins(l, c, &first, &end);
        for (int64_t i = first; i < end; i++) {
            regions_coords(r, i, &pos);
            reads += (double)counts[i];
            bases += (double)(pos.end - pos.beg);
        }
        s->profile[c] = median > 0 && bases > 0 ? (float)(reads / bases * (double)r->bin / median)
                                                : NAN;
    }
    return rc;
}

int summary_make(const summary_layout_t *l, const char *name, const tally_t *t, summary_t *s)
{
    *s = (summary_t){.x = NAN, .y = NAN, .m = NAN};
    snprintf(s->name, sizeof s->name, "%s", name);
    uint64_t base_reads = 0;
    for (int tid = 0; tid < t->n_targets; tid++) {
        s->reads += t->counted[tid];
        base_reads += l->is_base[tid] ? t->counted[tid] : 0;
    }
    for (int64_t i = 0; i < t->n_counts; i++)
        s->total += t->counts[i];
    double per_base = l->base_len > 0 ? (double)base_reads / (double)l->base_len : 0;
    double dosage[3] = {NAN, NAN, NAN};
    const int special[3] = {l->x, l->y, l->m};
    for (int k = 0; k < l->n_plot + 3; k++) {
        int tid = k < l->n_plot ? l->plot[k] : special[k - l->n_plot];
        int64_t len = tid >= 0 ? sam_hdr_tid2len(l->hdr, tid) : 0;
        double d = per_base > 0 && len > 0 ? (double)t->counted[tid] / (double)len / per_base : NAN;
        if (k < l->n_plot)
            s->plot[k] = (float)d;
        else
            dosage[k - l->n_plot] = l->autosomes ? d : NAN;
    }
    s->x = dosage[0], s->y = dosage[1], s->m = dosage[2];
    return l->n_cols ? make_profile(l, t->counts, s) : 0;
}

void summary_free(summary_t *s)
{
    free(s->profile);
    s->profile = NULL;
}
