/* cmd_count.c -- `regcount count`: count a local BAM or CRAM per region. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alnfile.h"
#include "commands.h"
#include "countfile.h"
#include "fdio.h"
#include "filter.h"
#include "idxcount.h"
#include "log.h"
#include "opt.h"
#include "rc.h"
#include "regions.h"
#include "scan.h"

typedef struct {
    const char *output; /* NULL: stdout */
    const char *tsv;    /* the table, or NULL */
    const char *bed;    /* -b: the regions, or NULL */
    const char *bin;    /* --bin: the bin size as given, or NULL */
    const char *flags[4]; /* -q, -f, -F, -G as given, or NULL */
    const char *reference; /* -T: a CRAM's reference, or NULL */
    int workers;
    double timeout;
    int from_index; /* --method index */
    int help;       /* -h: print the usage and stop */
    const char *bam, *bai;
} count_args_t;

enum { OPT_BIN = 256, OPT_TSV, OPT_QUIET };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: regcount count [options] FILE [INDEX]\n"
            "\n"
            "Counts the reads of a coordinate-sorted BAM or CRAM per region, exactly as\n"
            "`samtools view -c [filters] FILE REGION` counts them, and writes\n"
            "  Region <label>: <count>    one line per region, in order\n"
            "  Total reads: <sum of the lines>\n"
            "The regions are the reference sequences (@SQ lines, in header order) unless\n"
            "-b or --bin says otherwise. A read counts in every region its span meets.\n"
            "\n"
            "Methods:\n"
            "  scan   read every record. With an index (given, or found next to the file:\n"
            "         FILE.bai, FILE.csi, FILE.crai, or with .bam/.cram replaced) the file is\n"
            "         split into parts of equal compressed size counted by parallel worker\n"
            "         processes; without one it is read in one pass with several threads.\n"
            "  index  BAM: take the per-reference counts the index holds (samtools writes\n"
            "         them) and read only the first records of each reference sequence, to\n"
            "         leave out the ones samtools does not count. CRAM: read the container\n"
            "         headers the CRAI points at, which hold their record counts, and decode\n"
            "         only the containers that hold several references or such records.\n"
            "         As exact, and about instant. Whole reference sequences, no filter.\n"
            "\n"
            "Regions:\n"
            "  -b, --regions FILE   the intervals of a BED file (plain or gzip): chrom, start,\n"
            "                       end, and a name in a 4th column, in the file's order\n"
            "      --bin SIZE       bins of SIZE bases tiling every reference sequence\n"
            "\n"
            "Filters (samtools view's; FLAG: decimal, 0x-hex or names like UNMAP,DUP):\n"
            "  -q, --min-MQ INT     only reads with MAPQ at least INT [0]\n"
            "  -f, --require-flags FLAG  only reads with all of FLAG set [0]\n"
            "  -F, --excl-flags FLAG     only reads with none of FLAG set [0]\n"
            "  -G FLAG              leave out reads with all of FLAG set [0]\n"
            "\n"
            "Options:\n"
            "  -m, --method M       scan or index [scan]\n"
            "  -T, --reference FASTA  a CRAM's reference (with its .fai), for the rare CRAM\n"
            "                       htslib cannot decode without it; never fetched from the\n"
            "                       network [none]\n"
            "  -o, --output FILE    write the count file to FILE [standard output]\n"
            "      --tsv FILE       also write the counts as a table (#chrom start end name\n"
            "                       count, BED coordinates) to FILE\n"
            "  -j, --jobs N         worker processes [online cores: %d]\n"
            "  -t, --timeout SECS   fail if counting takes longer [0: no limit]\n"
            "      --quiet          no progress lines on stderr\n"
            "  -h, --help           this help\n",
            opt_online_cores());
}

/* Fill a from the command line. Returns 0, or RC_EUSAGE with the message
 * recorded ("" when the usage says it all). */
static int parse_args(int argc, char **argv, count_args_t *a)
{
    static const struct option longopts[] = {
        {"method", required_argument, NULL, 'm'},     {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},       {"timeout", required_argument, NULL, 't'},
        {"regions", required_argument, NULL, 'b'},    {"bin", required_argument, NULL, OPT_BIN},
        {"min-MQ", required_argument, NULL, 'q'},     {"require-flags", required_argument, NULL, 'f'},
        {"excl-flags", required_argument, NULL, 'F'}, {"tsv", required_argument, NULL, OPT_TSV},
        {"quiet", no_argument, NULL, OPT_QUIET},      {"help", no_argument, NULL, 'h'},
        {"reference", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0}};
    *a = (count_args_t){.workers = opt_online_cores()};
    int c, rc = 0;
    long long n;
    while (rc == 0 && (c = getopt_long(argc, argv, "m:o:j:t:b:q:f:F:G:T:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "scan") != 0 && strcmp(optarg, "index") != 0)
                rc = rc_fail(RC_EUSAGE, "--method is scan or index, not '%.40s'", optarg);
            a->from_index = strcmp(optarg, "index") == 0;
            break;
        case 'o': a->output = optarg; break;
        case OPT_TSV: a->tsv = optarg; break;
        case 'b': a->bed = optarg; break;
        case OPT_BIN: a->bin = optarg; break;
        case 'q': a->flags[0] = optarg; break;
        case 'f': a->flags[1] = optarg; break;
        case 'F': a->flags[2] = optarg; break;
        case 'G': a->flags[3] = optarg; break;
        case 'T': a->reference = optarg; break;
        case 'j':
            if ((rc = opt_int("-j", optarg, 1, 1024, &n)) == 0)
                a->workers = (int)n;
            break;
        case 't': rc = opt_seconds("--timeout", optarg, 1e9, &a->timeout); break;
        case OPT_QUIET: log_set_quiet(1); break;
        case 'h': a->help = 1; return 0;
        default: return rc_fail(RC_EUSAGE, "%s", "");
        }
    }
    if (rc == 0 && (argc - optind < 1 || argc - optind > 2))
        return rc_fail(RC_EUSAGE, "%s", "");
    if (rc == 0 && a->bed && a->bin)
        return rc_fail(RC_EUSAGE, "-b and --bin: count a BED file's regions or bins, not both");
    a->bam = argv[optind];
    a->bai = argc - optind == 2 ? argv[optind + 1] : NULL;
    return rc;
}

/* What to count, from the options: the regions (for in's header) and the
 * filter. Bad values are the input's fault (exit 3), as in the job. */
static int make_spec(const count_args_t *a, const alnfile_t *in, regions_t *r, filter_t *f)
{
    static const char *const names[] = {"-q", "-f", "-F", "-G"};
    uint16_t *flag[] = {NULL, &f->require, &f->exclude, &f->exclude_all};
    int rc = 0;
    *f = (filter_t){0};
    for (int i = 0; rc == 0 && i < 4; i++)
        if (a->flags[i])
            rc = i == 0 ? filter_parse_mapq(names[i], a->flags[i], &f->min_mapq)
                        : filter_parse_flag(names[i], a->flags[i], flag[i]);
    long long size;
    if (rc == 0 && a->bin)
        rc = opt_int("--bin", a->bin, 1, 1LL << 40, &size) != 0
                 ? rc_rekind(RC_EINPUT)
                 : regions_bins(r, in->hdr, size, "--bin");
    else if (rc == 0 && a->bed)
        rc = regions_load_bed(r, in->hdr, a->bed);
    else if (rc == 0)
        rc = regions_whole(r, in->hdr);
    if (rc == 0 && a->from_index && (!regions_whole_refs(r) || !filter_none(f)))
        rc = rc_fail(RC_EINPUT, "the index method counts whole reference sequences with no "
                     "filter; count regions, bins or filtered reads with the scan method");
    return rc;
}

/* One output (the count file, or the table): to path, written as it is
 * formatted into a temporary file that *f commits later; without a path,
 * formatted whole into out->buf, for standard output. */
static int format_one(const char *path, int table, const regions_t *r, const uint64_t *counts,
                      int threads, fdio_file_t *f, countfile_out_t *out)
{
    int rc = 0;
    *out = (countfile_out_t){.threads = threads};
    if (path && (rc = fdio_begin(f, path)) == 0)
        *out = (countfile_out_t){.file = f, .threads = threads};
    if (rc == 0)
        rc = table ? countfile_format_tsv(r, counts, out) : countfile_format(r, counts, out, NULL);
    return rc;
}

/* The count file (and the table) for the counts of total. Both are written
 * in full before either takes its name, and the table goes again when the
 * count file cannot be written: nothing partial is left. */
static int publish(const count_args_t *a, const regions_t *r, const tally_t *total)
{
    fdio_file_t text_file = {.fd = -1}, tsv_file = {.fd = -1};
    countfile_out_t text, tsv = {0};
    int rc = a->tsv ? format_one(a->tsv, 1, r, total->counts, a->workers, &tsv_file, &tsv) : 0;
    int tsv_committed = 0;
    if (rc == 0)
        rc = format_one(a->output, 0, r, total->counts, a->workers, &text_file, &text);
    if (rc == 0 && a->tsv && (rc = fdio_commit(&tsv_file)) == 0)
        tsv_committed = 1;
    if (rc == 0 && a->output)
        rc = fdio_commit(&text_file);
    else if (rc == 0 && (fwrite(text.buf.s, 1, text.buf.l, stdout) != text.buf.l || fflush(stdout)))
        rc = rc_fail_errno(RC_EINTERNAL, "cannot write the count file to standard output");
    if (rc != 0) {
        fdio_abort(&tsv_file);
        fdio_abort(&text_file);
        if (tsv_committed)
            unlink(a->tsv);
    }
    free(text.buf.s);
    free(tsv.buf.s);
    return rc;
}

static int run(const count_args_t *a)
{
    double start = log_now();
    alnfile_t in;
    int rc = alnfile_open(&in, a->bam, a->bai, ALNFILE_FIND_INDEX);
    if (rc != 0)
        return rc;
    regions_t r = {0};
    filter_t f;
    tally_t total;
    rc = make_spec(a, &in, &r, &f);
    scan_opts_t so = {.regions = &r, .filter = filter_none(&f) ? NULL : &f,
                      .workers = a->workers, .timeout = a->timeout,
                      .reference = a->reference};
    if (rc == 0 && a->from_index && !alnfile_indexed(&in))
        rc = rc_fail(RC_EINPUT, "%s: the index method needs the %s's index", a->bam,
                     alnfile_kind_name(&in));
    else if (rc == 0 && a->from_index)
        rc = idxcount_run(&in, NULL, NULL, &total);
    else if (rc == 0)
        rc = scan_file(&in, &so, &total);
    if (rc == 0) {
        rc = publish(a, &r, &total);
        char b[16];
        if (rc == 0)
            log_info("counted %s (%s, %llu records read) in %.1f s", a->bam, log_bytes(in.size, b),
                     (unsigned long long)total.n_records, log_now() - start);
        tally_free(&total);
    }
    regions_free(&r);
    alnfile_close(&in);
    return rc;
}

int main_count(int argc, char **argv)
{
    count_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 0 && a.help) {
        usage(stdout);
        return EXIT_OK;
    }
    if (rc != 0 && !*rc_message()) {
        usage(stderr);
        return rc_exit_status(rc);
    }
    if (rc == 0)
        rc = run(&a);
    if (rc != 0)
        fprintf(stderr, "regcount%s: %s\n", rc == RC_EUSAGE ? " count" : "", rc_message());
    return rc_exit_status(rc);
}
