/* scan.h -- count a BAM's or CRAM's reads per region by reading every
 * record, in parallel when there is an index.
 *
 * With an index the file is planned into parts of equal compressed size
 * (plan.h), one forked worker counts each part (workers.h, count.h), and
 * the parent adds the parts up and checks them: the parts must follow each
 * other in coordinate order, and in a BAM every reference sequence must
 * hold as many records as the index says. A CRAM part is handed to htslib
 * through cramfeed.h, which checks its containers against the CRAI and
 * every CRC; the worker then checks the records htslib decoded against
 * what the container headers announce. Without an index one sequential
 * pass with htslib's threads counts the file.
 */
#ifndef RC_SCAN_H
#define RC_SCAN_H

#include <htslib/bgzf.h>
#include <htslib/hfile.h>

#include "alnfile.h"
#include "count.h"
#include "plan.h"

/* An open stream of a file's bytes: for a BAM, positioned at a record;
 * for a CRAM, the byte ranges asked for. */
typedef struct {
    BGZF *fp;       /* BAM */
    int64_t base;   /* BAM: file offset of the stream's first byte: block
                       addresses the BGZF reports are relative to it */
    int fd;         /* CRAM: the ranges' bytes one after the other, or ... */
    int fd_is_file; /* ... the file itself, to read the ranges where they are */
    void *priv;     /* the source's own state */
} scan_input_t;

/* Where the workers read the BAM's bytes from: the local file by default,
 * or something else that can deliver a byte range (a download URL). */
typedef struct scan_source {
    /* Open a stream whose next record starts at virtual offset beg and
     * which holds at least the bytes up to virtual offset end (PLAN_EOF:
     * the end of the file). Returns 0 or an error kind. Runs in the worker. */
    int (*open)(const struct scan_source *src, uint64_t beg, uint64_t end, scan_input_t *in);
    /* CRAM: open the bytes of ranges[0..n-1] ([beg, end) file offsets) as
     * in->fd. Returns 0 or an error kind. Runs in the worker. */
    int (*open_ranges)(const struct scan_source *src, const int64_t (*ranges)[2], int n,
                       scan_input_t *in);
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
    const char *reference;       /* CRAM: a FASTA to decode with, or NULL */
    int with_unplaced;           /* read the unplaced reads at the end too
                                    (idxstats counts them); else the index
                                    says where they start and they are not */
} scan_opts_t;

/* Count in's records into total (initialised here for opts->regions;
 * tally_free it). Returns 0 or an error kind with the message recorded. */
int scan_file(const alnfile_t *in, const scan_opts_t *opts, tally_t *total);

/* Count the records in [beg, end), a range of virtual offsets at record
 * starts (a subjob's part of a plan), split among opts->workers workers.
 * The parts are checked for order; the sum cannot be checked against the
 * index until every range is added up (scan_check_index). */
int scan_range(const alnfile_t *in, uint64_t beg, uint64_t end, const scan_opts_t *opts,
               tally_t *total);

/* The parts, in file order, must follow each other in coordinate order.
 * Returns 0 or RC_EINPUT. */
int scan_check_order(const alnfile_t *in, const tally_t *parts, int n);

/* Every reference sequence must hold as many records as the index says
 * (where it says: an index not written by samtools may hold no counts);
 * with read_unplaced, the unplaced reads too. Nothing to check for a CRAM
 * (its CRAI has no counts; cramcount.h checks each part). Returns 0 or
 * RC_EINPUT. */
int scan_check_index(const alnfile_t *in, const tally_t *total, int read_unplaced);

#endif
