/* scan.c -- count by reading every record; see scan.h. */
#include "scan.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cramcount.h"
#include "htsx.h"
#include "log.h"
#include "rc.h"
#include "workers.h"

/* Seconds between progress lines during a long count. */
#define PROGRESS_INTERVAL 15.0

/* ---- the local file ---------------------------------------------------- */

static int local_open(const scan_source_t *src, uint64_t beg, uint64_t end, scan_input_t *in)
{
    (void)end;
    in->base = 0;
    hFILE *h = hopen(src->name, "r");
    if (!h)
        return rc_fail_errno(RC_EINPUT, "cannot open %s", src->name);
    htsx_set_read_buffer(h);
    if (!(in->fp = bgzf_hopen(h, "r"))) {
        hclose_abruptly(h);
        return rc_fail(RC_EINPUT, "%s is not a BGZF file", src->name);
    }
    if (bgzf_seek(in->fp, beg, SEEK_SET) != 0) {
        bgzf_close(in->fp);
        return rc_fail(RC_EINPUT, "%s: cannot read the BGZF block at byte %lld (corrupt file, or an "
                       "index that does not belong to it)", src->name, (long long)(beg >> 16));
    }
    return 0;
}

/* A CRAM's ranges are read where they lie in the file. */
static int local_open_ranges(const scan_source_t *src, const int64_t (*ranges)[2], int n,
                             scan_input_t *in)
{
    (void)ranges, (void)n;
    *in = (scan_input_t){.fd_is_file = 1};
    if ((in->fd = open(src->name, O_RDONLY)) < 0)
        return rc_fail_errno(RC_EINPUT, "cannot open %s", src->name);
    return 0;
}

/* Closing a file that was only read cannot lose anything; a read error has
 * already been reported by then. */
static int local_close(const scan_source_t *src, scan_input_t *in)
{
    (void)src;
    if (in->fp)
        bgzf_close(in->fp);
    else
        close(in->fd);
    return 0;
}

scan_source_t scan_local_source(const char *path)
{
    return (scan_source_t){.open = local_open, .open_ranges = local_open_ranges,
                           .close = local_close, .name = path};
}

/* ---- workers ------------------------------------------------------------ */

typedef struct {
    const alnfile_t *in;
    const plan_t *plan;
    const scan_opts_t *opts;
    const scan_source_t *source;
    int n_targets;
    int64_t n_counts;
    /* parent side: progress */
    uint64_t *done;
    double started, last_log;
    /* child side: where to send progress */
    int out_fd;
    int64_t part_beg;
} scan_ctx_t;

static void send_progress(void *arg, uint64_t voff)
{
    scan_ctx_t *c = arg;
    workers_send_progress(c->out_fd, voff);
}

static int count_once(scan_ctx_t *c, int index, tally_t *t)
{
    const plan_part_t *p = &c->plan->parts[index];
    if (c->in->kind == ALNFILE_CRAM) {
        count_opts_t o = {.regions = c->opts->regions, .filter = c->opts->filter,
                          .reference = c->opts->reference, .check_sorted = 1,
                          .progress = send_progress, .progress_arg = c};
        int64_t end = p->end == ALNFILE_VOFF_END ? c->in->cram_data_end : (int64_t)(p->end >> 16);
        return cramcount_range(c->in, c->source, (int64_t)(p->beg >> 16), end, &o, 0, t);
    }
    scan_input_t in;
    int rc = c->source->open(c->source, p->beg, p->end, &in);
    if (rc != 0)
        return rc;
    uint64_t rel = (uint64_t)in.base << 16;
    count_opts_t o = {.path = c->source->name,
                      .addr_base = in.base,
                      .end = p->end == ALNFILE_VOFF_END ? ALNFILE_VOFF_END : p->end - rel,
                      .check_sorted = 1,
                      .start_from_index = index > 0,
                      .regions = c->opts->regions,
                      .filter = c->opts->filter,
                      .progress = send_progress,
                      .progress_arg = c};
    rc = count_records(in.fp, &o, t);
    /* A failed transfer explains a failed read, so its message wins. */
    int close_rc = c->source->close(c->source, &in);
    return close_rc ? close_rc : rc;
}

/* Data that cannot be read may have been corrupted on the way: read the
 * part again, and if it fails again, ask the source whether the stored
 * bytes are as uploaded. Only then is the file itself to blame. */
static int count_again(scan_ctx_t *c, int index, tally_t *t)
{
    int64_t at = t->failed_at;
    log_info("worker %d: unreadable data near byte %lld; reading the part again", index + 1,
             (long long)at);
    tally_reset(t);
    int rc = count_once(c, index, t);
    if (rc != RC_EINPUT || t->failed_at < 0)
        return rc;
    char *message = strdup(rc_message());
    int v = c->source->verify(c->source, t->failed_at);
    if (v == 0 && message)
        rc_fail(RC_EINPUT, "%s", message);
    free(message);
    return v ? v : RC_EINPUT;
}

static int count_part(int index, void *arg, int out_fd)
{
    scan_ctx_t *c = arg;
    c->out_fd = out_fd;
    workers_send_progress(out_fd, c->plan->parts[index].beg); /* alive: the stall clock starts */
    tally_t t;
    kstring_t packed = {0};
    int rc = tally_init(&t, c->n_targets, c->n_counts);
    if (rc != 0)
        return rc;
    rc = count_once(c, index, &t);
    if (rc == RC_EINPUT && t.failed_at >= 0 && c->source->verify)
        rc = count_again(c, index, &t);
    if (rc == 0)
        rc = tally_pack(&t, &packed);
    if (rc == 0)
        rc = workers_send_result(out_fd, packed.s, packed.l);
    free(packed.s);
    tally_free(&t);
    return rc;
}

static const char *describe_part(int index, void *arg, char buf[256])
{
    scan_ctx_t *c = arg;
    return plan_describe(c->plan, index, c->in->hdr, buf);
}

static void on_progress(int index, uint64_t voff, void *arg)
{
    scan_ctx_t *c = arg;
    c->done[index] = (voff >> 16) > (c->plan->parts[index].beg >> 16)
                         ? (voff >> 16) - (c->plan->parts[index].beg >> 16) : 0;
    double now = log_now();
    if (now - c->last_log < PROGRESS_INTERVAL)
        return;
    c->last_log = now;
    uint64_t done = 0, total = 0;
    for (int i = 0; i < c->plan->n; i++) {
        done += c->done[i];
        total += plan_part_bytes(c->plan, i);
    }
    char b1[16], b2[16];
    log_info("count: %.0f%% of %s compressed, %s/s", total ? 100.0 * done / total : 100.0,
             log_bytes(total, b1), log_bytes((uint64_t)(done / (now - c->started)), b2));
}

/* ---- checks across parts ------------------------------------------------ */

int scan_check_order(const alnfile_t *in, const tally_t *parts, int n)
{
    const tally_t *prev = NULL;
    for (int i = 0; i < n; i++) {
        if (parts[i].n_records == 0)
            continue;
        if (prev && tally_coord_before(parts[i].first_tid, parts[i].first_pos, prev->last_tid,
                                 prev->last_pos))
            return rc_fail(RC_EINPUT,
                           "%s is not sorted by coordinate: part %d starts at reference id %d, "
                           "position %lld, before the end of part %d",
                           in->path, i + 1, parts[i].first_tid, (long long)parts[i].first_pos + 1, i);
        prev = &parts[i];
    }
    return 0;
}

/* Every reference sequence must hold as many records, and as many
 * unmapped ones, as the index says: a cheap proof that the index belongs to
 * the file and that the split points were record starts. */
/* The number of records the index holds for tid, into *n, and how many of
 * them are unmapped: 1 if it says, 0 if it has no counts (an index not
 * written by samtools or htslib). */
static int indexed_records(const hts_idx_t *idx, int tid, uint64_t *n, uint64_t *n_unmapped)
{
    uint64_t mapped, unmapped, beg, end;
    if (hts_idx_get_stat(idx, tid, &mapped, &unmapped) == 0) {
        *n = mapped + unmapped;
        *n_unmapped = unmapped;
        return 1;
    }
    *n = *n_unmapped = 0;
    /* No counts, and no chunks either: the index says tid has no records. */
    return !plan_tid_range(idx, tid, &beg, &end);
}

int scan_check_index(const alnfile_t *in, const tally_t *total, int read_unplaced)
{
    if (!in->idx)
        return 0; /* a CRAI holds no counts: each part was checked as it was read */
    int with_counts = 0;
    for (int tid = 0; tid < total->n_targets; tid++) {
        uint64_t n, n_unmapped;
        int known = indexed_records(in->idx, tid, &n, &n_unmapped);
        with_counts |= known && n > 0;
        if (known && total->records[tid] != n)
            return rc_fail(RC_EINPUT,
                           "index %s does not belong to %s: reference %s has %llu records in "
                           "the file and %llu in the index",
                           in->index_path, in->path, sam_hdr_tid2name(in->hdr, tid),
                           (unsigned long long)total->records[tid], (unsigned long long)n);
        if (known && total->unmapped[tid] != n_unmapped)
            return rc_fail(RC_EINPUT,
                           "index %s does not belong to %s: reference %s has %llu unmapped "
                           "records in the file and %llu in the index",
                           in->index_path, in->path, sam_hdr_tid2name(in->hdr, tid),
                           (unsigned long long)total->unmapped[tid],
                           (unsigned long long)n_unmapped);
    }
    if (read_unplaced && with_counts && total->unplaced != hts_idx_get_n_no_coor(in->idx))
        return rc_fail(RC_EINPUT,
                       "index %s does not belong to %s: %llu unplaced reads in the file, %llu in "
                       "the index",
                       in->index_path, in->path, (unsigned long long)total->unplaced,
                       (unsigned long long)hts_idx_get_n_no_coor(in->idx));
    return 0;
}

/* ---- the two ways to count ---------------------------------------------- */

static int scan_parts(const alnfile_t *in, const plan_t *plan, const scan_opts_t *opts,
                      const scan_source_t *source, tally_t *total)
{
    int n = plan->n;
    scan_ctx_t ctx = {.in = in, .plan = plan, .opts = opts, .source = source,
                      .n_targets = total->n_targets, .n_counts = total->n_counts};
    ctx.started = ctx.last_log = log_now();
    workers_result_t *results = calloc(n, sizeof *results);
    tally_t *parts = calloc(n, sizeof *parts);
    ctx.done = calloc(n, sizeof *ctx.done);
    int rc = results && parts && ctx.done ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    workers_spec_t spec = {.n = n, .task = count_part, .progress = on_progress,
                           .describe = describe_part, .arg = &ctx, .timeout = opts->timeout,
                           .stall = opts->stall};
    if (rc == 0)
        rc = workers_run(&spec, results);
    /* Each result is added as it is read, and only its ends kept. */
    for (int i = 0; rc == 0 && i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, "the result of worker %d", i + 1);
        rc = tally_unpack_add(total, results[i].data, results[i].len, what, &parts[i]);
        free(results[i].data);
        results[i].data = NULL;
    }
    if (rc == 0)
        rc = scan_check_order(in, parts, n);
    if (results)
        workers_results_free(results, n);
    free(results);
    free(parts);
    free(ctx.done);
    return rc;
}

static int scan_sequential(const alnfile_t *in, const scan_opts_t *opts,
                           const scan_source_t *source, tally_t *total)
{
    if (in->kind == ALNFILE_CRAM) {
        count_opts_t o = {.regions = opts->regions, .filter = opts->filter,
                          .reference = opts->reference};
        return cramcount_range(in, source, in->cram_data, in->cram_data_end, &o, opts->workers,
                               total);
    }
    scan_input_t s;
    int rc = source->open(source, in->data_voff, ALNFILE_VOFF_END, &s);
    if (rc != 0)
        return rc;
    if (opts->workers > 1 && bgzf_mt(s.fp, opts->workers, 256) != 0)
        log_info("cannot start %d decompression threads; reading with one", opts->workers);
    count_opts_t o = {.path = source->name, .addr_base = s.base, .end = ALNFILE_VOFF_END,
                      .regions = opts->regions, .filter = opts->filter};
    rc = count_records(s.fp, &o, total);
    int close_rc = source->close(source, &s);
    return close_rc ? close_rc : rc;
}

/* Count [beg, end) (the whole file: beg is in->data_voff and whole is set)
 * into total. */
static int scan(const alnfile_t *in, uint64_t beg, uint64_t end, int whole,
                const scan_opts_t *opts, tally_t *total)
{
    scan_source_t local = scan_local_source(in->path);
    const scan_source_t *source = opts->source ? opts->source : &local;
    int nref = sam_hdr_nref(in->hdr);
    int rc = tally_init(total, nref, opts->regions ? opts->regions->n : nref);
    plan_t plan = {0};
    if (rc == 0 && whole && !alnfile_indexed(in))
        rc = scan_sequential(in, opts, source, total);
    else if (rc == 0 && (rc = whole ? plan_make(in, opts->workers,
                                                opts->with_unplaced ? PLAN_WITH_UNPLACED : 0, &plan)
                                    : plan_make_range(in, opts->workers, beg, end, &plan)) == 0)
        rc = scan_parts(in, &plan, opts, source, total);
    if (rc == 0 && whole && in->idx)
        rc = scan_check_index(in, total, !plan.skips_unplaced);
    plan_free(&plan);
    if (rc != 0)
        tally_free(total);
    return rc;
}

int scan_file(const alnfile_t *in, const scan_opts_t *opts, tally_t *total)
{
    return scan(in, in->data_voff, ALNFILE_VOFF_END, 1, opts, total);
}

int scan_range(const alnfile_t *in, uint64_t beg, uint64_t end, const scan_opts_t *opts,
               tally_t *total)
{
    return scan(in, beg, end, 0, opts, total);
}
