/* cmd_count.c -- `regcount count`: count a local BAM per reference sequence. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bamfile.h"
#include "commands.h"
#include "countfile.h"
#include "fdio.h"
#include "idxcount.h"
#include "log.h"
#include "opt.h"
#include "rc.h"
#include "scan.h"

typedef struct {
    const char *output; /* NULL: stdout */
    int workers;
    double timeout;
    int from_index; /* --method index */
    int help;       /* -h: print the usage and stop */
    const char *bam, *bai;
} count_args_t;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: regcount count [options] BAM [BAI]\n"
            "\n"
            "Counts the reads of a coordinate-sorted BAM per reference sequence (@SQ line),\n"
            "exactly as `samtools view -c BAM '{name}'` counts them, and writes\n"
            "  Region <name>: <count>     one line per @SQ, in header order\n"
            "  Total reads: <sum>\n"
            "\n"
            "Methods:\n"
            "  scan   read every record. With an index (BAI given, or BAM.bai / BAM.csi\n"
            "         found) the file is split into parts of equal compressed size counted\n"
            "         by parallel worker processes; without one it is read in one pass with\n"
            "         multi-threaded decompression.\n"
            "  index  take the per-reference counts the index holds (samtools writes them)\n"
            "         and read only the first records of each reference sequence, to leave\n"
            "         out the ones samtools does not count; as exact, and about instant.\n"
            "\n"
            "Options:\n"
            "  -m, --method M       scan or index [scan]\n"
            "  -o, --output FILE    write the count file to FILE [standard output]\n"
            "  -j, --jobs N         worker processes [online cores: %d]\n"
            "  -t, --timeout SECS   fail if counting takes longer [0: no limit]\n"
            "  -q, --quiet          no progress lines on stderr\n"
            "  -h, --help           this help\n",
            opt_online_cores());
}

/* Fill a from the command line. Returns 0, or RC_EUSAGE with the message
 * recorded ("" when the usage says it all). */
static int parse_args(int argc, char **argv, count_args_t *a)
{
    static const struct option longopts[] = {
        {"method", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'}, {"jobs", required_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    *a = (count_args_t){.workers = opt_online_cores()};
    int c, rc = 0;
    long long n;
    while (rc == 0 && (c = getopt_long(argc, argv, "m:o:j:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (strcmp(optarg, "scan") != 0 && strcmp(optarg, "index") != 0)
                rc = rc_fail(RC_EUSAGE, "--method is scan or index, not '%.40s'", optarg);
            a->from_index = strcmp(optarg, "index") == 0;
            break;
        case 'o': a->output = optarg; break;
        case 'j':
            if ((rc = opt_int("-j", optarg, 1, 1024, &n)) == 0)
                a->workers = (int)n;
            break;
        case 't': rc = opt_seconds("--timeout", optarg, 1e9, &a->timeout); break;
        case 'q': log_set_quiet(1); break;
        case 'h': a->help = 1; return 0;
        default: return rc_fail(RC_EUSAGE, "%s", "");
        }
    }
    if (rc == 0 && (argc - optind < 1 || argc - optind > 2))
        return rc_fail(RC_EUSAGE, "%s", "");
    a->bam = argv[optind];
    a->bai = argc - optind == 2 ? argv[optind + 1] : NULL;
    return rc;
}

static int write_output(const char *path, const kstring_t *text)
{
    if (path)
        return fdio_save(path, text->s, text->l);
    if (fwrite(text->s, 1, text->l, stdout) != text->l || fflush(stdout) != 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot write the count file to standard output");
    return 0;
}

static int run(const count_args_t *a)
{
    double start = log_now();
    bamfile_t in;
    int rc = bamfile_open(&in, a->bam, a->bai, BAMFILE_FIND_INDEX);
    if (rc != 0)
        return rc;
    scan_opts_t so = {.workers = a->workers, .timeout = a->timeout};
    tally_t total;
    kstring_t text = {0};
    if (a->from_index && !in.idx)
        rc = rc_fail(RC_EINPUT, "%s: the index method needs the BAM's index", a->bam);
    else if (a->from_index)
        rc = idxcount_run(&in, NULL, NULL, &total);
    else
        rc = scan_bam(&in, &so, &total);
    if (rc == 0) {
        rc = countfile_format_refs(in.hdr, total.counts, &text, NULL);
        if (rc == 0)
            rc = write_output(a->output, &text);
        char b[16];
        if (rc == 0)
            log_info("counted %s (%s, %llu records read) in %.1f s", a->bam, log_bytes(in.size, b),
                     (unsigned long long)total.n_records, log_now() - start);
        tally_free(&total);
    }
    free(text.s);
    bamfile_close(&in);
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
