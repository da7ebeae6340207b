/* cmd_count.c -- `regcount count`: count local BAM or CRAM files per
 * region; its options and usage (count_run.c does the counting). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alnfile.h"
#include "commands.h"
#include "count_run.h"
#include "log.h"
#include "opt.h"
#include "rc.h"

enum { OPT_BIN = 256, OPT_TSV, OPT_QUIET, OPT_OUTDIR, OPT_MATRIX, OPT_REPORT };

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: regcount count [options] FILE [INDEX]\n"
            "       regcount count [options] FILE FILE...\n"
            "\n"
            "Counts the reads of a coordinate-sorted BAM or CRAM per region, exactly as\n"
            "`samtools view -c [filters] FILE REGION` counts them, and writes\n"
            "  Region <label>: <count>    one line per region, in order\n"
            "  Total reads: <sum of the lines>\n"
            "The regions are the reference sequences (@SQ lines, in header order) unless\n"
            "-b or --bin says otherwise. A read counts in every region its span meets.\n"
            "\n"
            "Several files (BAM or CRAM, each with its index found next to it) must be on\n"
            "the same reference; each is a sample, named by the SM of its read groups when\n"
            "they give one, else by its file name. Their count files go to --outdir.\n"
            "(A second file that is not a BAM or CRAM is the first one's INDEX.)\n"
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
            "      --outdir DIR     write <sample>_count.txt, <sample>.idxstats and MultiQC's\n"
            "                       regcount_mqc.tsv per sample into DIR [several files: .]\n"
            "      --matrix FILE    write the counts of every sample as one table, a column\n"
            "                       per sample (#chrom start end name <sample>...), to FILE\n"
            "      --report FILE    write an HTML report (dosage per sequence, chrX and chrY,\n"
            "                       the profile of bins) to FILE\n"
            "  -j, --jobs N         worker processes [online cores: %d]\n"
            "  -t, --timeout SECS   fail if counting takes longer [0: no limit]\n"
            "      --quiet          no progress lines on stderr\n"
            "  -h, --help           this help\n",
            opt_online_cores());
}

/* FILE INDEX, or several files: a second file that is not a BAM or CRAM
 * (by its first bytes; or that cannot be read) is the first file's index. */
static int is_index(const char *path) { return !alnfile_is_alignments(path); }

/* Fill a from the command line. Returns 0, or RC_EUSAGE with the message
 * recorded ("" when the usage says it all). *help is set for -h. */
static int parse_args(int argc, char **argv, count_args_t *a, int *help)
{
    static const struct option longopts[] = {
        {"method", required_argument, NULL, 'm'},     {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},       {"timeout", required_argument, NULL, 't'},
        {"regions", required_argument, NULL, 'b'},    {"bin", required_argument, NULL, OPT_BIN},
        {"min-MQ", required_argument, NULL, 'q'},     {"require-flags", required_argument, NULL, 'f'},
        {"excl-flags", required_argument, NULL, 'F'}, {"tsv", required_argument, NULL, OPT_TSV},
        {"quiet", no_argument, NULL, OPT_QUIET},      {"help", no_argument, NULL, 'h'},
        {"reference", required_argument, NULL, 'T'},  {"outdir", required_argument, NULL, OPT_OUTDIR},
        {"matrix", required_argument, NULL, OPT_MATRIX},
        {"report", required_argument, NULL, OPT_REPORT},
        {NULL, 0, NULL, 0}};
    *a = (count_args_t){.workers = opt_online_cores()};
    *help = 0;
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
        case OPT_OUTDIR: a->outdir = optarg; break;
        case OPT_MATRIX: a->matrix = optarg; break;
        case OPT_REPORT: a->report = optarg; break;
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
        case 'h': *help = 1; return 0;
        default: return rc_fail(RC_EUSAGE, "%s", "");
        }
    }
    if (rc == 0 && argc - optind < 1)
        return rc_fail(RC_EUSAGE, "%s", "");
    if (rc == 0 && a->bed && a->bin)
        return rc_fail(RC_EUSAGE, "-b and --bin: count a BED file's regions or bins, not both");
    a->files = argv + optind;
    a->n_files = argc - optind;
    if (a->n_files == 2 && is_index(a->files[1])) {
        a->index = a->files[1];
        a->n_files = 1;
    }
    if (rc == 0 && (a->output || a->tsv) && (a->n_files > 1 || a->outdir))
        return rc_fail(RC_EUSAGE, "-o and --tsv write the count file of one file; with several "
                       "files (or --outdir) the count files go to the output directory, and "
                       "--matrix writes their table");
    return rc;
}

int main_count(int argc, char **argv)
{
    count_args_t a;
    int help;
    int rc = parse_args(argc, argv, &a, &help);
    if (rc == 0 && help) {
        usage(stdout);
        return EXIT_OK;
    }
    if (rc != 0 && !*rc_message()) {
        usage(stderr);
        return rc_exit_status(rc);
    }
    if (rc == 0)
        rc = count_run(&a);
    if (rc != 0)
        fprintf(stderr, "regcount%s: %s\n", rc == RC_EUSAGE ? " count" : "", rc_message());
    return rc_exit_status(rc);
}
