/* log.h -- progress lines for the person watching (stderr, which is the job
 * log on the platform). One line per phase and a few periodic lines during
 * long phases; never per record. */
#ifndef RC_LOG_H
#define RC_LOG_H

#include <stdint.h>

/* Silence log_info (errors are reported elsewhere and stay visible). */
void log_set_quiet(int quiet);

/* Print "regcount: <message>" on stderr unless quiet. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds since an arbitrary fixed point (monotonic clock). */
double log_now(void);

/* Human-readable byte count ("1.5 GB") in buf, which must hold 16 bytes. */
const char *log_bytes(uint64_t n, char buf[16]);

#endif
