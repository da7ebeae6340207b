/* rc.h -- return codes, and the one place for the message of the error
 * being reported.
 *
 * Functions return 0 on success or a negative error kind; the function that
 * detects a problem records the message here once, with the file or request
 * at fault, and every caller above it passes the code up (never a new
 * literal kind: the job's AppError or AppInternalError is chosen by it).
 * The top level (the command line or the job) reports rc_message() in its
 * own way. Reading functions return 1 for an item, 0 at the end, and an
 * error kind otherwise.
 *
 * The message belongs to the thread: a forked worker has its own copy, and
 * so does each of its fetch threads (workq.h hands a thread's failure to
 * the thread that joins it).
 */
#ifndef RC_ERROR_H
#define RC_ERROR_H

#include <stddef.h>

/* Error kinds, as returned by functions. */
enum {
    RC_OK = 0,
    RC_EINPUT = -1,    /* the user's input is at fault (AppError) */
    RC_EINTERNAL = -2, /* our fault or the platform's (AppInternalError) */
    RC_EUSAGE = -3,    /* a bad command line or setting (exit 1; in a job,
                          AppInternalError: the applet set it) */
};

/* Exit statuses the program and its workers use. */
enum {
    EXIT_OK = 0,
    EXIT_INPUT = 3,    /* bad input: the message says what to fix */
    EXIT_INTERNAL = 4, /* everything else */
    EXIT_USAGE = 1,    /* bad command line */
};

/* Record a message for an error of the given kind and return the kind.
 * A later call replaces an earlier message. */
int rc_fail(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As rc_fail, with ": <strerror(errno)>" appended. A full disk (ENOSPC,
 * EDQUOT) is the user's to fix whatever kind is given: RC_EINPUT, with a
 * hint. (Predicted before a download, it is RC_EINPUT too.) */
int rc_fail_errno(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the recorded message with more context ("<context>: <message>")
 * and return the recorded kind. Use it where a caller knows which file or
 * part the failure belongs to and the callee did not. */
int rc_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Change the kind of the recorded error (the message stays); returns it.
 * For a caller that knows better whose fault it is. */
int rc_rekind(int kind);

/* The recorded message ("" if none) and kind (RC_OK if none). */
const char *rc_message(void);
int rc_kind(void);
void rc_clear(void);

/* The exit status for an error kind. */
int rc_exit_status(int kind);

#endif
