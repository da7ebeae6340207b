/* fuzz_bam.c -- libFuzzer target: the bytes are a small BAM.
 *
 * Bytes that start with the gzip magic are the BAM file itself. Any other
 * bytes are the decompressed BAM stream ("BAM\1", header, records), which
 * the harness compresses into BGZF blocks of a size taken from the input's
 * length (so that records straddle blocks) and ends with the EOF marker: a
 * mutation of the records then still passes the blocks' CRC checks and
 * reaches the record parser.
 *
 * Then, all in this process (no forked workers):
 *   1. alnfile_open without an index: it opens or fails with RC_EINPUT.
 *   2. count_records over the whole file, as the no-index path counts:
 *      per reference, reads <= records, and records add up. When htslib
 *      (sam_read1) reads the same file to the end, the counts must equal
 *      the samtools rule applied to htslib's records (tid >= 0 and
 *      bam_endpos > 0).
 *   3. If htslib can index the bytes (as sam_index_build does, BAI or CSI
 *      by the input's length), open the BAM with that index, plan_make it into 1,
 *      2, 3 and 8 parts (parts must be contiguous, start at the first record
 *      and increase), count every part with count_records as a worker does
 *      (checking the sort order, ending exactly at the part's end), and run
 *      idxcount_run. Whenever they succeed, the parts' sum, idxcount_run and
 *      the whole-file count must give the same reads per reference: the
 *      project's exactness claim on any input samtools can index. And
 *      when the whole file reads and is sorted as the workers check it,
 *      planning, every part and idxcount_run must succeed (no good BAM is
 *      refused).
 */
#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/sam.h>
#include <inttypes.h>

#include "alnfile.h"
#include "count.h"
#include "rc.h"
#include "idxcount.h"
#include "plan.h"
#include "scan.h"
#include "fuzz_common.h"

static char bam_path[4300], bai_path[4300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *dir = fuzz_scratch_dir();
    snprintf(bam_path, sizeof bam_path, "%s/in.bam", dir);
    snprintf(bai_path, sizeof bai_path, "%s/in.bam.idx", dir);
    hts_set_log_level(HTS_LOG_OFF);
    return 0;
}

/* Write the decompressed stream as BGZF blocks of a few hundred bytes to a
 * few kB, stored (level 0: fast, and the bytes stay visible). */
static void write_bgzf(const uint8_t *data, size_t size)
{
    BGZF *fp = bgzf_open(bam_path, "w0");
    CHECK(fp, "cannot write %s", bam_path);
    size_t chunk = 100 + (size * 2654435761u >> 8) % 3000;
    for (size_t i = 0; i < size; i += chunk) {
        size_t n = size - i < chunk ? size - i : chunk;
        CHECK(bgzf_write(fp, data + i, n) == (ssize_t)n && bgzf_flush(fp) == 0, "bgzf_write");
    }
    CHECK(bgzf_close(fp) == 0, "bgzf_close");
}

/* ---- sizes htslib would allocate before reading ---------------------------
 *
 * htslib allocates what a header or record claims (l_text, n_ref, l_name,
 * block_size) before it reads it: a few mutated bytes can ask for gigabytes,
 * which libFuzzer reports as out-of-memory in htslib, not in our code. The
 * inputs that claim more than CLAIM_LIMIT anywhere are skipped. */
#define CLAIM_LIMIT (1 << 20)
#define STREAM_LIMIT (8 << 20)

static uint32_t u32_at(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static int claims_too_much(void)
{
    BGZF *fp = bgzf_open(bam_path, "r");
    if (!fp)
        return 0;
    static uint8_t *d;
    if (!d)
        CHECK((d = malloc(STREAM_LIMIT)), "out of memory");
    ssize_t n = bgzf_read(fp, d, STREAM_LIMIT);
    bgzf_close(fp);
    size_t len = n > 0 ? (size_t)n : 0, o = 8;
    int big = 0;
    if (len >= 8 && memcmp(d, "BAM\1", 4) == 0) {
        uint32_t l_text = u32_at(d + 4), n_ref = 0;
        big = l_text > CLAIM_LIMIT;
        o += l_text;
        if (!big && o + 4 <= len) {
            n_ref = u32_at(d + o);
            big = n_ref > CLAIM_LIMIT / 8;
            o += 4;
        }
        for (uint32_t i = 0; !big && i < n_ref && o + 4 <= len; i++) {
            uint32_t l_name = u32_at(d + o);
            big = l_name > CLAIM_LIMIT;
            o += 4 + (size_t)l_name + 4;
        }
        while (!big && o + 4 <= len) {
            uint32_t block_size = u32_at(d + o);
            big = block_size > CLAIM_LIMIT;
            o += 4 + (size_t)block_size;
        }
    }
    return big;
}

/* Count from virtual offset beg to end as count.h says, on a fresh BGZF
 * opened the way the local scan source opens it. On failure t is freed. */
static int count_range(const alnfile_t *in, uint64_t beg, uint64_t end, int check_sorted,
                       int from_index, tally_t *t)
{
    scan_source_t src = scan_local_source(in->path);
    scan_input_t s;
    int rc = tally_init(t, sam_hdr_nref(in->hdr), sam_hdr_nref(in->hdr));
    CHECK(rc == 0, "tally_init");
    if ((rc = src.open(&src, beg, end, &s)) == 0) {
        count_opts_t o = {.path = in->path, .end = end, .check_sorted = check_sorted,
                          .start_from_index = from_index};
        rc = count_records(s.fp, &o, t);
        src.close(&src, &s);
    }
    if (rc != 0)
        tally_free(t);
    return rc;
}

static void check_tally(const tally_t *t)
{
    uint64_t sum = t->unplaced;
    for (int i = 0; i < t->n_targets; i++) {
        CHECK(t->counts[i] <= t->records[i], "tid %d: %" PRIu64 " reads > %" PRIu64 " records", i,
              t->counts[i], t->records[i]);
        CHECK(t->unmapped[i] <= t->records[i], "tid %d: %" PRIu64 " unmapped > %" PRIu64
              " records", i, t->unmapped[i], t->records[i]);
        /* Whole reference sequences: the per-reference count is the region's. */
        CHECK(t->counted[i] == t->counts[i], "tid %d: counted %" PRIu64 ", counts %" PRIu64, i,
              t->counted[i], t->counts[i]);
        sum += t->records[i];
    }
    CHECK(sum == t->n_records, "records add up to %" PRIu64 ", read %" PRIu64, sum, t->n_records);
}

static void check_same_reads(const tally_t *a, const tally_t *b, const char *what)
{
    CHECK(a->n_targets == b->n_targets, "%s: %d and %d references", what, a->n_targets,
          b->n_targets);
    for (int i = 0; i < a->n_targets; i++)
        CHECK(a->counts[i] == b->counts[i], "%s: reference %d: %" PRIu64 " and %" PRIu64 " reads",
              what, i, a->counts[i], b->counts[i]);
}

/* The samtools rule over htslib's own reading of the records, or -1 when
 * htslib does not read the file to its end. */
static int htslib_counts(const alnfile_t *in, tally_t *t)
{
    htsFile *fp = hts_open(in->path, "rb");
    if (!fp)
        return -1;
    sam_hdr_t *h = sam_hdr_read(fp);
    bam1_t *b = bam_init1();
    int r = -1;
    if (h && b && tally_init(t, sam_hdr_nref(in->hdr), sam_hdr_nref(in->hdr)) == 0) {
        while ((r = sam_read1(fp, h, b)) >= 0) {
            int tid = b->core.tid;
            if (tid < -1 || tid >= t->n_targets) {
                r = -2;
                break;
            }
            if (tid >= 0) {
                t->records[tid]++;
                t->unmapped[tid] += (b->core.flag & BAM_FUNMAP) != 0;
                t->counts[tid] += bam_endpos(b) > 0;
            } else {
                t->unplaced++;
            }
            t->n_records++;
        }
        if (r != -1)
            tally_free(t);
    }
    bam_destroy1(b);
    sam_hdr_destroy(h);
    hts_close(fp);
    return r == -1 ? 0 : -1;
}

/* Plan in (which has an index) into n parts, count every part as a worker
 * does, and compare with whole (when whole_ok) and with idxcount_run. When
 * the whole file reads and is sorted (sorted), planning and every part must
 * succeed: refusing such a file would be refusing a good BAM. */
static void check_plan(const alnfile_t *in, int n, const tally_t *whole, int whole_ok,
                       int sorted, const tally_t *by_index, int index_ok)
{
    plan_t plan;
    rc_clear();
    if (plan_make(in, n, 0, &plan) != 0) {
        CHECK(rc_kind() == RC_EINPUT, "plan_make failed with kind %d: %s", rc_kind(), rc_message());
        CHECK(!sorted, "plan_make refused a sorted, readable BAM: %s", rc_message());
        return;
    }
    CHECK(plan.n >= 1 && plan.n <= (n > 1 ? n : 1), "%d parts for %d", plan.n, n);
    CHECK(plan.parts[0].beg == in->data_voff, "part 1 starts at %" PRIu64 ", the records at %" PRIu64,
          plan.parts[0].beg, in->data_voff);
    for (int i = 0; i < plan.n; i++) {
        const plan_part_t *p = &plan.parts[i];
        CHECK(p->beg <= p->end, "part %d: %" PRIu64 "-%" PRIu64, i + 1, p->beg, p->end);
        if (i > 0)
            CHECK(p->beg == plan.parts[i - 1].end && p->beg > plan.parts[i - 1].beg,
                  "part %d starts at %" PRIu64 ", part %d ends at %" PRIu64, i + 1, p->beg, i,
                  plan.parts[i - 1].end);
        CHECK(plan_part_bytes(&plan, i) >= 0, "part %d has %" PRId64 " bytes", i + 1,
              plan_part_bytes(&plan, i));
        char buf[256];
        plan_describe(&plan, i, in->hdr, buf);
    }
    tally_t sum, part;
    CHECK(tally_init(&sum, sam_hdr_nref(in->hdr), sam_hdr_nref(in->hdr)) == 0, "tally_init");
    int ok = 1;
    const tally_t *prev = NULL;
    tally_t last = {0};
    for (int i = 0; ok && i < plan.n; i++) {
        rc_clear();
        int rc = count_range(in, plan.parts[i].beg, plan.parts[i].end, 1, i > 0, &part);
        if (rc != 0) {
            CHECK(rc == RC_EINPUT, "part %d: kind %d: %s", i + 1, rc, rc_message());
            CHECK(!sorted, "part %d of %d of a sorted, readable BAM failed: %s", i + 1, plan.n,
                  rc_message());
            ok = 0;
        } else {
            check_tally(&part);
            /* scan.c's check_order across parts */
            if (part.n_records && prev &&
                tally_coord_before(part.first_tid, part.first_pos, last.last_tid, last.last_pos)) {
                CHECK(!sorted, "part %d of a sorted BAM starts before the end of the last", i + 1);
                ok = 0;
            }
            if (part.n_records) {
                last = part;
                prev = &last;
            }
            tally_add(&sum, &part);
        }
        tally_free(&part);
    }
    if (ok) {
        if (whole_ok && !plan.skips_unplaced) {
            check_same_reads(&sum, whole, "the parts and the whole file");
            CHECK(sum.unplaced == whole->unplaced, "unplaced: %" PRIu64 " and %" PRIu64, sum.unplaced,
                  whole->unplaced);
        } else if (whole_ok) {
            check_same_reads(&sum, whole, "the parts (which skip the unplaced) and the whole file");
        }
        if (index_ok)
            check_same_reads(&sum, by_index, "the parts and idxcount_run");
    }
    tally_free(&sum);
    plan_free(&plan);
}

/* What sam_index_build2(bam_path, bai_path, csi ? 14 : 0) does (htslib's
 * sam_index, step for step), without its leak of the header when the
 * records cannot be indexed (htslib 1.16). Returns 0 when the index is
 * saved. */
static int build_index(int csi)
{
    htsFile *fp = hts_open(bam_path, "r");
    if (!fp)
        return -1;
    sam_hdr_t *h = sam_hdr_read(fp);
    bam1_t *b = bam_init1();
    hts_idx_t *idx = NULL;
    int ret = -1, min_shift = 14, n_lvls = 5;
    if (h && b && hts_get_format(fp)->format == bam) {
        if (csi) {
            int64_t max_len = 0, s;
            for (int i = 0; i < sam_hdr_nref(h); i++)
                if (max_len < sam_hdr_tid2len(h, i))
                    max_len = sam_hdr_tid2len(h, i);
            max_len += 256;
            for (n_lvls = 0, s = 1 << min_shift; max_len > s; ++n_lvls, s <<= 3)
                ;
        }
        idx = hts_idx_init(sam_hdr_nref(h), csi ? HTS_FMT_CSI : HTS_FMT_BAI,
                           bgzf_tell(fp->fp.bgzf), min_shift, n_lvls);
        while (idx && (ret = sam_read1(fp, h, b)) >= 0)
            if (hts_idx_push(idx, b->core.tid, b->core.pos, bam_endpos(b), bgzf_tell(fp->fp.bgzf),
                             !(b->core.flag & BAM_FUNMAP)) < 0)
                break;
        if (idx && ret == -1 && hts_idx_finish(idx, bgzf_tell(fp->fp.bgzf)) == 0)
            ret = hts_idx_save_as(idx, bam_path, bai_path, csi ? HTS_FMT_CSI : HTS_FMT_BAI);
        else
            ret = -1;
    }
    hts_idx_destroy(idx);
    bam_destroy1(b);
    sam_hdr_destroy(h);
    hts_close(fp);
    return ret;
}

static void check_indexed(const tally_t *whole, int whole_ok, int sorted, int csi)
{
    if (build_index(csi) != 0) {
        unlink(bai_path);
        return;
    }
    alnfile_t in;
    rc_clear();
    int rc = alnfile_open(&in, bam_path, bai_path, 0);
    if (rc != 0) {
        CHECK(rc == RC_EINPUT, "alnfile_open with the index: kind %d: %s", rc, rc_message());
        unlink(bai_path);
        return;
    }
    CHECK(in.idx, "no index loaded");
    tally_t by_index;
    rc_clear();
    int index_rc = idxcount_run(&in, NULL, NULL, &by_index);
    if (index_rc != 0) {
        CHECK(index_rc == RC_EINPUT, "idxcount_run: kind %d: %s", index_rc, rc_message());
        CHECK(!sorted, "idxcount_run refused a sorted, readable BAM: %s", rc_message());
    } else {
        for (int i = 0; i < by_index.n_targets; i++)
            CHECK(by_index.counts[i] <= by_index.records[i], "idxcount_run: tid %d", i);
        if (whole_ok)
            check_same_reads(&by_index, whole, "idxcount_run and the whole file");
    }
    static const int parts[] = {1, 2, 3, 8};
    for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
        check_plan(&in, parts[k], whole, whole_ok, sorted, &by_index, index_rc == 0);
    if (index_rc == 0)
        tally_free(&by_index);
    alnfile_close(&in);
    unlink(bai_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
        fuzz_write_file(bam_path, data, size);
    else
        write_bgzf(data, size);
    if (claims_too_much()) {
        unlink(bam_path);
        return 0;
    }

    alnfile_t in;
    rc_clear();
    int rc = alnfile_open(&in, bam_path, NULL, 0);
    if (rc != 0) {
        CHECK(rc == RC_EINPUT, "alnfile_open: kind %d: %s", rc, rc_message());
        CHECK(*rc_message(), "alnfile_open failed without a message");
        CHECK(!in.hdr && !in.idx, "alnfile_open failed and kept its header or index");
        unlink(bam_path);
        return 0;
    }
    CHECK(in.hdr && !in.idx, "opened without a header, or with an index");
    CHECK(in.data_voff >> 16 < (uint64_t)in.size, "records start at byte %" PRIu64 " of %" PRId64,
          in.data_voff >> 16, in.size);

    /* 2. The whole file, as the no-index path counts it. */
    tally_t whole;
    rc_clear();
    int whole_rc = count_range(&in, in.data_voff, ALNFILE_VOFF_END, 0, 0, &whole), sorted = 0;
    if (whole_rc != 0) {
        CHECK(whole_rc == RC_EINPUT, "count_records: kind %d: %s", whole_rc, rc_message());
        CHECK(*rc_message(), "count_records failed without a message");
    } else {
        check_tally(&whole);
        tally_t ref;
        if (htslib_counts(&in, &ref) == 0) {
            check_same_reads(&whole, &ref, "count_records and htslib");
            for (int i = 0; i < ref.n_targets; i++) /* idxstats' numbers */
                CHECK(whole.unmapped[i] == ref.unmapped[i] && whole.records[i] == ref.records[i],
                      "count_records and htslib: reference %d: %" PRIu64 "/%" PRIu64 " and %"
                      PRIu64 "/%" PRIu64 " unmapped/records", i, whole.unmapped[i],
                      whole.records[i], ref.unmapped[i], ref.records[i]);
            CHECK(whole.n_records == ref.n_records, "%" PRIu64 " records, htslib %" PRIu64,
                  whole.n_records, ref.n_records);
            tally_free(&ref);
        }
        /* Sorted by coordinate, as the workers check it? */
        tally_t again;
        if ((sorted = count_range(&in, in.data_voff, ALNFILE_VOFF_END, 1, 0, &again) == 0)) {
            check_same_reads(&again, &whole, "counting with and without the sort check");
            tally_free(&again);
        }
    }

    /* 3. With an index htslib builds. */
    check_indexed(&whole, whole_rc == 0, sorted, size % 2);

    if (whole_rc == 0)
        tally_free(&whole);
    alnfile_close(&in);
    unlink(bam_path);
    return 0;
}
