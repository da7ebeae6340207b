/* main.c -- regcount: count the reads of a coordinate-sorted BAM per
 * reference sequence, in parallel, as a command or as a DNAnexus job. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alnfile.h"
#include "commands.h"
#include "rc.h"
#include "version.h"

static void usage(FILE *out)
{
    fprintf(out,
            "regcount %s: count the reads of a coordinate-sorted BAM per reference sequence\n"
            "\n"
            "Usage: regcount <command> [options]\n"
            "\n"
            "Commands:\n"
            "  count   count reads per reference sequence of a local BAM (see regcount count --help)\n"
            "  plan    show how count would split a BAM into parts (see regcount plan --help)\n"
            "  job     run a DNAnexus job entry point (see regcount job --help)\n"
            "\n"
            "Options:\n"
            "  -h, --help     this help\n"
            "  --version      print the version\n",
            REGCOUNT_VERSION);
}

int main(int argc, char **argv)
{
    /* A closed pipe is an error to report (or, for a download thread, the
     * sign that the counting thread has all it needs), not a death. */
    signal(SIGPIPE, SIG_IGN);
    alnfile_no_reference_server();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "count") == 0)
        return main_count(argc - 1, argv + 1);
    if (strcmp(cmd, "job") == 0)
        return main_job(argc - 1, argv + 1);
    if (strcmp(cmd, "plan") == 0)
        return main_plan(argc - 1, argv + 1);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("regcount %s\n", REGCOUNT_VERSION);
        return EXIT_OK;
    }
    fprintf(stderr, "regcount: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
