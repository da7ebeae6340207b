/* scan.h -- count a BAM's reads per reference sequence by reading every
 * record, in parallel when there is an index.
 *
 * With an index the file is planned into parts of equal compressed size
 * (plan.h), one forked worker counts each part (pool.h, count.h), and the
 * parent adds the parts up and checks the sum against the index: every
 * reference sequence must hold as many records as the index says, and the
 * parts must follow each other in coordinate order. Without an index one
 * sequential pass with multi-threaded BGZF decompression counts the file.
 */
#ifndef RC_SCAN_H
#define RC_SCAN_H

#include <htslib/bgzf.h>
#include <htslib/hfile.h>

#include "bamfile.h"
#include "count.h"
#include "plan.h"

/* An open stream of a BAM's bytes, positioned at a record. */
typedef struct {
    BGZF *fp;
    int64_t base; /* file offset of the stream's first byte: block addresses
                     the BGZF reports are relative to it */
    void *priv;   /* the source's own state */
} scan_input_t;

/* Where the workers read the BAM's bytes from: the local file by default,
 * or something else that can deliver a byte range (a download URL). */
typedef struct scan_source {
    /* Open a stream whose next record starts at virtual offset beg and
     * which holds at least the bytes up to virtual offset end (PLAN_EOF:
     * the end of the file). Returns 0 or an error kind. Runs in the worker. */
    int (*open)(const struct scan_source *src, uint64_t beg, uint64_t end, scan_input_t *in);
    /* Close what open opened. Returns 0 or an error kind: a transfer that
     * failed, which then explains why reading failed. */
    int (*close)(const struct scan_source *src, scan_input_t *in);
    /* When a part's data could not be read twice in a row near file offset
     * at: 0 if the file's stored bytes there are as they were uploaded (so
     * the file itself is corrupt), or an error kind (the transfer keeps
     * corrupting them). NULL for a local file, whose bytes are the file. */
    int (*verify)(const struct scan_source *src, int64_t at);
    const char *name; /* for messages: the file name */
    void *arg;
} scan_source_t;

/* Reading the local file at path. */
scan_source_t scan_local_source(const char *path);

typedef struct {
    const regions_t *regions;    /* what to count; NULL: whole reference sequences */
    const filter_t *filter;      /* which records; NULL: all */
    int workers;                 /* processes (with an index) or threads */
    double timeout;              /* seconds for all workers; 0 for none */
    double stall;                /* seconds a worker may go without
                                    progress before it counts as hung */
    const scan_source_t *source; /* NULL: the local file in->path */
} scan_opts_t;

/* Count in's records into total (initialised here for opts->regions;
 * tally_free it). Returns 0 or an error kind with the message recorded. */
int scan_bam(const bamfile_t *in, const scan_opts_t *opts, tally_t *total);

/* Count the records in [beg, end), a range of virtual offsets at record
 * starts (a subjob's part of a plan), split among opts->workers workers.
 * The parts are checked for order; the sum cannot be checked against the
 * index until every range is added up (scan_check_index). */
int scan_range(const bamfile_t *in, uint64_t beg, uint64_t end, const scan_opts_t *opts,
               tally_t *total);

/* The parts, in file order, must follow each other in coordinate order.
 * Returns 0 or RC_EINPUT. */
int scan_check_order(const bamfile_t *in, const tally_t *parts, int n);

/* Every reference sequence must hold as many records as the index says
 * (where it says: an index not written by samtools may hold no counts);
 * with read_unplaced, the unplaced reads too. Returns 0 or RC_EINPUT. */
int scan_check_index(const bamfile_t *in, const tally_t *total, int read_unplaced);

#endif
