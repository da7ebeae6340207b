/* opt.c -- numbers from the command line and the environment; see opt.h. */
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "rc.h"

int opt_int(const char *what, const char *text, long long min, long long max, long long *value)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max)
        return rc_fail(RC_EUSAGE, "%s takes a whole number from %lld to %lld, not '%.40s'", what,
                       min, max, text);
    *value = v;
    return 0;
}

int opt_seconds(const char *what, const char *text, double max, double *value)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v) || v < 0 || v > max)
        return rc_fail(RC_EUSAGE, "%s takes a number of seconds from 0 to %.0f, not '%.40s'",
                       what, max, text);
    *value = v;
    return 0;
}

int opt_env_int(const char *name, long long def, long long min, long long max, long long *value)
{
    const char *v = getenv(name);
    *value = def;
    return v && *v ? opt_int(name, v, min, max, value) : 0;
}

int opt_env_seconds(const char *name, double def, double max, double *value)
{
    const char *v = getenv(name);
    *value = def;
    return v && *v ? opt_seconds(name, v, max, value) : 0;
}

int opt_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
