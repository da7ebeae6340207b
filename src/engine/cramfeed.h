/* cramfeed.h -- some containers of a CRAM, handed to htslib as a whole CRAM
 * through a pipe, every CRC32 checked on the way.
 *
 * A worker counting a part of a CRAM gives htslib the file's header, the
 * part's containers and the end-of-file container, one after the other:
 * htslib then reads the part as if it were the file, and stops exactly at
 * its end. A thread reads the bytes (from the file at their offsets, or
 * from a stream that delivers the ranges in order), walks them container by
 * container and writes each to the pipe once it is checked: the CRC32 of
 * its header and of every block (CRAM 3; htslib checks only the blocks it
 * decompresses, and counting needs few), and, with the index, that it
 * starts where the index says a container starts and holds the reference
 * the index gives it. It also adds up the records the container headers
 * announce, which the worker compares with the records htslib decoded.
 */
#ifndef RC_CRAMFEED_H
#define RC_CRAMFEED_H

#include <stdint.h>

#include "crai.h"

enum { CRAMFEED_HEADER, CRAMFEED_PART, CRAMFEED_EOF, CRAMFEED_RANGES };

typedef struct {
    const char *path;  /* for messages */
    int fd;            /* where the bytes come from (not closed here) */
    int fd_is_file;    /* 1: fd is the file, read the ranges at their offsets;
                          0: fd delivers the ranges one after the other */
    int major;         /* the CRAM's major version */
    /* [beg, end) of the file definition and header container, of the part's
     * containers, and of the end-of-file container */
    int64_t ranges[CRAMFEED_RANGES][2];
    const crai_t *crai;     /* where the part's containers start; NULL: unchecked */
    int n_targets;
    /* Filled by the feed (n_targets entries, zeroed by the caller): the
     * records of the part's containers that hold one reference only, by
     * reference. May be NULL. */
    uint64_t *single_ref_records;
} cramfeed_spec_t;

typedef struct cramfeed cramfeed_t;

/* What the feed saw, valid after cramfeed_close. */
typedef struct {
    int64_t containers;   /* of the part */
    int64_t records;      /* the sum of their headers' record counts */
    int64_t failed_at;    /* the container that could not be read or checked, or -1 */
} cramfeed_result_t;

/* Start feeding spec's ranges into a pipe whose read end comes back in
 * *read_fd (the caller reads and closes it). spec must outlive the feed.
 * Returns 0 and *feed, or an error kind. */
int cramfeed_open(const cramfeed_spec_t *spec, int *read_fd, cramfeed_t **feed);

/* Stop before closing the read end early (the feed then stops quietly). */
void cramfeed_stop(cramfeed_t *feed);

/* Wait for the feed, fill *res and free feed. Returns 0, or the kind of the
 * feed's failure (a corrupt container, a foreign index, a read error: it
 * explains why htslib saw the data end early). */
int cramfeed_close(cramfeed_t *feed, cramfeed_result_t *res);

#endif
