/* test_report.c -- what is written for a cohort (src/report): sample names
 * (the SM, else the file name; made unique), the same-reference check,
 * dosage against the autosomes, idxstats' text, MultiQC's table, and a
 * report of 1000 samples and 3 million bins that stays small.
 *
 * With an argument, the big report is also written there (t_cohort.sh
 * renders it in Chromium). */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "fdio.h"
#include "multiqc.h"
#include "rc.h"
#include "report.h"
#include "sample.h"
#include "summary.h"
#include "unit.h"

static sam_hdr_t *header(const char *text)
{
    return sam_hdr_parse(strlen(text), text);
}

static void names(void)
{
    char name[SAMPLE_NAME_MAX + 1];
    sam_hdr_t *one = header("@SQ\tSN:chr1\tLN:100\n@RG\tID:a\tSM:NA12878\n@RG\tID:b\tSM:NA12878\n");
    sam_hdr_t *two = header("@SQ\tSN:chr1\tLN:100\n@RG\tID:a\tSM:x\n@RG\tID:b\tSM:y\n");
    sam_hdr_t *none = header("@SQ\tSN:chr1\tLN:100\n@RG\tID:a\n");
    sam_hdr_t *odd = header("@SQ\tSN:chr1\tLN:100\n@RG\tID:a\tSM:pat 7/tumour\n");
    sample_name(one, "/data/run1.bam", name);
    UNIT_CHECK("sample name: the SM all read groups give", strcmp(name, "NA12878") == 0, "%s", name);
    sample_name(two, "/data/run1.sorted.bam", name);
    UNIT_CHECK("sample name: two SMs: the file name less .bam", strcmp(name, "run1.sorted") == 0,
               "%s", name);
    sample_name(none, "x.cram", name);
    UNIT_CHECK("sample name: no SM: the file name less .cram", strcmp(name, "x") == 0, "%s", name);
    sample_name(odd, "x.bam", name);
    UNIT_CHECK("sample name: made safe for a file name", strcmp(name, "pat_7_tumour") == 0, "%s", name);
    sample_names_t *s = sample_names_init();
    const char *given[] = {"A", "B", "A", "A_2", "A"}, *want[] = {"A", "B", "A_2", "A_2_2", "A_3"};
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "%s", given[i]);
        ok &= sample_names_take(s, name) == 0 && strcmp(name, want[i]) == 0;
    }
    UNIT_CHECK("sample names: made unique in input order", ok, "last %s", name);
    sample_names_free(s);

    sam_hdr_t *other = header("@SQ\tSN:chr1\tLN:101\n");
    UNIT_CHECK("same reference: a length that differs is refused, naming both files",
               sample_same_reference(one, "a.bam", other, "b.bam") == RC_EINPUT &&
                   strstr(rc_message(), "b.bam is not on the reference of a.bam"),
               "%s", rc_message());
    UNIT_CHECK("same reference: the same sequences pass",
               sample_same_reference(one, "a.bam", two, "b.bam") == 0, "%s", rc_message());
    sam_hdr_t *more = header("@SQ\tSN:chr1\tLN:100\n@SQ\tSN:chr2\tLN:5\n");
    UNIT_CHECK("same reference: another number of sequences is refused",
               sample_same_reference(one, "a.bam", more, "b.bam") == RC_EINPUT, "accepted");
    sam_hdr_t *hs[] = {one, two, none, odd, other, more};
    for (int i = 0; i < 6; i++)
        sam_hdr_destroy(hs[i]);
}

/* chr1 and chr2 of 1000 bases, chrX of 1000, chrY of 500, chrM of 100. */
static void dosage_and_multiqc(void)
{
    sam_hdr_t *h = header("@SQ\tSN:chr1\tLN:1000\n@SQ\tSN:chr2\tLN:1000\n@SQ\tSN:chrX\tLN:1000\n"
                          "@SQ\tSN:chrY\tLN:500\n@SQ\tSN:chrM\tLN:100\n");
    regions_t r;
    regions_whole(&r, h);
    summary_layout_t l;
    summary_layout_init(&l, h, &r, 1);
    tally_t t;
    tally_init(&t, 5, 5);
    uint64_t counted[] = {100, 300, 100, 50, 400}, unmapped[] = {1, 0, 2, 0, 0};
    for (int i = 0; i < 5; i++) {
        t.counts[i] = t.counted[i] = counted[i];
        t.records[i] = counted[i] + 3, t.unmapped[i] = unmapped[i];
    }
    t.unplaced = 7;
    summary_t s;
    summary_make(&l, "S", &t, &s);
    /* autosomes: 400 reads on 2000 bases, 0.2 a base */
    UNIT_CHECK("dosage: chrX, chrY, chrM against the autosomes",
               fabs(s.x - 0.5) < 1e-9 && fabs(s.y - 0.5) < 1e-9 && fabs(s.m - 20) < 1e-9 &&
                   s.reads == 950,
               "x %g y %g m %g reads %llu", s.x, s.y, s.m, (unsigned long long)s.reads);
    kstring_t k = {0};
    multiqc_idxstats(h, &t, &k);
    UNIT_CHECK("idxstats: name, length, mapped, unmapped, then the unplaced",
               strncmp(k.s, "chr1\t1000\t102\t1\nchr2\t1000\t303\t0\nchrX\t1000\t101\t2\n", 45) == 0 &&
                   strstr(k.s, "\n*\t0\t0\t7\n"), "[%s]", k.s);
    k.l = 0;
    multiqc_table(&s, 1, &k);
    UNIT_CHECK("MultiQC table: a General Statistics row per sample",
               strstr(k.s, "# plot_type: 'generalstats'") &&
                   strstr(k.s, "\nS\t950\t0.5000\t0.5000\t20.0000\n"), "[%s]", k.s);
    free(k.s);
    summary_free(&s);
    tally_free(&t);
    summary_layout_free(&l);
    regions_free(&r);
    sam_hdr_t *noauto = header("@SQ\tSN:contigA\tLN:1000\n@SQ\tSN:X\tLN:1000\n");
    regions_whole(&r, noauto);
    summary_layout_init(&l, noauto, &r, 1);
    tally_init(&t, 2, 2);
    t.counted[0] = t.counted[1] = 10;
    summary_make(&l, "S", &t, &s);
    UNIT_CHECK("dosage: no autosomes: none for MultiQC, the genome's mean for the plot",
               isnan(s.x) && !l.autosomes && l.n_plot == 2 && fabs(s.plot[1] - 1) < 1e-6,
               "x %g plot %g", s.x, s.plot[1]);
    summary_free(&s);
    tally_free(&t);
    summary_layout_free(&l);
    regions_free(&r);
    sam_hdr_destroy(noauto);
    sam_hdr_destroy(h);
}

/* GRCh38's primary sequences. */
static const char *const NAMES[] = {"chr1", "chr2", "chr3", "chr4", "chr5", "chr6", "chr7",
                                    "chr8", "chr9", "chr10", "chr11", "chr12", "chr13", "chr14",
                                    "chr15", "chr16", "chr17", "chr18", "chr19", "chr20", "chr21",
                                    "chr22", "chrX", "chrY", "chrM"};
static const long LENS[] = {248956422, 242193529, 198295559, 190214555, 181538259, 170805979,
                            159345973, 145138636, 138394717, 133797422, 135086622, 133275309,
                            114364328, 107043718, 101991189, 90338345,  83257441,  80373285,
                            58617616,  64444167,  46709983,  50818468,  156040895, 57227415,
                            16569};

/* 1000 samples, 1 kb bins: three samples summarised from their counts,
 * the others copies of them with their numbers moved a little. */
static void big_report(const char *path)
{
    kstring_t text = {0};
    for (int i = 0; i < 25; i++)
        ksprintf(&text, "@SQ\tSN:%s\tLN:%ld\n", NAMES[i], LENS[i]);
    sam_hdr_t *h = header(text.s);
    regions_t r;
    regions_bins(&r, h, 1000, "bins");
    summary_layout_t l;
    summary_layout_init(&l, h, &r, 1);
    enum { N = 1000 };
    summary_t *s = calloc(N, sizeof *s);
    tally_t t;
    tally_init(&t, 25, r.n);
    for (int k = 0; k < 3; k++) {
        memset(t.counted, 0, 25 * sizeof *t.counted);
        regions_pos_t pos = {.tid = -1};
        for (int64_t i = 0; i < r.n; i++) {
            regions_coords(&r, i, &pos);
            int xy = k == 1 && (pos.tid == 22 || pos.tid == 23);
            uint64_t c = pos.tid == 23 && k != 1 ? 0 : (uint64_t)(30 + (i * 7919) % 13) / (xy ? 2 : 1);
            c = k == 2 && pos.tid == 7 && i % 1000 < 300 ? c * 3 / 2 : c; /* a gain on chr8 */
            t.counts[i] = c;
            t.counted[pos.tid] += c;
        }
        summary_make(&l, "real", &t, &s[k]);
    }
    for (int i = 0; i < N; i++) {
        const summary_t *from = &s[i % 3];
        if (i >= 3) {
            s[i] = *from;
            s[i].profile = malloc(l.n_cols * sizeof *s[i].profile);
            for (int c = 0; c < l.n_cols; c++)
                s[i].profile[c] = from->profile[c] * (float)(1 + 0.01 * ((i * 31 + c) % 7));
            for (int p = 0; p < l.n_plot; p++)
                s[i].plot[p] = from->plot[p] * (float)(1 + 0.005 * ((i * 17 + p) % 9));
        }
        snprintf(s[i].name, sizeof s[i].name, "SAMPLE%04d", i + 1);
    }
    text.l = 0;
    int rc = report_html(&l, s, N, "bins of 1000 bases", &text);
    UNIT_CHECK("report: 1000 samples and 3 million bins", rc == 0 && r.n > 3000000, "%s",
               rc_message());
    UNIT_CHECK("report: summarised, under 1.5 MB", text.l < 1500000, "%zu bytes", text.l);
    UNIT_CHECK("report: boxes for the sequences, 8 profiles besides the cohort's",
               strstr(text.s, "class=\"box\"") && strstr(text.s, "cohort median") &&
                   strstr(text.s, "the 8 samples farthest"), "missing");
    UNIT_CHECK("report: every sample in the table", strstr(text.s, "<td>SAMPLE1000</td>") != NULL,
               "missing");
    if (path)
        UNIT_CHECK("report: written", fdio_save(path, text.s, text.l) == 0, "%s", rc_message());
    for (int i = 0; i < N; i++)
        summary_free(&s[i]);
    free(s);
    free(text.s);
    tally_free(&t);
    summary_layout_free(&l);
    regions_free(&r);
    sam_hdr_destroy(h);
}

int main(int argc, char **argv)
{
    names();
    dosage_and_multiqc();
    big_report(argc > 1 ? argv[1] : NULL);
    return 0;
}
