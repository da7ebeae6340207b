/* multiqc.c -- idxstats and the General Statistics table; see multiqc.h. */
#include "multiqc.h"

#include <inttypes.h>
#include <math.h>

#include "rc.h"

int multiqc_idxstats(const sam_hdr_t *hdr, const tally_t *t, kstring_t *out)
{
    int bad = 0;
    for (int tid = 0; tid < t->n_targets; tid++)
        bad |= ksprintf(out, "%s\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\n",
                        sam_hdr_tid2name(hdr, tid), (int64_t)sam_hdr_tid2len(hdr, tid),
                        t->records[tid] - t->unmapped[tid], t->unmapped[tid]) < 0;
    bad |= ksprintf(out, "*\t0\t0\t%" PRIu64 "\n", t->unplaced) < 0;
    return bad ? rc_fail(RC_EINTERNAL, "out of memory") : 0;
}

/* MultiQC reads the lines that start with '#' as YAML: the columns'
 * titles, descriptions and formats. */
static const char TABLE_HEADER[] =
    "# id: 'regcount'\n"
    "# section_name: 'regcount'\n"
    "# description: 'reads counted by regcount, and the dosage of chrX, chrY and chrM: reads "
    "per base on the sequence divided by reads per base on the autosomes'\n"
    "# plot_type: 'generalstats'\n"
    "# pconfig:\n"
    "#     - reads:\n"
    "#         title: 'Reads'\n"
    "#         description: 'Reads on the reference sequences, each once (samtools view -c "
    "with the filters counted with)'\n"
    "#         format: '{:,.0f}'\n"
    "#         scale: 'Blues'\n"
    "#     - chrX_dosage:\n"
    "#         title: 'chrX'\n"
    "#         description: 'chrX dosage: reads per base on chrX / on the autosomes (about 1 "
    "in XX, 0.5 in XY)'\n"
    "#         format: '{:,.3f}'\n"
    "#         min: 0\n"
    "#     - chrY_dosage:\n"
    "#         title: 'chrY'\n"
    "#         description: 'chrY dosage: reads per base on chrY / on the autosomes (about 0 "
    "in XX)'\n"
    "#         format: '{:,.3f}'\n"
    "#         min: 0\n"
    "#     - chrM_dosage:\n"
    "#         title: 'chrM'\n"
    "#         description: 'chrM dosage: reads per base on chrM / on the autosomes (half "
    "the mitochondrial copies per cell)'\n"
    "#         format: '{:,.1f}'\n"
    "#         min: 0\n"
    "Sample\treads\tchrX_dosage\tchrY_dosage\tchrM_dosage\n";

/* A dosage cell: the number, or nothing. */
static int put_dosage(double d, kstring_t *out)
{
    return isnan(d) ? kputc('\t', out) : ksprintf(out, "\t%.4f", d);
}

int multiqc_table(const summary_t *samples, int n, kstring_t *out)
{
    int bad = kputs(TABLE_HEADER, out) < 0;
    for (int i = 0; i < n; i++) {
        const summary_t *s = &samples[i];
        bad |= ksprintf(out, "%s\t%" PRIu64, s->name, s->reads) < 0;
        bad |= put_dosage(s->x, out) < 0 || put_dosage(s->y, out) < 0 ||
               put_dosage(s->m, out) < 0 || kputc('\n', out) < 0;
    }
    return bad ? rc_fail(RC_EINTERNAL, "out of memory") : 0;
}
