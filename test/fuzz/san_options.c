/* san_options.c -- linked only into the sanitizer build of regcount (make
 * test-asan). The job runs with a cleaned environment (the emulator, like
 * the platform, passes only PATH, LANG and TMPDIR), so ASAN_OPTIONS cannot
 * reach it: the options are compiled in here. An ASAN_OPTIONS or
 * UBSAN_OPTIONS in the environment still overrides them.
 *
 * Every report is fatal (the process aborts: non-zero status, or SIGABRT for
 * a worker, which the pool reports), is written to SAN_LOG_PATH.<pid> (so
 * that make test-asan finds it even when a test expected the process to
 * fail), and is copied to stderr, where a test or a person sees it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>

#ifndef SAN_LOG_PATH
#error "SAN_LOG_PATH must be defined (the reports' path prefix)"
#endif

#define COMMON "halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=" SAN_LOG_PATH

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);
const char *__lsan_default_suppressions(void);

const char *__asan_default_options(void)
{
    /* Leaks are checked when the process exits (LeakSanitizer). Forked
     * workers leave through _exit and are not checked; their parent is. */
    return COMMON ":detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1"
                  ":strict_string_checks=1";
}

const char *__ubsan_default_options(void) { return COMMON; }

const char *__lsan_default_options(void) { return COMMON; }

/* Leaks inside the libraries we link (not our code), one per line as
 * "leak:<function or library>". Keep this empty unless a report shows one. */
const char *__lsan_default_suppressions(void)
{
    return "";
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Called by the sanitizer runtime before it aborts: copy the report it
 * wrote to the log file onto stderr, and say where the file is. */
static void on_death(void)
{
    char path[4096], buf[4096];
    snprintf(path, sizeof path, "%s.%d", SAN_LOG_PATH, (int)getpid());
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            write_all(STDERR_FILENO, buf, (size_t)r);
        close(fd);
    }
    int n = snprintf(buf, sizeof buf, "regcount: SANITIZER REPORT (pid %d), written to %s\n",
                     (int)getpid(), path);
    if (n > 0)
        write_all(STDERR_FILENO, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

__attribute__((constructor)) static void install_death_callback(void)
{
    __sanitizer_set_death_callback(on_death);
}
