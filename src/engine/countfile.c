/* countfile.c -- format the count file and the table; see countfile.h. */
#include "countfile.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rc.h"

static int valid_label(const kstring_t *label)
{
    return label->l > 0 && strlen(label->s) == label->l && !strpbrk(label->s, "\n\r\t");
}

static int bad_label(int64_t i)
{
    return rc_fail(RC_EINPUT, "region %lld has an empty name or one with a line break or tab",
                   (long long)i + 1);
}

int countfile_format_labels(int64_t n, countfile_label_fn label, void *arg,
                            const uint64_t *counts, kstring_t *out, uint64_t *total_out)
{
    uint64_t total = 0;
    kstring_t l = {0};
    int rc = 0;
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        l.l = 0;
        if ((rc = label(arg, i, &l)) != 0)
            break;
        if (!l.s || !valid_label(&l)) {
            rc = bad_label(i);
            break;
        }
        if (counts[i] > UINT64_MAX - total) {
            rc = rc_fail(RC_EINPUT, "the total read count overflows");
            break;
        }
        total += counts[i];
        if (ksprintf(out, "Region %s: %" PRIu64 "\n", l.s, counts[i]) < 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    }
    if (rc == 0 && ksprintf(out, "Total reads: %" PRIu64 "\n", total) < 0)
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    if (rc == 0 && total_out)
        *total_out = total;
    free(l.s);
    return rc;
}

static int region_label(void *arg, int64_t i, kstring_t *label)
{
    return regions_label(arg, i, label);
}

int countfile_format(const regions_t *r, const uint64_t *counts, kstring_t *out, uint64_t *total)
{
    return countfile_format_labels(r->n, region_label, (void *)r, counts, out, total);
}

int countfile_format_tsv(const regions_t *r, const uint64_t *counts, kstring_t *out)
{
    kstring_t l = {0};
    int rc = kputs("#chrom\tstart\tend\tname\tcount\n", out) < 0 ? rc_fail(RC_EINTERNAL, "out of memory") : 0;
    for (int64_t i = 0; rc == 0 && i < r->n; i++) {
        int tid;
        int64_t beg, end;
        l.l = 0;
        regions_coords(r, i, &tid, &beg, &end);
        if ((rc = regions_label(r, i, &l)) != 0)
            break;
        if (!valid_label(&l))
            rc = bad_label(i);
        else if (ksprintf(out, "%s\t%" PRId64 "\t%" PRId64 "\t%s\t%" PRIu64 "\n",
                          sam_hdr_tid2name(r->hdr, tid), beg, end, l.s, counts[i]) < 0)
            rc = rc_fail(RC_EINTERNAL, "out of memory");
    }
    free(l.s);
    return rc;
}
