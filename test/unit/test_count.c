/* test_count.c -- the record reader's own errors (count.h), on small BAMs
 * written here: data that ends before the part does, a part end that falls
 * inside a record, a part start that is no record start, a reference id
 * outside the header, an impossible record length; and the counts of
 * records that span blocks, read in place and copied, against htslib's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <htslib/bgzf.h>
#include <htslib/sam.h>

#include "count.h"
#include "rc.h"
#include "unit.h"

static char dir[] = "/tmp/regcount-unit-count.XXXXXX";

/* A step of writing the test files that must work. */
#define MUST(x)                                                          \
    do {                                                                 \
        if ((x) < 0) {                                                   \
            printf("FAIL test_count: %s failed (%s:%d)\n", #x, __FILE__, __LINE__); \
            exit(1);                                                     \
        }                                                                \
    } while (0)

/* A BAM of n_refs references and n records (on tid rec_tid, at positions
 * 10, 20, ...), each with a name of name_len bytes; the virtual offset of
 * the first record in *data, of record k in offsets[k]. */
static void write_bam(const char *path, int n_refs, int rec_tid, int n, int name_len,
                      uint64_t *data, uint64_t *offsets)
{
    sam_hdr_t *h = sam_hdr_init();
    for (int i = 0; i < n_refs; i++) {
        char line[64];
        snprintf(line, sizeof line, "@SQ\tSN:r%d\tLN:100000\n", i);
        sam_hdr_add_lines(h, line, 0);
    }
    BGZF *fp = bgzf_open(path, "w");
    MUST(bam_hdr_write(fp, h));
    MUST(bgzf_flush(fp));
    *data = bgzf_tell(fp);
    bam1_t *b = bam_init1();
    char *name = malloc(name_len + 1);
    memset(name, 'q', name_len);
    name[name_len] = '\0';
    uint32_t cigar = bam_cigar_gen(50, BAM_CMATCH);
    for (int k = 0; k < n; k++) {
        bam_set1(b, name_len, name, 0, rec_tid, 10 * (k + 1), 60, 1, &cigar, -1, -1, 0, 50,
                 "ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTAC", NULL, 0);
        if (offsets)
            offsets[k] = bgzf_tell(fp);
        MUST(bam_write1(fp, b));
    }
    free(name);
    bam_destroy1(b);
    bgzf_close(fp);
    sam_hdr_destroy(h);
}

/* count_records from voff beg to end over path, with n_targets
 * references. */
static int count(const char *path, int n_targets, uint64_t beg, uint64_t end, int from_index,
                 tally_t *t)
{
    BGZF *fp = bgzf_open(path, "r");
    MUST(bgzf_seek(fp, (int64_t)beg, SEEK_SET));
    tally_init(t, n_targets, n_targets);
    count_opts_t o = {.path = path, .end = end, .check_sorted = 1, .start_from_index = from_index};
    rc_clear();
    int rc = count_records(fp, &o, t);
    bgzf_close(fp);
    return rc;
}

/* htslib's count per tid for the whole file, as the reference. */
static void htslib_counts(const char *path, uint64_t *per_tid, int n)
{
    samFile *f = sam_open(path, "r");
    sam_hdr_t *h = sam_hdr_read(f);
    bam1_t *b = bam_init1();
    memset(per_tid, 0, n * sizeof *per_tid);
    while (sam_read1(f, h, b) >= 0)
        if (b->core.tid >= 0 && bam_endpos(b) > 0)
            per_tid[b->core.tid]++;
    bam_destroy1(b);
    sam_hdr_destroy(h);
    sam_close(f);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    char path[256];
    uint64_t data, off[2000];
    tally_t t;
    int rc;

    snprintf(path, sizeof path, "%s/plain.bam", dir);
    write_bam(path, 2, 1, 1000, 20, &data, off);
    rc = count(path, 2, data, ALNFILE_VOFF_END, 0, &t);
    UNIT_CHECK("a whole file: every record counted", rc == 0 && t.counts[1] == 1000 &&
               t.records[1] == 1000 && t.n_records == 1000, "rc %d, %llu", rc,
               (unsigned long long)t.counts[1]);
    tally_free(&t);

    rc = count(path, 2, data, off[500], 0, &t);
    UNIT_CHECK("a part that ends at a record start", rc == 0 && t.n_records == 500, "rc %d, %llu records",
               rc, (unsigned long long)t.n_records);
    tally_free(&t);

    rc = count(path, 2, data, off[500] + 7, 0, &t);
    UNIT_CHECK("a part end inside a record: a record crosses the split point",
               rc == RC_EINPUT && strstr(rc_message(), "a record crosses the split point"),
               "rc %d [%s]", rc, rc_message());
    tally_free(&t);

    rc = count(path, 2, off[300] + 7, ALNFILE_VOFF_END, 1, &t);
    UNIT_CHECK("a part start inside a record: no record where the index says one starts",
               rc == RC_EINPUT && strstr(rc_message(), "no record can be read at byte") &&
                   t.failed_at >= 0,
               "rc %d [%s]", rc, rc_message());
    tally_free(&t);

    uint64_t past = ((uint64_t)((off[999] >> 16) + 1000000) << 16);
    rc = count(path, 2, off[900], past, 1, &t);
    UNIT_CHECK("data that ends before the part does: unexpected end of data",
               rc == RC_EINPUT && strstr(rc_message(), "unexpected end of data near byte") &&
                   t.failed_at >= 0 && t.n_records == 100,
               "rc %d [%s]", rc, rc_message());
    tally_free(&t);

    rc = count(path, 1, data, ALNFILE_VOFF_END, 0, &t);
    UNIT_CHECK("a reference id outside the header", rc == RC_EINPUT &&
               strstr(rc_message(), "has reference id 1, the header has 1"), "rc %d [%s]", rc,
               rc_message());
    tally_free(&t);

    /* A block_size below the fixed fields: patch the first record's length. */
    snprintf(path, sizeof path, "%s/badlen.bam", dir);
    {
        sam_hdr_t *h = sam_hdr_init();
        sam_hdr_add_lines(h, "@SQ\tSN:r0\tLN:1000\n", 0);
        BGZF *fp = bgzf_open(path, "w");
        MUST(bam_hdr_write(fp, h));
        MUST(bgzf_flush(fp));
        data = bgzf_tell(fp);
        uint8_t rec[40] = {12, 0, 0, 0}; /* block_size 12 */
        MUST(bgzf_write(fp, rec, sizeof rec));
        bgzf_close(fp);
        sam_hdr_destroy(h);
    }
    rc = count(path, 1, data, ALNFILE_VOFF_END, 0, &t);
    UNIT_CHECK("an impossible record length: invalid BAM record", rc == RC_EINPUT &&
               strstr(rc_message(), "invalid BAM record near byte"), "rc %d [%s]", rc, rc_message());
    tally_free(&t);

    /* Records of about 350 bytes: a few span two blocks (copied), the
     * others lie in one (read in place). */
    snprintf(path, sizeof path, "%s/spans.bam", dir);
    write_bam(path, 3, 2, 300, 250, &data, NULL);
    uint64_t ref[3];
    htslib_counts(path, ref, 3);
    rc = count(path, 3, data, ALNFILE_VOFF_END, 0, &t);
    UNIT_CHECK("records across block ends counted as htslib reads them",
               rc == 0 && t.counts[2] == ref[2] && ref[2] == 300, "rc %d, %llu, htslib %llu", rc,
               (unsigned long long)t.counts[2], (unsigned long long)ref[2]);
    tally_free(&t);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
