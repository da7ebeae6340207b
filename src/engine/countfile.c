/* countfile.c -- format the count file and the table; see countfile.h. */
#include "countfile.h"

#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "rc.h"
#include "workq.h"

/* The lines are put together by hand rather than with ksprintf: a count
 * file of 1 kb bins has three million of them. */

/* before, then v in decimal, then after (htslib's kputll is for signed
 * numbers, and checks the room for each part). */
static int put_u64(const char *before, uint64_t v, char after, kstring_t *s)
{
    size_t n = strlen(before);
    if (ks_resize(s, s->l + n + DECIMAL_MAX + 2) < 0)
        return -1;
    char *p = s->s + s->l;
    memcpy(p, before, n);
    p = decimal_put(p + n, v);
    *p++ = after;
    s->l = (size_t)(p - s->s);
    s->s[s->l] = '\0';
    return 0;
}

/* The label just appended to out, from byte start: not empty, and no line
 * break, tab or NUL, so that each region stays on one line. */
static int label_ok(const kstring_t *out, size_t start, int64_t i)
{
    if (out->l == start)
        return rc_fail(RC_EINPUT, "region %lld has an empty name", (long long)i + 1);
    for (size_t k = start; k < out->l; k++)
        if (out->s[k] == '\n' || out->s[k] == '\r' || out->s[k] == '\t' || out->s[k] == '\0')
            return rc_fail(RC_EINPUT, "region %lld has a name with a line break or tab",
                           (long long)i + 1);
    return 0;
}

static int out_of_memory(void) { return rc_fail(RC_EINTERNAL, "out of memory"); }

#define FLUSH_AT (1 << 20)

/* Room for n lines of about 40 bytes (or a MiB, with a file), so that the
 * buffer is not copied as it grows. */
static int reserve(countfile_out_t *out, int64_t n)
{
    size_t room = out->file ? FLUSH_AT + 4096 : (size_t)n * 40 + 64;
    return ks_resize(&out->buf, out->buf.l + room) < 0 ? out_of_memory() : 0;
}

/* With a file: write the buffer out, all of it (at the end), or once it
 * holds a MiB. */
static int flush(countfile_out_t *out, int all)
{
    if (!out->file || (!all && out->buf.l < FLUSH_AT) || out->buf.l == 0)
        return 0;
    int rc = fdio_write_at(out->file, out->buf.s, out->buf.l, out->at);
    out->at += (int64_t)out->buf.l;
    out->buf.l = 0;
    return rc;
}

/* "Region <label>: <count>" for region i. */
static int count_line(kstring_t *b, countfile_label_fn label, void *arg, int64_t i, uint64_t count)
{
    if (kputsn("Region ", 7, b) < 0)
        return out_of_memory();
    size_t start = b->l;
    int rc = label(arg, i, b);
    if (rc == 0)
        rc = label_ok(b, start, i);
    if (rc == 0 && put_u64(": ", count, '\n', b) < 0)
        rc = out_of_memory();
    return rc;
}

static int total_line(countfile_out_t *out, uint64_t total)
{
    kstring_t *b = &out->buf;
    if (put_u64("Total reads: ", total, '\n', b) < 0)
        return out_of_memory();
    return flush(out, 1);
}

int countfile_format_labels(int64_t n, countfile_label_fn label, void *arg,
                            const uint64_t *counts, countfile_out_t *out, uint64_t *total_out)
{
    uint64_t total = 0;
    int rc = reserve(out, n);
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        if ((rc = count_line(&out->buf, label, arg, i, counts[i])) != 0)
            break;
        if (counts[i] > UINT64_MAX - total)
            return rc_fail(RC_EINPUT, "the total read count overflows");
        total += counts[i];
        rc = flush(out, 0);
    }
    if (rc == 0)
        rc = total_line(out, total);
    if (rc == 0 && total_out)
        *total_out = total;
    return rc;
}

/* ---- the regions of r ------------------------------------------------------ */

/* Walks r's regions in output order, for the labels. */
typedef struct {
    const regions_t *r;
    regions_pos_t pos;
} walk_t;

static int region_label(void *arg, int64_t i, kstring_t *label)
{
    walk_t *w = arg;
    regions_coords(w->r, i, &w->pos);
    return regions_label(w->r, i, &w->pos, label);
}

/* "<chrom>\t<start>\t<end>\t<label>" for region i: a table line's start. */
static int table_start(kstring_t *b, walk_t *w, int64_t i)
{
    regions_coords(w->r, i, &w->pos);
    if ((kputs(w->pos.name, b) | kputc('\t', b) | kputll(w->pos.beg, b) | kputc('\t', b) |
         kputll(w->pos.end, b) | kputc('\t', b)) < 0)
        return out_of_memory();
    size_t start = b->l;
    int rc = regions_label(w->r, i, &w->pos, b);
    return rc == 0 ? label_ok(b, start, i) : rc;
}

/* "<chrom>\t<start>\t<end>\t<label>\t<count>" for region i. */
static int table_line(kstring_t *b, walk_t *w, int64_t i, uint64_t count)
{
    int rc = table_start(b, w, i);
    if (rc == 0 && put_u64("\t", count, '\n', b) < 0)
        rc = out_of_memory();
    return rc;
}

/* The lines of regions [from, to) of r into out, as count-file lines or
 * table lines. */
static int format_lines(const regions_t *r, const uint64_t *counts, int table, int64_t from,
                        int64_t to, countfile_out_t *out)
{
    walk_t w = {r, {.tid = -1}};
    int rc = reserve(out, to - from);
    for (int64_t i = from; rc == 0 && i < to; i++) {
        uint64_t count = regions_count(r, counts, i);
        rc = table ? table_line(&out->buf, &w, i, count)
                   : count_line(&out->buf, region_label, &w, i, count);
        if (rc == 0)
            rc = flush(out, 0);
    }
    return rc;
}

/* The bytes of those lines, counted without writing them. */
static int64_t lines_len(const regions_t *r, const uint64_t *counts, int table, int64_t from,
                         int64_t to)
{
    regions_pos_t pos = {.tid = -1};
    int64_t n = 0;
    for (int64_t i = from; i < to; i++) {
        regions_coords(r, i, &pos);
        size_t label = regions_label_len(r, i, &pos), count = decimal_len(regions_count(r, counts, i));
        n += table ? (int64_t)(pos.name_len + 1 + decimal_len((uint64_t)pos.beg) + 1 +
                               decimal_len((uint64_t)pos.end) + 1 + label + 1 + count + 1)
                   : (int64_t)(7 + label + 2 + count + 1);
    }
    return n;
}

/* Millions of lines are formatted in slices by out->threads threads at
 * once. Into a file, each slice writes at its own offset, worked out first
 * from the lengths of the lines before it; into memory, the first slice
 * goes to out and the others into buffers of their own that follow it. */
#define MIN_SLICE 65536

typedef struct {
    const regions_t *r;
    const uint64_t *counts;
    int table;
    int n;                  /* slices */
    countfile_out_t *first; /* slice 0's output: out */
    countfile_out_t *rest;  /* slices 1..n-1 */
    int64_t *len;           /* with a file: each slice's bytes */
} slices_t;

static void slice_bounds(const slices_t *s, int64_t k, int64_t *from, int64_t *to)
{
    *from = s->r->n * k / s->n;
    *to = s->r->n * (k + 1) / s->n;
}

static int measure_slice(void *arg, int64_t k, int thread)
{
    (void)thread;
    slices_t *s = arg;
    int64_t from, to;
    slice_bounds(s, k, &from, &to);
    s->len[k] = lines_len(s->r, s->counts, s->table, from, to);
    return 0;
}

static int format_slice(void *arg, int64_t k, int thread)
{
    (void)thread;
    slices_t *s = arg;
    int64_t from, to;
    slice_bounds(s, k, &from, &to);
    countfile_out_t *out = k ? &s->rest[k - 1] : s->first;
    int64_t start = out->at;
    int rc = format_lines(s->r, s->counts, s->table, from, to, out);
    if (rc == 0)
        rc = flush(out, 1);
    if (rc == 0 && out->file && out->at - start != s->len[k])
        rc = rc_fail(RC_EINTERNAL, "slice %lld of the count file: %lld bytes, %lld expected",
                     (long long)k + 1, (long long)(out->at - start), (long long)s->len[k]);
    return rc;
}

static int format_all(const regions_t *r, const uint64_t *counts, int table, countfile_out_t *out)
{
    int n = out->threads < 1 ? 1 : out->threads > WORKQ_MAX_THREADS ? WORKQ_MAX_THREADS
                                                                     : out->threads;
    if (r->n < (int64_t)n * MIN_SLICE)
        n = (int)(r->n / MIN_SLICE) + 1;
    if (n == 1)
        return format_lines(r, counts, table, 0, r->n, out);
    int rc = flush(out, 1); /* what came before (a header line) */
    countfile_out_t *rest = calloc(n - 1, sizeof *rest);
    int64_t *len = calloc(n, sizeof *len);
    if (rc == 0 && (!rest || !len))
        rc = out_of_memory();
    slices_t s = {r, counts, table, n, out, rest, len};
    workq_spec_t spec = {.threads = n, .items = n, .run = measure_slice, .arg = &s};
    if (rc == 0 && out->file && (rc = workq_run(&spec)) == 0)
        for (int k = 1; k < n; k++) /* slice k starts where slice k-1 ends */
            rest[k - 1] = (countfile_out_t){.file = out->file,
                                            .at = (k > 1 ? rest[k - 2].at : out->at) + len[k - 1]};
    spec.run = format_slice;
    if (rc == 0)
        rc = workq_run(&spec);
    for (int k = 0; rest && k < n - 1; k++) {
        kstring_t *b = &rest[k].buf;
        if (rc == 0 && !out->file && kputsn(b->s, b->l, &out->buf) < 0)
            rc = out_of_memory();
        free(b->s);
    }
    if (out->file)
        out->at = n > 1 && rest ? rest[n - 2].at : out->at;
    free(rest);
    free(len);
    return rc;
}
int countfile_format(const regions_t *r, const uint64_t *counts, countfile_out_t *out,
                     uint64_t *total_out)
{
    uint64_t total = 0;
    for (int64_t i = 0; i < r->n; i++) {
        if (counts[i] > UINT64_MAX - total)
            return rc_fail(RC_EINPUT, "the total read count overflows");
        total += counts[i];
    }
    int rc = format_all(r, counts, 0, out);
    if (rc == 0)
        rc = total_line(out, total);
    if (rc == 0 && total_out)
        *total_out = total;
    return rc;
}

int countfile_format_tsv(const regions_t *r, const uint64_t *counts, countfile_out_t *out)
{
    if (kputs("#chrom\tstart\tend\tname\tcount\n", &out->buf) < 0)
        return out_of_memory();
    int rc = format_all(r, counts, 1, out);
    return rc == 0 ? flush(out, 1) : rc;
}

int countfile_begin(fdio_file_t *f, const char *path, int table, const regions_t *r,
                    const uint64_t *counts, int threads)
{
    countfile_out_t out = {.file = f, .threads = threads};
    int rc = fdio_begin(f, path);
    if (rc == 0)
        rc = table ? countfile_format_tsv(r, counts, &out)
                   : countfile_format(r, counts, &out, NULL);
    free(out.buf.s);
    return rc;
}

int countfile_save(const char *path, int table, const regions_t *r, const uint64_t *counts,
                   int threads)
{
    fdio_file_t f = {.fd = -1};
    int rc = countfile_begin(&f, path, table, r, counts, threads);
    if (rc == 0)
        rc = fdio_commit(&f);
    fdio_abort(&f);
    return rc;
}

/* ---- the matrix -------------------------------------------------------------- */

/* Counts read at once: 8 MiB, whatever the number of samples. */
#define MATRIX_BLOCK (1 << 20)

int countfile_format_matrix(const regions_t *r, int n_cols, char *const *names,
                            countfile_rows_fn rows, void *arg, countfile_out_t *out)
{
    kstring_t *b = &out->buf;
    int rc = kputs("#chrom\tstart\tend\tname", b) < 0 ? out_of_memory() : 0;
    for (int k = 0; rc == 0 && k < n_cols; k++)
        if (kputc('\t', b) < 0 || kputs(names[k], b) < 0)
            rc = out_of_memory();
    if (rc == 0 && kputc('\n', b) < 0)
        rc = out_of_memory();
    int64_t block = n_cols > 0 && MATRIX_BLOCK / n_cols > 0 ? MATRIX_BLOCK / n_cols : 1;
    uint64_t *counts = malloc((size_t)block * (n_cols > 0 ? n_cols : 1) * sizeof *counts);
    if (rc == 0 && !counts)
        rc = out_of_memory();
    walk_t w = {r, {.tid = -1}};
    for (int64_t row = 0; rc == 0 && row < r->n; row += block) {
        int64_t n = r->n - row < block ? r->n - row : block;
        if ((rc = rows(arg, row, n, counts)) != 0 || (rc = reserve(out, n)) != 0)
            break;
        for (int64_t i = 0; rc == 0 && i < n; i++) {
            const uint64_t *c = counts + i * n_cols;
            rc = table_start(b, &w, row + i);
            for (int k = 0; rc == 0 && k < n_cols; k++)
                if (put_u64(k ? "" : "\t", c[k], k == n_cols - 1 ? '\n' : '\t', b) < 0)
                    rc = out_of_memory();
            if (rc == 0 && n_cols == 0 && kputc('\n', b) < 0)
                rc = out_of_memory();
            if (rc == 0)
                rc = flush(out, 0);
        }
    }
    free(counts);
    return rc == 0 ? flush(out, 1) : rc;
}
