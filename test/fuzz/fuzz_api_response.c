/* fuzz_api_response.c -- libFuzzer target: the bytes are the body of an
 * answer from the DNAnexus API.
 *
 *   - dx_parse_error on the raw bytes (any status's body goes there): the
 *     message and the error type are NUL-terminated within their buffers
 *     and hold printable characters only;
 *   - when the bytes parse as JSON, the answer to a file describe
 *     (dxfile_parse_describe: parts that cover the size exactly, each md5 empty
 *     or 32 lowercase hex digits), to /download or /upload (dxfile_parse_url:
 *     an http(s) URL, "key: value" headers without line breaks), and to a
 *     project describe (dxupload_parse_params, then dxupload_part_size for
 *     a few lengths: the part size within the limits, the part count within
 *     maximumNumParts, the length within maximumFileSize).
 */
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>

#include "dx.h"
#include "dxfile.h"
#include "dxupload.h"
#include "rc.h"
#include "fuzz_common.h"

#define FILE_ID "file-0123456789ABCDEFGHIJKLMN"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static void check_printable(const char *s, size_t size, const char *what)
{
    size_t n = strnlen(s, size);
    CHECK(n < size, "%s: no NUL within %zu bytes", what, size);
    for (size_t i = 0; i < n; i++)
        CHECK(isprint((unsigned char)s[i]), "%s: byte 0x%02x at %zu", what, (unsigned char)s[i], i);
}

static void check_error_body(const uint8_t *data, size_t size)
{
    static const size_t sizes[] = {1, 8, 512};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        dx_reply_t reply;
        memset(&reply, 0, sizeof reply);
        char out[512 + 16];
        memset(out, 0x7f, sizeof out);
        dx_parse_error((const char *)data, size, &reply, out, sizes[k]);
        check_printable(out, sizes[k], "error message");
        check_printable(reply.type, sizeof reply.type, "error type");
        for (size_t i = sizes[k]; i < sizeof out; i++)
            CHECK((unsigned char)out[i] == 0x7f, "wrote byte %zu of a buffer of %zu", i, sizes[k]);
    }
    dx_reply_t reply;
    memset(&reply, 0, sizeof reply);
    char out[64];
    dx_parse_error(NULL, 0, &reply, out, sizeof out);
    CHECK(strcmp(out, "no error details") == 0, "no body gives [%s]", out);
}

static int is_lower_md5(const char *s)
{
    if (strlen(s) != 32)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
            return 0;
    return 1;
}

static void check_describe(json_t *j)
{
    dxfile_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.id, sizeof f.id, "%s", FILE_ID);
    rc_clear();
    int rc = dxfile_parse_describe(j, &f);
    if (rc != 0) {
        CHECK(rc == RC_EINTERNAL, "dxfile_parse_describe: rc %d", rc);
        CHECK(*rc_message(), "dxfile_parse_describe failed without a message");
    } else {
        CHECK(f.name, "no name");
        CHECK(f.size >= 0, "size %" PRId64, f.size);
        CHECK(strnlen(f.state, sizeof f.state) < sizeof f.state, "state not terminated");
        CHECK(f.n_parts >= 1 && f.parts, "%d parts", f.n_parts);
        int64_t total = 0;
        for (int i = 0; i < f.n_parts; i++) {
            CHECK(f.parts[i].size >= 0 && f.parts[i].size <= f.size, "part %d: size %" PRId64, i + 1,
                  f.parts[i].size);
            total += f.parts[i].size;
            CHECK(!*f.parts[i].md5 || is_lower_md5(f.parts[i].md5), "part %d: md5 '%s'", i + 1,
                  f.parts[i].md5);
        }
        CHECK(total == f.size, "parts hold %" PRId64 " bytes, the file %" PRId64, total, f.size);
    }
    dxfile_free(&f); /* what the job does either way */
}

static void check_url(json_t *j)
{
    dxfile_url_t u;
    memset(&u, 0, sizeof u);
    rc_clear();
    int rc = dxfile_parse_url(j, FILE_ID, &u);
    if (rc != 0) {
        CHECK(rc == RC_EINTERNAL, "dxfile_parse_url: rc %d", rc);
    } else {
        CHECK(u.url && (strncmp(u.url, "http://", 7) == 0 || strncmp(u.url, "https://", 8) == 0),
              "url '%s'", u.url ? u.url : "(null)");
        for (struct curl_slist *h = u.headers; h; h = h->next) {
            CHECK(!strpbrk(h->data, "\r\n"), "a header holds a line break");
            const char *colon = strstr(h->data, ": ");
            CHECK(colon, "header '%s' is not 'key: value'", h->data);
        }
    }
    dxfile_url_free(&u); /* what the callers do either way */
}

static void check_part_size(const dxupload_params_t *p, size_t len)
{
    int64_t part = -1;
    rc_clear();
    if (dxupload_part_size(p, len, &part) != 0) {
        CHECK(rc_kind() == RC_EINTERNAL, "dxupload_part_size failed with kind %d", rc_kind());
        return;
    }
    CHECK(part >= 1, "part size %" PRId64, part);
    CHECK(part <= p->max_part, "part size %" PRId64 " > maximumPartSize %" PRId64, part, p->max_part);
    CHECK(part >= p->min_part, "part size %" PRId64 " < minimumPartSize %" PRId64, part, p->min_part);
    uint64_t parts = len == 0 ? 1 : ((uint64_t)len + (uint64_t)part - 1) / (uint64_t)part;
    CHECK(parts <= (uint64_t)p->max_parts, "%zu bytes in parts of %" PRId64 ": %" PRIu64
          " parts, maximumNumParts %" PRId64, len, part, parts, p->max_parts);
    CHECK((int64_t)len <= p->max_file, "%zu bytes accepted, maximumFileSize %" PRId64, len,
          p->max_file);
}

static void check_upload_params(json_t *j, const uint8_t *data, size_t size)
{
    dxupload_params_t p;
    rc_clear();
    if (dxupload_parse_params(j, &p) != 0)
        return;
    CHECK(p.max_part >= 1 && p.max_parts >= 1 && p.min_part <= p.max_part,
          "accepted min %" PRId64 " max %" PRId64 " parts %" PRId64, p.min_part, p.max_part,
          p.max_parts);
    static const size_t lens[] = {0, 1, 1000, 5 << 20, 16 << 20, (16 << 20) + 1, 1u << 30,
                                  (size_t)5 << 40, (size_t)1 << 50, SIZE_MAX / 2};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++)
        check_part_size(&p, lens[k]);
    /* A length taken from the input's last bytes. */
    uint64_t len = 0;
    for (size_t i = size > 8 ? size - 8 : 0; i < size; i++)
        len = len << 8 | data[i];
    check_part_size(&p, (size_t)(len >> 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_error_body(data, size);
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!j)
        return 0;
    check_describe(j);
    check_url(j);
    check_upload_params(j, data, size);
    json_decref(j);
    return 0;
}
