/* fuzz_job_input.c -- libFuzzer target: the bytes are ~/job_input.json.
 *
 * Loads them the way the job does (jobio_load_input on a file in a scratch
 * home), reads every input the applet reads with the job_input_* helpers,
 * and checks what comes back:
 *   - a load either fails with RC_EINPUT and no object, or gives an object;
 *   - a link is a well-formed file id (and project id, when there is one),
 *     or RC_EINPUT with a message naming the input;
 *   - count_method is one of its choices, download_first a boolean,
 *     subjobs within 1..1000, or RC_EINPUT naming the input;
 *   - fdio_safe_name of every string (keys and values, at any depth) and of
 *     the raw bytes is non-empty, at most 200 bytes and the buffer, holds
 *     only [A-Za-z0-9._+-] with no leading '.' (so no '/'), and writes
 *     nothing past its NUL;
 *   - jobio_write_error with the raw bytes as the message (as an error
 *     message built from user data would be) writes a job_error.json that
 *     is a JSON object of the right shape and does not hold the token.
 */
#include <ctype.h>
#include <jansson.h>

#include "rc.h"
#include "fdio.h"
#include "jobio.h"
#include "fuzz_common.h"

/* The job's token in DX_SECURITY_CONTEXT, for jobio_write_error to scrub:
 * short (real ones are longer), so that scrubbing makes the message grow. */
#define TOKEN "tok1"

static char home[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(home, sizeof home, "%s", fuzz_scratch_dir());
    setenv("DX_SECURITY_CONTEXT", "{\"auth_token_type\": \"Bearer\", \"auth_token\": \"" TOKEN "\"}",
           1);
    return 0;
}

static void check_id(const char *id, const char *klass, const char *what)
{
    size_t n = strlen(klass);
    CHECK(strncmp(id, klass, n) == 0 && id[n] == '-' && strlen(id) == n + 25,
          "%s: '%s' is not a %s id", what, id, klass);
    for (const char *p = id + n + 1; *p; p++)
        CHECK(isalnum((unsigned char)*p), "%s: '%s' holds a bad character", what, id);
}

static void check_failed(int rc, const char *name)
{
    CHECK(rc == RC_EINPUT, "input %s: rc %d", name, rc);
    CHECK(rc_kind() == RC_EINPUT, "input %s: recorded kind %d", name, rc_kind());
    CHECK(strstr(rc_message(), name) != NULL, "the message [%s] does not name input %s",
          rc_message(), name);
}

static void check_link(json_t *input, const char *name, int required)
{
    jobio_link_t link;
    int present = -1;
    rc_clear();
    int rc = jobio_link(input, name, required, &link, &present);
    CHECK(present == (json_object_get(input, name) != NULL), "input %s: present %d", name, present);
    if (rc != 0) {
        check_failed(rc, name);
        return;
    }
    if (!present) {
        CHECK(!required, "required input %s absent yet accepted", name);
        CHECK(!*link.id && !*link.project, "absent input %s gives a link", name);
        return;
    }
    check_id(link.id, "file", name);
    if (*link.project && strncmp(link.project, "container-", 10) == 0)
        check_id(link.project, "container", name);
    else if (*link.project)
        check_id(link.project, "project", name);
}

static void check_inputs(json_t *input)
{
    check_link(input, "mappings_sorted_bam", 1);
    check_link(input, "mappings_sorted_bai", 0);

    static const char *const methods[] = {"scan", "index", NULL};
    const char *method = NULL;
    rc_clear();
    int rc = jobio_string(input, "count_method", "scan", methods, &method);
    if (rc == 0)
        CHECK(method && (strcmp(method, "scan") == 0 || strcmp(method, "index") == 0),
              "count_method '%s' accepted", method ? method : "(null)");
    else
        check_failed(rc, "count_method");

    /* Without choices any string goes, and only a string. */
    const char *any = NULL;
    rc = jobio_string(input, "count_method", NULL, NULL, &any);
    json_t *v = json_object_get(input, "count_method");
    CHECK((rc == 0) == (!v || json_is_string(v)), "count_method without choices: rc %d", rc);

    int flag = -1;
    rc_clear();
    rc = jobio_bool(input, "download_first", 0, &flag);
    if (rc == 0)
        CHECK(flag == 0 || flag == 1, "download_first %d", flag);
    else
        check_failed(rc, "download_first");

    long long n = -1;
    rc_clear();
    rc = jobio_int(input, "subjobs", 1, 1, 1000, &n);
    if (rc == 0)
        CHECK(n >= 1 && n <= 1000, "subjobs %lld accepted", n);
    else
        check_failed(rc, "subjobs");
}

/* fdio_safe_name's promises, for several buffer sizes. */
static void check_safe_name(const char *name)
{
    static const size_t sizes[] = {2, 3, 16, 201, 256, 1024};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char out[1024];
        memset(out, 0x7f, sizeof out);
        fdio_safe_name(name, out, sizes[k]);
        size_t n = strnlen(out, sizes[k]);
        CHECK(n < sizes[k], "no NUL within %zu bytes", sizes[k]);
        CHECK(n > 0, "empty safe name");
        CHECK(n <= 200, "safe name of %zu bytes", n);
        CHECK(out[0] != '.', "safe name '%s' starts with '.'", out);
        CHECK(!strchr(out, '/'), "safe name '%s' holds '/'", out);
        for (const char *p = out; *p; p++)
            CHECK(isalnum((unsigned char)*p) || strchr("._+-", *p), "safe name '%s' holds 0x%02x",
                  out, (unsigned char)*p);
        for (size_t i = n + 1; i < sizeof out; i++)
            CHECK((unsigned char)out[i] == 0x7f, "wrote byte %zu of a buffer of %zu", i, sizes[k]);
    }
}

static void check_strings(json_t *j, int depth)
{
    if (depth > 64)
        return;
    if (json_is_string(j)) {
        check_safe_name(json_string_value(j));
    } else if (json_is_object(j)) {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v) {
            check_safe_name(key);
            check_strings(v, depth + 1);
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) check_strings(v, depth + 1);
    }
}

/* job_error.json for a message made of the raw bytes. */
static void check_error_report(const char *message, int kind)
{
    char path[4300];
    CHECK(jobio_write_error(home, kind, message) == 0, "jobio_write_error failed");
    snprintf(path, sizeof path, "%s/job_error.json", home);
    json_error_t err;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    CHECK(j, "job_error.json is not JSON: %s", err.text);
    const char *type = json_string_value(json_object_get(json_object_get(j, "error"), "type"));
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    CHECK(type && strcmp(type, kind == RC_EINPUT ? "AppError" : "AppInternalError") == 0,
          "error type %s", type ? type : "(none)");
    CHECK(msg && *msg, "no error message");
    CHECK(strlen(msg) <= 8192 + 64, "message of %zu bytes", strlen(msg));
    CHECK(!strstr(msg, TOKEN), "the token is in the message");
    for (const char *p = msg; *p; p++)
        CHECK((unsigned char)*p >= 0x20 || *p == '\t', "control character 0x%02x in the message",
              (unsigned char)*p);
    json_decref(j);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/job_input.json", home);
    fuzz_write_file(path, data, size);

    json_t *input = (json_t *)1;
    rc_clear();
    int rc = jobio_load_input(home, &input);
    if (rc != 0) {
        CHECK(rc == RC_EINPUT, "jobio_load_input: rc %d", rc);
        CHECK(input == NULL, "jobio_load_input failed yet set *input");
        CHECK(strstr(rc_message(), "job_input.json"), "message [%s]", rc_message());
    } else {
        CHECK(json_is_object(input), "jobio_load_input gave a non-object");
        check_inputs(input);
        check_strings(input, 0);
        json_decref(input);
    }
    unlink(path);

    char *raw = fuzz_strndup(data, size);
    check_safe_name(raw);
    check_error_report(raw, size % 2 ? RC_EINPUT : RC_EINTERNAL);
    /* And a message longer than jobio_write_error keeps, made of the bytes,
     * when the cut could matter: a token or a multi-byte sequence to cut. */
    int cut_matters = strstr(raw, TOKEN) != NULL;
    for (size_t i = 0; i < size && !cut_matters; i++)
        cut_matters = data[i] >= 0x80;
    if (size > 0 && cut_matters) {
        size_t n = 9000;
        char *big = malloc(n + 1);
        CHECK(big, "out of memory");
        for (size_t i = 0; i < n; i++)
            big[i] = raw[i % size] ? raw[i % size] : 'x';
        big[n] = '\0';
        check_error_report(big, RC_EINPUT);
        free(big);
    }
    free(raw);
    return 0;
}
