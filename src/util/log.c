/* log.c -- progress lines; see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int quiet;

void log_set_quiet(int q) { quiet = q; }

void log_info(const char *fmt, ...)
{
    if (quiet)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write per line so that lines from several processes do not mix. */
    fprintf(stderr, "regcount: %s\n", line);
    fflush(stderr);
}

double log_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *log_bytes(uint64_t n, char buf[16])
{
    static const char *unit[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    snprintf(buf, 16, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return buf;
}
