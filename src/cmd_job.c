/* cmd_job.c -- `regcount job <entry point>`: run as a DNAnexus job. */
#include <stdio.h>

#include "commands.h"
#include "error.h"

int main_job(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "regcount job: not available yet\n");
    return EXIT_USAGE;
}
