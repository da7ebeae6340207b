/* error.c -- the message of the error being reported; see error.h. */
#include "rc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Long enough for a worker's stderr excerpt plus its part description. */
#define RC_MESSAGE_MAX 16384

/* Per thread: a fetch thread's failure must not overwrite the counting
 * thread's message; whoever joins the thread copies its message over. */
static _Thread_local struct {
    int kind;
    char message[RC_MESSAGE_MAX];
} last_error;

static int record(int kind, const char *suffix, const char *fmt, va_list ap)
{
    int n = vsnprintf(last_error.message, sizeof last_error.message, fmt, ap);
    if (suffix && n >= 0 && (size_t)n < sizeof last_error.message)
        snprintf(last_error.message + n, sizeof last_error.message - n, ": %s", suffix);
    last_error.kind = kind;
    return kind;
}

int rc_fail(int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(kind, NULL, fmt, ap);
    va_end(ap);
    return kind;
}

int rc_fail_errno(int kind, const char *fmt, ...)
{
    int full = errno == ENOSPC || errno == EDQUOT;
    char reason[256];
    snprintf(reason, sizeof reason, "%s%s", strerror(errno),
             full ? " (the disk is full: free some space, or choose an instance type with more "
                    "storage)" : "");
    if (full)
        kind = RC_EINPUT;
    va_list ap;
    va_start(ap, fmt);
    record(kind, reason, fmt, ap);
    va_end(ap);
    return kind;
}

int rc_context(const char *fmt, ...)
{
    char prefix[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix - 2, fmt, ap);
    va_end(ap);
    if (n < 0)
        return last_error.kind;
    if ((size_t)n > sizeof prefix - 3)
        n = sizeof prefix - 3;
    memcpy(prefix + n, ": ", 2);
    n += 2;
    /* Shift the old message right, dropping its end if it no longer fits. */
    char *m = last_error.message;
    size_t keep = strlen(m);
    if (keep > sizeof last_error.message - 1 - n)
        keep = sizeof last_error.message - 1 - n;
    memmove(m + n, m, keep);
    memcpy(m, prefix, n);
    m[n + keep] = '\0';
    if (last_error.kind == RC_OK)
        last_error.kind = RC_EINTERNAL;
    return last_error.kind;
}

int rc_rekind(int kind)
{
    last_error.kind = kind;
    return kind;
}

const char *rc_message(void) { return last_error.message; }
int rc_kind(void) { return last_error.kind; }

void rc_clear(void)
{
    last_error.kind = RC_OK;
    last_error.message[0] = '\0';
}

int rc_exit_status(int kind)
{
    switch (kind) {
    case RC_OK: return EXIT_OK;
    case RC_EINPUT: return EXIT_INPUT;
    case RC_EUSAGE: return EXIT_USAGE;
    default: return EXIT_INTERNAL;
    }
}
