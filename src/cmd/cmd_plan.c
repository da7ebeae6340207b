/* cmd_plan.c -- `regcount plan`: show how a BAM would be split into parts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "alnfile.h"
#include "commands.h"
#include "opt.h"
#include "plan.h"
#include "rc.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: regcount plan [options] BAM [BAI]\n"
            "\n"
            "Prints how `regcount count -j N` splits BAM into parts of equal compressed size,\n"
            "one line per part, then the balance: the largest part over the mean part.\n"
            "Needs the index (given, or BAM.bai / BAM.csi).\n"
            "\n"
            "Options:\n"
            "  -j, --jobs N   parts [online cores: %d]\n"
            "  -h, --help     this help\n",
            opt_online_cores());
}

int main_plan(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"jobs", required_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    long long n = opt_online_cores();
    int c;
    while ((c = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
        if (c == 'j' && opt_int("-j", optarg, 1, 100000, &n) != 0) {
            fprintf(stderr, "regcount plan: %s\n", rc_message());
            return EXIT_USAGE;
        }
        if (c != 'j') {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? EXIT_OK : EXIT_USAGE;
        }
    }
    if (argc - optind < 1 || argc - optind > 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    alnfile_t in;
    plan_t plan;
    int rc = alnfile_open(&in, argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL,
                            ALNFILE_FIND_INDEX);
    if (rc == 0 && !alnfile_indexed(&in))
        rc = rc_fail(RC_EINPUT, "%s has no index: without one there is nothing to split", in.path);
    if (rc == 0 && (rc = plan_make(&in, (int)n, 0, &plan)) == 0) {
        char desc[256];
        for (int i = 0; i < plan.n; i++)
            printf("%s (%lld bytes)\n", plan_describe(&plan, i, in.hdr, desc),
                   (long long)plan_part_bytes(&plan, i));
        printf("balance: %.3f (largest part / mean part, %d parts)\n", plan_balance(&plan), plan.n);
        plan_free(&plan);
    }
    if (rc == 0 || in.hdr)
        alnfile_close(&in);
    if (rc != 0)
        fprintf(stderr, "regcount: %s\n", rc_message());
    return rc_exit_status(rc);
}
