/* test_workers.c -- forked workers and their framed result pipes
 * (workers.h): results of any size arrive whole and in order of the
 * workers; a worker that fails, sends no result or sends a malformed
 * message fails the run with a message naming it; and a failure while
 * another worker is blocked writing a large result neither hangs the
 * parent nor leaves a process behind. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rc.h"
#include "workers.h"
#include "unit.h"

/* What each task does, by index. */
enum { SEND, SEND_BIG, SEND_BIG_LATE, MALFORMED, NO_RESULT, FAIL_INPUT };
static int plan[8];

#define BIG (8 << 20)

static int task(int index, void *arg, int out_fd)
{
    (void)arg;
    char *big;
    switch (plan[index]) {
    case SEND:
        workers_send_progress(out_fd, 1);
        return workers_send_result(out_fd, &index, sizeof index);
    case SEND_BIG_LATE:
        usleep(200000); /* after the parent has stopped reading */
        /* fall through */
    case SEND_BIG:
        big = malloc(BIG);
        memset(big, 'a' + index, BIG);
        workers_send_result(out_fd, big, BIG);
        free(big);
        return 0;
    case MALFORMED:
        return write(out_fd, "X12345678", 9) == 9 ? 0 : RC_EINTERNAL;
    case NO_RESULT:
        return 0;
    default:
        return rc_fail(RC_EINPUT, "bad input in task %d", index);
    }
}

static void alarm_fired(int sig)
{
    (void)sig;
    printf("FAIL workers: the run hung (alarm after 20 s)\n");
    fflush(stdout);
    _exit(0);
}

/* Children of this process still alive (or unreaped). */
static int children_left(void)
{
    return waitpid(-1, NULL, WNOHANG) == 0;
}

static int run(int n, workers_result_t *r)
{
    workers_spec_t spec = {.n = n, .task = task};
    rc_clear();
    return workers_run(&spec, r);
}

int main(void)
{
    signal(SIGALRM, alarm_fired);
    alarm(20);
    workers_result_t r[8];

    plan[0] = SEND, plan[1] = SEND_BIG, plan[2] = SEND;
    int rc = run(3, r);
    int ok = rc == 0 && r[0].len == sizeof(int) && *(int *)r[0].data == 0 && r[1].len == BIG &&
             r[1].data[0] == 'b' && r[1].data[BIG - 1] == 'b' && *(int *)r[2].data == 2;
    UNIT_CHECK("results of 4 bytes and 8 MiB arrive whole, by worker", ok, "rc %d [%s]", rc, rc_message());
    if (rc == 0)
        workers_results_free(r, 3);

    plan[0] = SEND, plan[1] = FAIL_INPUT;
    rc = run(2, r);
    UNIT_CHECK("a worker's bad input fails the run as bad input, naming it",
               rc == RC_EINPUT && strstr(rc_message(), "worker 2") &&
                   strstr(rc_message(), "bad input in task 1"),
               "rc %d [%s]", rc, rc_message());

    plan[0] = NO_RESULT;
    rc = run(1, r);
    UNIT_CHECK("a worker without a result fails the run", rc == RC_EINTERNAL &&
               strstr(rc_message(), "worker 1") && strstr(rc_message(), "exited without a result"),
               "rc %d [%s]", rc, rc_message());

    /* The bug this guards against: on a malformed message the parent
     * stopped reading and waited for every worker, one of which was blocked
     * writing 8 MiB into a full pipe nobody read. */
    plan[0] = SEND_BIG_LATE, plan[1] = MALFORMED, plan[2] = SEND_BIG_LATE;
    rc = run(3, r);
    UNIT_CHECK("a malformed message fails the run without hanging on a blocked worker",
               rc == RC_EINTERNAL && strstr(rc_message(), "worker 2 sent a malformed message"),
               "rc %d [%s]", rc, rc_message());
    UNIT_CHECK("... and no worker is left", !children_left(), "a child is still there");
    alarm(0);
    return 0;
}
