/* test_backoff.c -- the retry schedule of the API client (dx.h): the first
 * wait, then random waits in doubling ranges, capped; throttled retries
 * wait at least what Retry-After asked, a little more each time. */
#include "dx.h"
#include "unit.h"

int main(void)
{
    for (double w = 0.05; w <= 1.0; w += 0.95) {
        char name[96];
        snprintf(name, sizeof name, "backoff (first wait %.2f s): retry 1 waits it", w);
        UNIT_CHECK(name, dx_backoff(w, 1) == w, "got %g", dx_backoff(w, 1));
        for (int n = 2; n <= 12; n++) {
            int k = n > 8 ? 8 : n;
            double lo = w * (1 << (k - 2)), hi = w * (1 << (k - 1)), min = 1e9, max = 0;
            for (int i = 0; i < 200; i++) {
                double b = dx_backoff(w, n);
                min = b < min ? b : min;
                max = b > max ? b : max;
            }
            snprintf(name, sizeof name, "backoff (first wait %.2f s): retry %d within [%g, %g]", w,
                     n, lo, hi);
            UNIT_CHECK(name, min >= lo && max <= hi && max > min, "waits from %g to %g", min, max);
        }
    }
    UNIT_CHECK("throttle: Retry-After 1, first retry", dx_throttle_wait(1, 1) == 1, "got %g",
               dx_throttle_wait(1, 1));
    UNIT_CHECK("throttle: Retry-After 4, fifth retry waits 4 + 4 x 0.25 x 4",
               dx_throttle_wait(5, 4) == 8, "got %g", dx_throttle_wait(5, 4));
    UNIT_CHECK("throttle: Retry-After 0 is no wait", dx_throttle_wait(3, 0) == 0, "got %g",
               dx_throttle_wait(3, 0));
    UNIT_CHECK("throttle: Retry-After 60 or more is taken as it is", dx_throttle_wait(9, 90) == 90,
               "got %g", dx_throttle_wait(9, 90));
    UNIT_CHECK("throttle: the growth stops after 20 retries",
               dx_throttle_wait(40, 10) == dx_throttle_wait(21, 10), "got %g and %g",
               dx_throttle_wait(40, 10), dx_throttle_wait(21, 10));
    return 0;
}
