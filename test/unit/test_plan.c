/* test_plan.c -- the planner (plan.h) on the generated BAMs: parts tile
 * the placed reads exactly (each starts where the one before ends, from
 * the first record to where the unplaced reads begin), every split point is
 * a record start, no more parts come back than were asked for, the parts of
 * a large file are of about equal compressed size, and a part planned again
 * into sub-parts is tiled by them. Needs test/data (test/make_data.sh). */
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/sam.h>

#include "alnfile.h"
#include "htsx.h"
#include "plan.h"
#include "rc.h"
#include "unit.h"

/* 1 if a record can be read at virtual offset voff of path. */
static int record_at(const char *path, uint64_t voff)
{
    BGZF *fp = bgzf_open(path, "r");
    bam1_t *b = bam_init1();
    int ok = fp && bgzf_seek(fp, (int64_t)voff, SEEK_SET) == 0 && bam_read1(fp, b) >= 0;
    bam_destroy1(b);
    if (fp)
        bgzf_close(fp);
    return ok;
}

/* The parts tile [beg, end) and start at records. */
static int tiles(const char *path, const plan_t *p, uint64_t beg, uint64_t end, char *why)
{
    if (p->n < 1 || p->parts[0].beg != beg || p->parts[p->n - 1].end != end)
        return sprintf(why, "the parts do not run from %llu to %llu", (unsigned long long)beg,
                       (unsigned long long)end), 0;
    for (int i = 0; i < p->n; i++) {
        if (i > 0 && p->parts[i].beg != p->parts[i - 1].end)
            return sprintf(why, "part %d does not start where part %d ends", i + 1, i), 0;
        if (p->parts[i].beg >= p->parts[i].end)
            return sprintf(why, "part %d is empty", i + 1), 0;
        if (i > 0 && !record_at(path, p->parts[i].beg))
            return sprintf(why, "part %d starts where no record does", i + 1), 0;
    }
    return 1;
}

static void check_file(const char *profile, int max_parts)
{
    char path[512], name[160], why[160] = "";
    snprintf(path, sizeof path, "%s/%s.bam", unit_data_dir(), profile);
    alnfile_t in;
    if (alnfile_open(&in, path, NULL, ALNFILE_FIND_INDEX) != 0 || !in.idx) {
        snprintf(name, sizeof name, "plan %s: open", profile);
        UNIT_CHECK(name, 0, "%s", rc_message());
        return;
    }
    uint64_t end = htsx_unplaced_start(in.idx);
    int ok = 1;
    for (int n = 1; ok && n <= max_parts; n++) {
        plan_t p;
        ok = plan_make(&in, n, 0, &p) == 0 && p.n <= n && tiles(path, &p, in.data_voff, end, why);
        if (!ok && !*why)
            snprintf(why, sizeof why, "%d parts for %d", p.n, n);
        /* Every part planned again into 3 is tiled by its sub-parts. */
        for (int i = 0; ok && i < p.n; i++) {
            plan_t sub;
            ok = plan_make_range(&in, 3, p.parts[i].beg, p.parts[i].end, &sub) == 0 &&
                 tiles(path, &sub, p.parts[i].beg, p.parts[i].end, why);
            plan_free(&sub);
        }
        plan_free(&p);
        if (!ok)
            snprintf(why + strlen(why), sizeof why - strlen(why), " (-j %d)", n);
    }
    snprintf(name, sizeof name, "plan %s: 1 to %d parts tile the placed reads at record starts",
             profile, max_parts);
    UNIT_CHECK(name, ok, "%s", why);
    alnfile_close(&in);
}

int main(void)
{
    check_file("small", 12);
    check_file("medium", 24);
    check_file("manyrefs", 12);
    check_file("trap", 6);

    char path[512];
    snprintf(path, sizeof path, "%s/medium.bam", unit_data_dir());
    alnfile_t in;
    if (alnfile_open(&in, path, NULL, ALNFILE_FIND_INDEX) == 0) {
        static const int n[] = {2, 3, 8};
        for (int i = 0; i < 3; i++) {
            plan_t p;
            char name[96];
            plan_make(&in, n[i], 0, &p);
            snprintf(name, sizeof name, "plan medium -j %d: %d parts of equal size (balance <= 1.05)",
                     n[i], n[i]);
            UNIT_CHECK(name, p.n == n[i] && plan_balance(&p) <= 1.05, "%d parts, balance %.3f", p.n,
                       plan_balance(&p));
            plan_free(&p);
        }
        alnfile_close(&in);
    }
    snprintf(path, sizeof path, "%s/empty.bam", unit_data_dir());
    if (alnfile_open(&in, path, NULL, ALNFILE_FIND_INDEX) == 0) {
        plan_t p;
        int rc = plan_make(&in, 8, 0, &p);
        UNIT_CHECK("plan empty: one part for a file without records", rc == 0 && p.n == 1, "%d parts", p.n);
        plan_free(&p);
        alnfile_close(&in);
    }
    return 0;
}
