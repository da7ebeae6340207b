/* count_run.h -- `regcount count` once its options are read: count each
 * file given, one after the other, and write what was asked for.
 *
 * One file without --outdir writes its count file to standard output or
 * -o, and its table to --tsv, as it always did. Several files (or
 * --outdir) write per sample <sample>_count.txt and <sample>.idxstats, and
 * MultiQC's regcount_mqc.tsv, into the output directory. Either way
 * --matrix and --report write the matrix and the report of all samples.
 * A file that cannot be counted does not stop the others from being
 * tried, so that one run names every bad file; then nothing is written.
 */
#ifndef RC_COUNT_RUN_H
#define RC_COUNT_RUN_H

typedef struct {
    const char *output;    /* -o: the count file of one file; NULL: stdout */
    const char *tsv;       /* --tsv: its table, or NULL */
    const char *outdir;    /* --outdir, or NULL (several files: ".") */
    const char *matrix;    /* --matrix, or NULL */
    const char *report;    /* --report, or NULL */
    const char *bed;       /* -b: the regions, or NULL */
    const char *bin;       /* --bin: the bin size as given, or NULL */
    const char *flags[4];  /* -q, -f, -F, -G as given, or NULL */
    const char *reference; /* -T: a CRAM's reference, or NULL */
    int workers;
    double timeout;
    int from_index;        /* --method index */
    char **files;          /* the BAM or CRAM files */
    int n_files;
    const char *index;     /* FILE INDEX: the one file's index, or NULL */
} count_args_t;

/* Count and write. Returns 0 or an error kind with the message recorded;
 * every file that could not be counted has been reported on stderr. */
int count_run(const count_args_t *a);

#endif
