/* cohort.c -- a cohort's samples and its shared outputs; see cohort.h. */
#include "cohort.h"

#include <stdlib.h>
#include <string.h>
#include <htslib/hts.h>

#include "fdio.h"
#include "multiqc.h"
#include "rc.h"
#include "report.h"

int cohort_init(cohort_t *c, const sam_hdr_t *hdr, const char *first)
{
    *c = (cohort_t){.columns.fd = -1};
    c->hdr = sam_hdr_dup(hdr);
    c->first = strdup(first);
    c->names = sample_names_init();
    return c->hdr && c->first && c->names ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
}

int cohort_start(cohort_t *c, const regions_t *regions, const char *spool_dir, int profiles)
{
    c->regions = regions;
    int rc = summary_layout_init(&c->layout, c->hdr, regions, profiles);
    if (rc == 0 && spool_dir)
        rc = colstore_open(&c->columns, spool_dir, regions->n);
    return rc;
}

int cohort_check_reference(const cohort_t *c, const sam_hdr_t *hdr, const char *what)
{
    return sample_same_reference(c->hdr, c->first, hdr, what);
}

int cohort_name(cohort_t *c, const sam_hdr_t *hdr, const char *file_name, char *name)
{
    sample_name(hdr, file_name, name);
    return cohort_take_name(c, name);
}

int cohort_take_name(cohort_t *c, char *name) { return sample_names_take(c->names, name); }

/* The counts in output order (the tally keeps BED regions sorted). */
static int add_column(cohort_t *c, const tally_t *t)
{
    const regions_t *r = c->regions;
    if (r->kind != REGIONS_BED)
        return colstore_append(&c->columns, t->counts);
    uint64_t *out = malloc((size_t)r->n * sizeof *out + 1);
    if (!out)
        return rc_fail(RC_EINTERNAL, "out of memory");
    for (int64_t i = 0; i < r->n; i++)
        out[i] = regions_count(r, t->counts, i);
    int rc = colstore_append(&c->columns, out);
    free(out);
    return rc;
}

int cohort_add(cohort_t *c, const char *name, const tally_t *t)
{
    if (hts_resize(summary_t, c->n + 1, &c->m, &c->samples, 0) < 0)
        return rc_fail(RC_EINTERNAL, "out of memory");
    int rc = summary_make(&c->layout, name, t, &c->samples[c->n]);
    if (rc == 0 && c->columns.fd >= 0)
        rc = add_column(c, t);
    if (rc == 0)
        c->n++;
    else
        summary_free(&c->samples[c->n]);
    return rc;
}

static int read_rows(void *arg, int64_t row, int64_t n, uint64_t *out)
{
    return colstore_read_rows(arg, row, n, out);
}

int cohort_save_matrix(const cohort_t *c, const char *path)
{
    char **names = malloc((c->n + 1) * sizeof *names);
    fdio_file_t f = {.fd = -1};
    countfile_out_t out = {.file = &f};
    int rc = names ? fdio_begin(&f, path) : rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; names && i < c->n; i++)
        names[i] = (char *)c->samples[i].name;
    if (rc == 0)
        rc = countfile_format_matrix(c->regions, c->n, names, read_rows, (void *)&c->columns, &out);
    if (rc == 0)
        rc = fdio_commit(&f);
    fdio_abort(&f);
    free(out.buf.s);
    free(names);
    return rc;
}

int cohort_save_sample(const cohort_t *c, const tally_t *t, int threads, const char *count_path,
                       const char *idxstats_path)
{
    kstring_t text = {0};
    int rc = countfile_save(count_path, 0, c->regions, t->counts, threads);
    if (rc == 0 && idxstats_path && (rc = multiqc_idxstats(c->hdr, t, &text)) == 0)
        rc = fdio_save(idxstats_path, text.s, text.l);
    free(text.s);
    return rc;
}

int cohort_table(const cohort_t *c, kstring_t *out) { return multiqc_table(c->samples, c->n, out); }

int cohort_report(const cohort_t *c, const char *counted, kstring_t *out)
{
    return report_html(&c->layout, c->samples, c->n, counted, out);
}

void cohort_free(cohort_t *c)
{
    for (int i = 0; i < c->n; i++)
        summary_free(&c->samples[i]);
    free(c->samples);
    colstore_close(&c->columns);
    summary_layout_free(&c->layout);
    sample_names_free(c->names);
    if (c->hdr)
        sam_hdr_destroy(c->hdr);
    free(c->first);
    *c = (cohort_t){.columns.fd = -1};
}
