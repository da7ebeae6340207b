/* test_opt.c -- numbers from the command line and the environment: all of
 * the text must be a number in range; anything else is RC_EUSAGE naming the
 * option. */
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "rc.h"
#include "unit.h"

int main(void)
{
    long long v = -7;
    UNIT_CHECK("opt_int: 4", opt_int("-j", "4", 1, 1024, &v) == 0 && v == 4, "got %lld", v);
    static const char *bad[] = {"4x", "", " ", "0", "1025", "-1", "1e3", "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char name[64];
        snprintf(name, sizeof name, "opt_int: '%s' is refused", bad[i]);
        v = -7;
        rc_clear();
        int rc = opt_int("-j", bad[i], 1, 1024, &v);
        UNIT_CHECK(name, rc == RC_EUSAGE && v == -7 && strstr(rc_message(), "-j takes a whole number from 1 to 1024"),
                   "rc %d, v %lld, message [%s]", rc, v, rc_message());
    }
    double s = -1;
    UNIT_CHECK("opt_seconds: 2.5", opt_seconds("-t", "2.5", 100, &s) == 0 && s == 2.5, "got %g", s);
    UNIT_CHECK("opt_seconds: 0", opt_seconds("-t", "0", 100, &s) == 0 && s == 0, "got %g", s);
    static const char *bad_s[] = {"", "x", "-1", "nan", "inf", "101", "3s"};
    for (size_t i = 0; i < sizeof bad_s / sizeof *bad_s; i++) {
        char name[64];
        snprintf(name, sizeof name, "opt_seconds: '%s' is refused", bad_s[i]);
        UNIT_CHECK(name, opt_seconds("-t", bad_s[i], 100, &s) == RC_EUSAGE, "accepted");
    }
    unsetenv("UNIT_SETTING");
    UNIT_CHECK("opt_env_int: unset gives the default",
               opt_env_int("UNIT_SETTING", 9, 1, 10, &v) == 0 && v == 9, "got %lld", v);
    setenv("UNIT_SETTING", "", 1);
    UNIT_CHECK("opt_env_int: empty gives the default",
               opt_env_int("UNIT_SETTING", 9, 1, 10, &v) == 0 && v == 9, "got %lld", v);
    setenv("UNIT_SETTING", "3", 1);
    UNIT_CHECK("opt_env_int: a value", opt_env_int("UNIT_SETTING", 9, 1, 10, &v) == 0 && v == 3,
               "got %lld", v);
    setenv("UNIT_SETTING", "4x", 1);
    rc_clear();
    UNIT_CHECK("opt_env_int: a bad value is an error, not the default",
               opt_env_int("UNIT_SETTING", 9, 1, 10, &v) == RC_EUSAGE &&
                   strstr(rc_message(), "UNIT_SETTING takes a whole number"),
               "message [%s]", rc_message());
    UNIT_CHECK("opt_online_cores", opt_online_cores() >= 1, "got %d", opt_online_cores());
    return 0;
}
