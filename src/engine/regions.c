/* regions.c -- whole sequences, bins and BED regions; see regions.h. */
#include "regions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/hts.h>

#include "decimal.h"
#include "rc.h"

static int out_of_memory(void) { return rc_fail(RC_EINTERNAL, "out of memory for the regions"); }

static int init(regions_t *r, regions_kind_t kind, const sam_hdr_t *hdr)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->hdr = hdr;
    r->n_targets = sam_hdr_nref(hdr);
    r->first = calloc(r->n_targets + 1, sizeof *r->first);
    return r->first ? 0 : out_of_memory();
}

void regions_free(regions_t *r)
{
    void *owned[] = {r->first, r->beg, r->end, r->sorted, r->name_at, r->names};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        free(owned[i]);
    memset(r, 0, sizeof *r);
}

int regions_whole(regions_t *r, const sam_hdr_t *hdr)
{
    int rc = init(r, REGIONS_WHOLE, hdr);
    for (int tid = 0; rc == 0 && tid <= r->n_targets; tid++)
        r->first[tid] = tid;
    r->n = r->n_targets;
    return rc;
}

int regions_bins(regions_t *r, const sam_hdr_t *hdr, int64_t size, const char *what)
{
    if (size < 1)
        return rc_fail(RC_EINPUT, "%s: a bin size must be at least 1 base, not %" PRId64, what, size);
    int rc = init(r, REGIONS_BINS, hdr);
    r->bin = size;
    int64_t n = 0;
    for (int tid = 0; rc == 0 && tid < r->n_targets; tid++) {
        r->first[tid] = n;
        n += (sam_hdr_tid2len(hdr, tid) + size - 1) / size;
        if (n > REGIONS_MAX)
            rc = rc_fail(RC_EINPUT, "%s: bins of %" PRId64 " bases make more than %d regions; "
                         "choose larger bins", what, size, REGIONS_MAX);
    }
    r->first[r->n_targets] = r->n = n;
    if (rc != 0)
        regions_free(r);
    return rc;
}

/* ---- BED ------------------------------------------------------------------ */

/* A region as read, before sorting. */
typedef struct {
    int tid;
    int64_t beg, end;
    uint32_t out, name;
} bed_region_t;

typedef struct {
    const char *path;
    int64_t line;
    bed_region_t *a;
    size_t n, m;
    kstring_t names;
} bed_t;

static int bed_error(const bed_t *b, const char *what)
{
    return rc_fail(RC_EINPUT, "%s:%" PRId64 ": %s", b->path, b->line, what);
}

/* A BED coordinate: a whole number from 0 (all of the column). */
static int coordinate(const bed_t *b, const char *text, const char *which, int64_t *v)
{
    char *end, msg[160];
    errno = 0;
    long long x = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno || x < 0 || *text == '+' || *text == ' ') {
        snprintf(msg, sizeof msg, "the %s '%.40s' is not a whole number from 0", which, text);
        return bed_error(b, msg);
    }
    *v = x;
    return 0;
}

static int add_region(bed_t *b, int tid, int64_t beg, int64_t end, const char *name)
{
    if (b->n == REGIONS_MAX)
        return bed_error(b, "more regions than regcount takes (100,000,000)");
    if (b->n == b->m) {
        size_t m = b->m ? 2 * b->m : 4096;
        bed_region_t *a = realloc(b->a, m * sizeof *a);
        if (!a)
            return out_of_memory();
        b->a = a;
        b->m = m;
    }
    uint32_t at = UINT32_MAX;
    if (name && *name) {
        if (b->names.l + strlen(name) + 1 >= UINT32_MAX)
            return bed_error(b, "the region names take more than 4 GB");
        at = (uint32_t)b->names.l;
        if (kputsn(name, strlen(name) + 1, &b->names) < 0)
            return out_of_memory();
    }
    b->a[b->n] = (bed_region_t){tid, beg, end, (uint32_t)b->n, at};
    b->n++;
    return 0;
}

/* One line of the file (without its line break). */
static int bed_line(bed_t *b, const sam_hdr_t *hdr, char *line)
{
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
        line[--len] = '\0';
    if (len == 0 || line[0] == '#' || strncmp(line, "track", 5) == 0 ||
        strncmp(line, "browser", 7) == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            return bed_error(b, "not text: a binary file is not a BED file");
    char *col[4] = {NULL};
    int n = 0;
    for (char *p = line, *tab; n < 4 && p; p = tab ? tab + 1 : NULL, n++) {
        col[n] = p;
        if ((tab = strchr(p, '\t')))
            *tab = '\0';
    }
    if (n < 3)
        return bed_error(b, "fewer than 3 tab-separated columns (chrom, start, end)");
    int64_t beg, end;
    int rc = coordinate(b, col[1], "start", &beg);
    if (rc == 0)
        rc = coordinate(b, col[2], "end", &end);
    if (rc != 0)
        return rc;
    char msg[200];
    if (beg > end) {
        snprintf(msg, sizeof msg, "start %" PRId64 " is greater than end %" PRId64, beg, end);
        return bed_error(b, msg);
    }
    int tid = sam_hdr_name2tid((sam_hdr_t *)hdr, col[0]);
    if (tid < 0) {
        snprintf(msg, sizeof msg, "reference sequence '%.80s' is not in the BAM's header", col[0]);
        return bed_error(b, msg);
    }
    if (n > 3) { /* the name: up to the next tab */
        char *tab = strchr(col[3], '\t');
        if (tab)
            *tab = '\0';
    }
    return add_region(b, tid, beg, end, n > 3 ? col[3] : NULL);
}

static int by_position(const void *x, const void *y)
{
    const bed_region_t *a = x, *b = y;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    if (a->beg != b->beg)
        return a->beg < b->beg ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->out < b->out ? -1 : a->out > b->out;
}

static int by_int64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* The most non-empty regions that overlap one position: the sweep keeps at
 * most this many active. */
static int max_depth(const regions_t *r)
{
    int depth = 0;
    int64_t *ends = malloc((r->n + 1) * sizeof *ends);
    if (!ends)
        return -1;
    for (int tid = 0; tid < r->n_targets; tid++) {
        int64_t a = r->first[tid], b = r->first[tid + 1], n = 0;
        for (int64_t k = a; k < b; k++)
            if (r->end[k] > r->beg[k])
                ends[n++] = r->end[k];
        qsort(ends, n, sizeof *ends, by_int64);
        /* Regions start in order; count those started whose end is past. */
        int64_t e = 0, open = 0;
        for (int64_t k = a; k < b; k++) {
            if (r->end[k] <= r->beg[k])
                continue;
            while (e < n && ends[e] <= r->beg[k])
                e++, open--;
            if (++open > depth)
                depth = (int)open;
        }
    }
    free(ends);
    return depth;
}

/* Sort what was read into r. */
static int bed_finish(bed_t *b, regions_t *r)
{
    if (b->n == 0)
        return rc_fail(RC_EINPUT, "%s: no regions (a BED file has lines of chrom, start, end)",
                       b->path);
    qsort(b->a, b->n, sizeof *b->a, by_position);
    r->n = (int64_t)b->n;
    r->beg = malloc(b->n * sizeof *r->beg);
    r->end = malloc(b->n * sizeof *r->end);
    r->sorted = malloc(b->n * sizeof *r->sorted);
    r->name_at = malloc(b->n * sizeof *r->name_at);
    if (!r->beg || !r->end || !r->sorted || !r->name_at)
        return out_of_memory();
    for (size_t k = 0; k < b->n; k++) {
        r->beg[k] = b->a[k].beg;
        r->end[k] = b->a[k].end;
        r->sorted[b->a[k].out] = (uint32_t)k;
        r->name_at[b->a[k].out] = b->a[k].name;
        r->first[b->a[k].tid + 1] = (int64_t)k + 1;
    }
    for (int tid = 1; tid <= r->n_targets; tid++) /* sequences without regions */
        if (r->first[tid] < r->first[tid - 1])
            r->first[tid] = r->first[tid - 1];
    r->names = b->names.s;
    r->names_len = b->names.l;
    b->names = (kstring_t){0};
    return (r->max_depth = max_depth(r)) < 0 ? out_of_memory() : 0;
}

int regions_load_bed(regions_t *r, const sam_hdr_t *hdr, const char *path)
{
    int rc = init(r, REGIONS_BED, hdr);
    if (rc != 0)
        return rc;
    /* Our messages say what htslib's would; keep stderr to one line. */
    enum htsLogLevel level = hts_get_log_level();
    hts_set_log_level(HTS_LOG_OFF);
    htsFile *fp = hts_open(path, "r");
    hts_set_log_level(level);
    if (!fp) {
        regions_free(r);
        if (errno == ENOEXEC) /* htslib's word for data it cannot recognise */
            return rc_fail(RC_EINPUT, "%s is not a BED file: it is binary, not text", path);
        return rc_fail_errno(RC_EINPUT, "cannot open BED file %s", path);
    }
    const htsFormat *fmt = hts_get_format(fp);
    bed_t b = {.path = path};
    kstring_t line = {0};
    if (fmt->format != bed && fmt->format != text_format && fmt->format != empty_format) {
        char *desc = hts_format_description(fmt);
        rc = rc_fail(RC_EINPUT, "%s is not a BED file (it looks like %s)", path,
                     desc ? desc : "something else");
        free(desc);
    }
    int got;
    while (rc == 0 && (got = hts_getline(fp, '\n', &line)) >= 0) {
        b.line++;
        if (memchr(line.s, '\0', line.l))
            rc = bed_error(&b, "not text: a binary file is not a BED file");
        else
            rc = bed_line(&b, hdr, line.s);
    }
    if (rc == 0 && got < -1)
        rc = rc_fail(RC_EINPUT, "%s: cannot be read after line %" PRId64 " (a corrupt gzip file?)",
                     path, b.line);
    if (rc == 0)
        rc = bed_finish(&b, r);
    hts_close(fp);
    free(line.s);
    free(b.a);
    free(b.names.s);
    if (rc != 0)
        regions_free(r);
    return rc;
}

/* ---- output ---------------------------------------------------------------- */

/* The tid of region k (in the order counts are kept), from hint on when
 * it is right or close. */
static int tid_of(const regions_t *r, int64_t k, int hint)
{
    if (hint >= 0 && hint < r->n_targets && r->first[hint] <= k) {
        for (int tid = hint; tid < r->n_targets && tid < hint + 8; tid++)
            if (k < r->first[tid + 1])
                return tid;
    }
    int lo = 0, hi = r->n_targets; /* first[lo] <= k < first[hi] */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (r->first[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* pos at tid, with the reference's name and length looked up once. */
static void at_tid(const regions_t *r, int tid, regions_pos_t *pos)
{
    if (pos->tid == tid && pos->name)
        return;
    pos->tid = tid;
    pos->name = sam_hdr_tid2name(r->hdr, tid);
    pos->name_len = strlen(pos->name);
    pos->len = sam_hdr_tid2len(r->hdr, tid);
    pos->colon = strchr(pos->name, ':') != NULL;
}

void regions_coords(const regions_t *r, int64_t i, regions_pos_t *pos)
{
    switch (r->kind) {
    case REGIONS_WHOLE:
        at_tid(r, (int)i, pos);
        pos->beg = 0, pos->end = pos->len;
        break;
    case REGIONS_BINS:
        at_tid(r, tid_of(r, i, pos->tid), pos);
        pos->beg = (i - r->first[pos->tid]) * r->bin;
        pos->end = pos->beg + r->bin < pos->len ? pos->beg + r->bin : pos->len;
        break;
    case REGIONS_BED: {
        int64_t k = r->sorted[i];
        at_tid(r, tid_of(r, k, pos->tid), pos);
        pos->beg = r->beg[k], pos->end = r->end[k];
        break;
    }
    }
}

int regions_label(const regions_t *r, int64_t i, const regions_pos_t *pos, kstring_t *out)
{
    if (r->kind == REGIONS_BED && r->name_at[i] != UINT32_MAX)
        return kputs(r->names + r->name_at[i], out) < 0 ? out_of_memory() : 0;
    if (r->kind == REGIONS_WHOLE)
        return kputsn(pos->name, pos->name_len, out) < 0 ? out_of_memory() : 0;
    /* chrom:beg-end, 1-based, braces around a name with a colon; written
     * straight into the buffer: millions of bins. */
    if (ks_resize(out, out->l + pos->name_len + 2 * DECIMAL_MAX + 8) < 0)
        return out_of_memory();
    char *p = out->s + out->l;
    if (pos->colon)
        *p++ = '{';
    memcpy(p, pos->name, pos->name_len);
    p += pos->name_len;
    if (pos->colon)
        *p++ = '}';
    *p++ = ':';
    p = decimal_put(p, (uint64_t)pos->beg + 1);
    *p++ = '-';
    p = decimal_put(p, (uint64_t)pos->end);
    out->l = (size_t)(p - out->s);
    out->s[out->l] = '\0';
    return 0;
}

size_t regions_label_len(const regions_t *r, int64_t i, const regions_pos_t *pos)
{
    if (r->kind == REGIONS_BED && r->name_at[i] != UINT32_MAX)
        return strlen(r->names + r->name_at[i]);
    if (r->kind == REGIONS_WHOLE)
        return pos->name_len;
    return (pos->colon ? 2 : 0) + pos->name_len + 1 + decimal_len((uint64_t)pos->beg + 1) + 1 +
           decimal_len((uint64_t)pos->end);
}
