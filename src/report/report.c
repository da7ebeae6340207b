/* report.c -- the HTML report; see report.h. */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"
#include "version.h"

/* The page, written piece by piece; bad is set once anything fails. */
typedef struct {
    kstring_t *out;
    int bad;
} page_t;

static void put(page_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(page_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    p->bad |= kvsprintf(p->out, fmt, ap) < 0;
    va_end(ap);
}

/* text with &, <, > and " escaped: reference names may hold any of them. */
static void put_text(page_t *p, const char *text)
{
    for (; *text; text++) {
        const char *e = *text == '&' ? "&amp;" : *text == '<' ? "&lt;" : *text == '>' ? "&gt;"
                        : *text == '"' ? "&quot;" : NULL;
        p->bad |= (e ? kputs(e, p->out) : kputc(*text, p->out)) < 0;
    }
}

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The q-th quantile of sorted[0..n-1] (n > 0). */
static float quantile(const float *sorted, int n, double q)
{
    double at = q * (n - 1);
    int i = (int)at;
    return i + 1 < n ? (float)(sorted[i] + (at - i) * (sorted[i + 1] - sorted[i])) : sorted[i];
}

/* Spread the dots of a column over its width, the same way every time. */
static double jitter(int i) { return fmod(i * 0.6180339887, 1.0); }

static const char *dosage_name(const summary_layout_t *l)
{
    return l->autosomes ? "the autosomes" : "the whole genome";
}

/* ---- dosage per reference sequence --------------------------------------- */

#define PLOT_H 260
#define DOSAGE_MAX 2.5

static double dosage_y(double v) { return 10 + PLOT_H * (1 - (v > DOSAGE_MAX ? DOSAGE_MAX : v) / DOSAGE_MAX); }

static void dot(page_t *p, double x, double y, const char *name, const char *what, double v)
{
    put(p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>%s %s: %.3f</title></circle>", x, y,
        name, what, v);
}

/* A box (quartiles, median, whiskers to the farthest values within 1.5
 * times the box) for many samples, and a dot for each sample outside. */
static void box(page_t *p, const summary_t *s, int n, int k, double x0, double w, float *v,
                const char *ref)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(s[i].plot[k]))
            v[m++] = s[i].plot[k];
    if (m == 0)
        return;
    qsort(v, m, sizeof *v, by_value);
    float q1 = quantile(v, m, 0.25), med = quantile(v, m, 0.5), q3 = quantile(v, m, 0.75);
    float lo = q1 - 1.5f * (q3 - q1), hi = q3 + 1.5f * (q3 - q1), wlo = q1, whi = q3;
    for (int i = 0; i < m; i++) {
        wlo = v[i] >= lo && v[i] < wlo ? v[i] : wlo;
        whi = v[i] <= hi && v[i] > whi ? v[i] : whi;
    }
    double cx = x0 + w / 2;
    put(p, "<g class=\"box\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", cx, cx,
        dosage_y(wlo), dosage_y(whi));
    put(p, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", x0 + w * 0.2,
        dosage_y(q3), w * 0.6, dosage_y(q1) - dosage_y(q3));
    put(p, "<line class=\"median\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
           "<title>%s: median %.3f, quartiles %.3f to %.3f, %d samples</title></g>",
        x0 + w * 0.2, x0 + w * 0.8, dosage_y(med), dosage_y(med), ref, med, q1, q3, m);
    for (int i = 0; i < n; i++) {
        float d = s[i].plot[k];
        if (!isnan(d) && (d < wlo || d > whi))
            dot(p, x0 + w * (0.25 + 0.5 * jitter(i)), dosage_y(d), s[i].name, ref, d);
    }
}

static void dosage_plot(page_t *p, const summary_layout_t *l, const summary_t *s, int n)
{
    int cols[SUMMARY_MAX_PLOT], nc = 0;
    for (int k = 0; k < l->n_plot; k++)
        if (l->plot[k] != l->m) /* chrM sits at hundreds: it is in the table */
            cols[nc++] = k;
    if (nc == 0)
        return;
    double w = 900.0 / nc < 16 ? 16 : 900.0 / nc > 60 ? 60 : 900.0 / nc;
    int left = 50, width = left + (int)(nc * w) + 10, height = 10 + PLOT_H + 80;
    put(p, "<h2>Dosage per reference sequence</h2>\n<p class=\"note\">Reads per base on each "
           "sequence divided by reads per base on %s, per sample: about 1 for two copies, 0.5 "
           "for one (chrX in an XY sample). %s Values above %.1f are drawn at the top; point at "
           "a dot for its sample.</p>\n", dosage_name(l),
        n > REPORT_MAX_DOTS ? "With this many samples each sequence shows a box (quartiles and "
                              "median; whiskers to the farthest sample within 1.5 boxes) and a "
                              "dot for each sample outside it."
                            : "A dot per sample.", DOSAGE_MAX);
    put(p, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", width, height,
        width, height);
    for (double v = 0; v <= DOSAGE_MAX + 1e-9; v += 0.5)
        put(p, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text x=\"%d\" "
               "y=\"%.1f\" class=\"axis\" text-anchor=\"end\">%.1f</text>", left, width - 10,
            dosage_y(v), dosage_y(v), left - 6, dosage_y(v) + 4, v);
    float *v = malloc((n + 1) * sizeof *v);
    p->bad |= !v;
    for (int j = 0; v && j < nc; j++) {
        int k = cols[j], tid = l->plot[k];
        const char *ref = sam_hdr_tid2name(l->hdr, tid);
        double x0 = left + j * w;
        put(p, "<text class=\"axis\" transform=\"translate(%.1f,%d) rotate(-50)\" "
               "text-anchor=\"end\">", x0 + w / 2, 10 + PLOT_H + 14);
        put_text(p, ref);
        put(p, "</text>");
        if (n > REPORT_MAX_DOTS) {
            box(p, s, n, k, x0, w, v, ref);
            continue;
        }
        for (int i = 0; i < n; i++)
            if (!isnan(s[i].plot[k]))
                dot(p, x0 + w * (0.2 + 0.6 * jitter(i)), dosage_y(s[i].plot[k]), s[i].name, ref,
                    s[i].plot[k]);
    }
    free(v);
    put(p, "</svg>\n");
}

/* ---- chrX against chrY ---------------------------------------------------- */

#define SEX_W 320
#define SEX_H 220

static void sex_plot(page_t *p, const summary_layout_t *l, const summary_t *s, int n)
{
    if (l->x < 0 || l->y < 0 || !l->autosomes)
        return;
    const double xmax = 1.5, ymax = 1.0;
    int left = 50, top = 10;
    put(p, "<h2>chrX and chrY</h2>\n<p class=\"note\">Each sample's chrX dosage against its "
           "chrY dosage: XX samples sit near (1, 0), XY samples near (0.5, 0.5). Thresholds "
           "depend on the assay; the numbers are in the table.</p>\n");
    put(p, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">", left + SEX_W + 20,
        top + SEX_H + 40, left + SEX_W + 20, top + SEX_H + 40);
    for (double v = 0; v <= xmax + 1e-9; v += 0.25) {
        double x = left + SEX_W * v / xmax;
        put(p, "<line class=\"%s\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/><text class=\"axis\" "
               "x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.2g</text>",
            v == 0.5 || v == 1.0 ? "guide" : "grid", x, x, top, top + SEX_H, x, top + SEX_H + 14, v);
    }
    for (double v = 0; v <= ymax + 1e-9; v += 0.25) {
        double y = top + SEX_H * (1 - v / ymax);
        put(p, "<line class=\"%s\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text class=\"axis\" "
               "x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2g</text>", v == 0.5 ? "guide" : "grid",
            left, left + SEX_W, y, y, left - 6, y + 4, v);
    }
    put(p, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">chrX dosage</text>",
        left + SEX_W / 2, top + SEX_H + 32);
    for (int i = 0; i < n; i++) {
        if (isnan(s[i].x) || isnan(s[i].y))
            continue;
        double x = s[i].x > xmax ? xmax : s[i].x, y = s[i].y > ymax ? ymax : s[i].y;
        put(p, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>%s: chrX %.3f, chrY %.3f</title>"
               "</circle>", left + SEX_W * x / xmax, top + SEX_H * (1 - y / ymax), s[i].name,
            s[i].x, s[i].y);
    }
    put(p, "</svg>\n");
}

/* ---- the profile along the genome ----------------------------------------- */

#define PROFILE_W 800
#define PANEL_H 64
#define PROFILE_MAX 3.0

static double profile_x(const summary_layout_t *l, double c) { return 50 + PROFILE_W * c / l->n_cols; }

/* The height of value v in a panel whose frame starts at top. */
static double profile_y(int top, double v)
{
    return top + PANEL_H * (1 - (v > PROFILE_MAX ? PROFILE_MAX : v) / PROFILE_MAX);
}

/* One panel: its frame, the reference sequences' starts, the line at 1,
 * and the values (a gap where a column has none); with band, the 10th to
 * 90th percentile band under it. */
static void panel(page_t *p, const summary_layout_t *l, const char *name, const float *values,
                  const float *band_lo, const float *band_hi, int labels)
{
    int top = labels ? 16 : 4, height = top + PANEL_H + 4;
    put(p, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
        50 + PROFILE_W + 140, height, 50 + PROFILE_W + 140, height);
    put(p, "<text class=\"name\" x=\"%d\" y=\"%d\">%s</text>", 50 + PROFILE_W + 8,
        top + PANEL_H / 2 + 4, name);
    put(p, "<rect class=\"frame\" x=\"50\" y=\"%d\" width=\"%d\" height=\"%d\"/>", top, PROFILE_W,
        PANEL_H);
    const regions_t *r = l->regions;
    for (int k = 0; k < l->n_plot; k++) {
        int tid = l->plot[k];
        double x = profile_x(l, (double)r->first[tid] * l->n_cols / (double)r->n);
        put(p, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>", x, x, top,
            top + PANEL_H);
        if (labels) {
            const char *ref = sam_hdr_tid2name(l->hdr, tid);
            put(p, "<text class=\"axis\" x=\"%.1f\" y=\"%d\">", x + 1, top - 4);
            put_text(p, strncmp(ref, "chr", 3) == 0 && ref[3] ? ref + 3 : ref);
            put(p, "</text>");
        }
    }
    double y1 = top + PANEL_H * (1 - 1 / PROFILE_MAX);
    put(p, "<line class=\"guide\" x1=\"50\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/><text "
           "class=\"axis\" x=\"44\" y=\"%.1f\" text-anchor=\"end\">1</text><text class=\"axis\" "
           "x=\"44\" y=\"%d\" text-anchor=\"end\">%.0f</text>", 50 + PROFILE_W, y1, y1, y1 + 4,
        top + 9, PROFILE_MAX);
    if (band_lo) {
        put(p, "<path class=\"band\" d=\"");
        for (int c = 0; c < l->n_cols; c++)
            put(p, "%c%.1f %.1f", c ? 'L' : 'M', profile_x(l, c + 0.5), profile_y(top, band_hi[c]));
        for (int c = l->n_cols - 1; c >= 0; c--)
            put(p, "L%.1f %.1f", profile_x(l, c + 0.5), profile_y(top, band_lo[c]));
        put(p, "Z\"/>");
    }
    put(p, "<path class=\"profile\" d=\"");
    for (int c = 0, gap = 1; c < l->n_cols; c++) {
        if (isnan(values[c])) {
            gap = 1;
            continue;
        }
        put(p, "%c%.1f %.1f", gap ? 'M' : 'L', profile_x(l, c + 0.5), profile_y(top, values[c]));
        gap = 0;
    }
    put(p, "\"/></svg>\n");
}

/* Per column, the cohort's 10th, 50th and 90th percentile, into q[3][n_cols];
 * then each sample's mean distance from the median, into dist. */
static int cohort_profile(const summary_layout_t *l, const summary_t *s, int n, float *q[3],
                          double *dist)
{
    float *v = malloc((n + 1) * sizeof *v);
    if (!v)
        return -1;
    for (int c = 0; c < l->n_cols; c++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (!isnan(s[i].profile[c]))
                v[m++] = s[i].profile[c];
        qsort(v, m, sizeof *v, by_value);
        for (int k = 0; k < 3; k++)
            q[k][c] = m ? quantile(v, m, 0.1 + 0.4 * k) : NAN;
    }
    for (int i = 0; i < n; i++) {
        int m = 0;
        dist[i] = 0;
        for (int c = 0; c < l->n_cols; c++)
            if (!isnan(s[i].profile[c]) && !isnan(q[1][c]))
                dist[i] += fabs(s[i].profile[c] - q[1][c]), m++;
        dist[i] = m ? dist[i] / m : 0;
    }
    free(v);
    return 0;
}

static void profile_plot(page_t *p, const summary_layout_t *l, const summary_t *s, int n)
{
    if (l->n_cols == 0)
        return;
    put(p, "<h2>Profile along the genome</h2>\n<p class=\"note\">The bins in header order, "
           "grouped into %d columns; each column's reads per base relative to the sample's "
           "median bin (the median of the full-size bins that hold reads), so that 1 (the "
           "dashed line) is the typical bin; values above %.0f are drawn at the top.",
        l->n_cols, PROFILE_MAX);
    if (n <= REPORT_MAX_PROFILES) {
        put(p, "</p>\n");
        for (int i = 0; i < n; i++)
            panel(p, l, s[i].name, s[i].profile, NULL, NULL, i == 0);
        return;
    }
    put(p, " First the cohort's median with its 10th to 90th percentile band, then the %d "
           "samples farthest from that median.</p>\n", REPORT_FARTHEST);
    float *q[3];
    double *dist = malloc(n * sizeof *dist);
    int *order = malloc(n * sizeof *order);
    for (int k = 0; k < 3; k++)
        q[k] = malloc(l->n_cols * sizeof *q[k]);
    if (!dist || !order || !q[0] || !q[1] || !q[2] || cohort_profile(l, s, n, q, dist) != 0) {
        p->bad = 1;
    } else {
        panel(p, l, "cohort median", q[1], q[0], q[2], 1);
        for (int i = 0; i < n; i++)
            order[i] = i;
        for (int k = 0; k < REPORT_FARTHEST; k++) { /* the farthest first */
            for (int i = k + 1; i < n; i++)
                if (dist[order[i]] > dist[order[k]]) {
                    int t = order[k];
                    order[k] = order[i], order[i] = t;
                }
            panel(p, l, s[order[k]].name, s[order[k]].profile, NULL, NULL, 0);
        }
    }
    for (int k = 0; k < 3; k++)
        free(q[k]);
    free(dist);
    free(order);
}

/* ---- the table ------------------------------------------------------------ */

static void put_dosage(page_t *p, double d)
{
    if (isnan(d))
        put(p, "<td></td>");
    else
        put(p, "<td>%.3f</td>", d);
}

static void table(page_t *p, const summary_layout_t *l, const summary_t *s, int n)
{
    put(p, "<h2>Samples</h2>\n<p class=\"note\">Reads: on the reference sequences, each once. "
           "Counted: the count file's total, the sum of its lines. Dosage relative to the "
           "autosomes%s.</p>\n<table><tr><th>Sample</th><th>Reads</th><th>Counted</th>"
           "<th>chrX</th><th>chrY</th><th>chrM</th></tr>\n",
        l->autosomes ? "" : " (this reference has none: no dosage)");
    for (int i = 0; i < n; i++) {
        put(p, "<tr><td>%s</td><td>%llu</td><td>%llu</td>", s[i].name,
            (unsigned long long)s[i].reads, (unsigned long long)s[i].total);
        put_dosage(p, s[i].x);
        put_dosage(p, s[i].y);
        put_dosage(p, s[i].m);
        put(p, "</tr>\n");
    }
    put(p, "</table>\n");
}

static const char STYLE[] =
    "body{font-family:sans-serif;margin:24px;color:#222;background:#fff}"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
    ".note{color:#555;max-width:62em;font-size:13px}"
    "table{border-collapse:collapse;font-size:13px}"
    "td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #ddd}"
    "td:first-child,th:first-child{text-align:left}"
    "svg{display:block;margin:6px 0}"
    "circle{fill:#2b6cb0;fill-opacity:.65}"
    ".axis{font-size:11px;fill:#444}.name{font-size:12px;fill:#222}"
    ".grid{stroke:#e2e2e2}.guide{stroke:#c53030;stroke-dasharray:4 3}"
    ".box line,.box rect{stroke:#2b6cb0;fill:#bee3f8}.box .median{stroke:#1a365d;stroke-width:2}"
    ".frame{fill:none;stroke:#ccc}.profile{fill:none;stroke:#2b6cb0;stroke-width:1}"
    ".band{fill:#bee3f8;stroke:none}";

void report_counted(const regions_t *r, const char *bed_name, const filter_t *f, char *out,
                    size_t size)
{
    char filter[96];
    int n = r->kind == REGIONS_BINS ? snprintf(out, size, "bins of %lld bases (%lld)",
                                               (long long)r->bin, (long long)r->n)
            : r->kind == REGIONS_BED ? snprintf(out, size, "the %lld regions of %s",
                                                (long long)r->n, bed_name)
                                     : snprintf(out, size, "whole reference sequences");
    if (n >= 0 && (size_t)n < size && !filter_none(f))
        snprintf(out + n, size - n, ", %s", filter_describe(f, filter));
}

int report_html(const summary_layout_t *l, const summary_t *samples, int n, const char *counted,
                kstring_t *out)
{
    page_t p = {out, 0};
    put(&p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>regcount report</title><style>%s</style></head><body>\n"
            "<h1>regcount report: %d sample%s</h1>\n<p class=\"note\">Counted: ", STYLE, n,
        n == 1 ? "" : "s");
    put_text(&p, counted);
    put(&p, ". regcount %s.</p>\n", REGCOUNT_VERSION);
    dosage_plot(&p, l, samples, n);
    sex_plot(&p, l, samples, n);
    profile_plot(&p, l, samples, n);
    table(&p, l, samples, n);
    put(&p, "</body></html>\n");
    return p.bad ? rc_fail(RC_EINTERNAL, "out of memory for the report") : 0;
}
