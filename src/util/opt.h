/* opt.h -- the one way a number from the command line or the environment
 * is read: all of it must be a number in range, or it is an error that
 * names the option or variable and says what it takes. Nothing falls back
 * silently on a bad value.
 */
#ifndef RC_OPT_H
#define RC_OPT_H

/* text as a whole number from min to max. what names it in the message
 * ("-j", "REGCOUNT_WORKERS"). Returns 0, or RC_EUSAGE. */
int opt_int(const char *what, const char *text, long long min, long long max, long long *value);

/* text as a number of seconds from 0 to max (a fraction allowed). */
int opt_seconds(const char *what, const char *text, double max, double *value);

/* The environment variable name read as above; def when it is unset or
 * empty. */
int opt_env_int(const char *name, long long def, long long min, long long max, long long *value);
int opt_env_seconds(const char *name, double def, double max, double *value);

/* Online cores: the default number of workers. */
int opt_online_cores(void);

#endif
