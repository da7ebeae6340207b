/* test_jobio.c -- reading job_input.json values (jobio.h): both link
 * shapes, the wrong classes, ints in range, string choices; and the safe
 * file names. */
#include <string.h>
#include <jansson.h>

#include "fdio.h"
#include "jobio.h"
#include "rc.h"
#include "unit.h"

#define FILE_ID "file-0123456789ABCDEFGHIJKLMN"
#define PROJECT "project-0123456789ABCDEFGHIJKLMN"

static int link_of(const char *json, jobio_link_t *l, int *present)
{
    json_t *in = json_loads(json, 0, NULL);
    rc_clear();
    int rc = jobio_link(in, "x", 1, l, present);
    json_decref(in);
    return rc;
}

int main(void)
{
    jobio_link_t l;
    int present = -1;
    UNIT_CHECK("link: plain shape",
               link_of("{\"x\": {\"$dnanexus_link\": \"" FILE_ID "\"}}", &l, &present) == 0 &&
                   strcmp(l.id, FILE_ID) == 0 && !*l.project && present == 1,
               "id [%s] project [%s]", l.id, l.project);
    UNIT_CHECK("link: with a project",
               link_of("{\"x\": {\"$dnanexus_link\": {\"project\": \"" PROJECT "\", \"id\": \"" FILE_ID "\"}}}",
                       &l, NULL) == 0 && strcmp(l.project, PROJECT) == 0,
               "project [%s]", l.project);
    static const char *bad[] = {
        "{\"x\": \"" FILE_ID "\"}",
        "{\"x\": {\"$dnanexus_link\": \"record-0123456789ABCDEFGHIJKLMN\"}}",
        "{\"x\": {\"$dnanexus_link\": \"file-short\"}}",
        "{\"x\": {\"$dnanexus_link\": {\"project\": \"nope\", \"id\": \"" FILE_ID "\"}}}",
        "{\"x\": {\"$dnanexus_link\": {\"job\": \"job-0123456789ABCDEFGHIJKLMN\", \"field\": \"f\"}}}",
        "{\"x\": 7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char name[64];
        snprintf(name, sizeof name, "link: malformed %zu is AppError naming the input", i + 1);
        int rc = link_of(bad[i], &l, NULL);
        UNIT_CHECK(name, rc == RC_EINPUT && strstr(rc_message(), "input x"), "rc %d [%s]", rc,
                   rc_message());
    }
    UNIT_CHECK("link: required and missing", link_of("{}", &l, &present) == RC_EINPUT &&
               present == 0 && strstr(rc_message(), "input x is missing"), "[%s]", rc_message());

    json_t *in = json_loads("{\"n\": 5, \"big\": 5000, \"s\": \"scan\", \"f\": 1.5, \"b\": true}", 0, NULL);
    long long v;
    UNIT_CHECK("int: in range", jobio_int(in, "n", 1, 1, 10, &v) == 0 && v == 5, "got %lld", v);
    UNIT_CHECK("int: absent gives the default", jobio_int(in, "none", 3, 1, 10, &v) == 0 && v == 3,
               "got %lld", v);
    UNIT_CHECK("int: out of range", jobio_int(in, "big", 1, 1, 1000, &v) == RC_EINPUT, "accepted");
    UNIT_CHECK("int: not an int", jobio_int(in, "f", 1, 1, 10, &v) == RC_EINPUT, "accepted");
    static const char *const choices[] = {"scan", "index", NULL};
    const char *s;
    UNIT_CHECK("string: a choice", jobio_string(in, "s", "x", choices, &s) == 0 && strcmp(s, "scan") == 0,
               "got %s", s);
    UNIT_CHECK("string: not a choice", jobio_string(in, "n", "x", choices, &s) == RC_EINPUT,
               "accepted");
    int b;
    UNIT_CHECK("bool", jobio_bool(in, "b", 0, &b) == 0 && b == 1, "got %d", b);
    UNIT_CHECK("bool: not a boolean", jobio_bool(in, "n", 0, &b) == RC_EINPUT, "accepted");
    json_decref(in);

    char out[256];
    fdio_safe_name("../../x y'\"z/..\\a.bam", out, sizeof out);
    UNIT_CHECK("safe name: only [A-Za-z0-9._+-], no leading dot",
               strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-") ==
                       strlen(out) && out[0] != '.' && strstr(out, "a.bam"),
               "got [%s]", out);
    fdio_safe_name("", out, sizeof out);
    UNIT_CHECK("safe name: never empty", strcmp(out, "_") == 0, "got [%s]", out);
    return 0;
}
