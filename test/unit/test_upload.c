/* test_upload.c -- how an upload is cut into parts (dxupload.h): dxpy's
 * 16 MiB where the project's fileUploadParameters allow it, larger parts
 * when the file would need too many, and a refusal past the limits. */
#include <jansson.h>

#include "dxupload.h"
#include "rc.h"
#include "unit.h"

#define MiB (1LL << 20)

static dxupload_params_t aws = {5 * MiB, 5LL << 30, 10000, 5497558138880LL, 1};
static dxupload_params_t azure = {1, 4 * MiB, 50000, 209715200000LL, 0};

static int64_t part(const dxupload_params_t *p, size_t len)
{
    int64_t size = -1;
    return dxupload_part_size(p, len, &size) == 0 ? size : -1;
}

int main(void)
{
    UNIT_CHECK("aws: 16 MiB parts", part(&aws, 100 * MiB) == 16 * MiB, "got %lld",
               (long long)part(&aws, 100 * MiB));
    UNIT_CHECK("aws: an empty file", part(&aws, 0) == 16 * MiB, "got %lld", (long long)part(&aws, 0));
    UNIT_CHECK("azure: at most 4 MiB", part(&azure, 100 * MiB) == 4 * MiB, "got %lld",
               (long long)part(&azure, 100 * MiB));
    dxupload_params_t big_min = aws;
    big_min.min_part = 64 * MiB;
    UNIT_CHECK("a minimum above 16 MiB is kept", part(&big_min, 1000 * MiB) == 64 * MiB,
               "got %lld", (long long)part(&big_min, 1000 * MiB));
    dxupload_params_t few = aws;
    few.max_parts = 3;
    UNIT_CHECK("too many parts at 16 MiB: larger parts", part(&few, 100 * MiB) == (100 * MiB + 2) / 3,
               "got %lld", (long long)part(&few, 100 * MiB));
    few.max_part = 20 * MiB;
    rc_clear();
    UNIT_CHECK("more than max_parts x max_part: refused", part(&few, 100 * MiB) == -1 &&
               rc_kind() == RC_EINTERNAL, "got %lld", (long long)part(&few, 100 * MiB));
    dxupload_params_t small_file = aws;
    small_file.max_file = 10;
    UNIT_CHECK("larger than maximumFileSize: refused", part(&small_file, 11) == -1, "accepted");

    json_t *j = json_loads("{\"fileUploadParameters\": {\"minimumPartSize\": 5242880, "
                           "\"maximumPartSize\": 5368709120, \"maximumNumParts\": 10000, "
                           "\"maximumFileSize\": 5497558138880, \"emptyLastPartAllowed\": true}}",
                           0, NULL);
    dxupload_params_t p;
    UNIT_CHECK("fileUploadParameters parsed",
               dxupload_parse_params(j, &p) == 0 && p.min_part == aws.min_part &&
                   p.max_parts == 10000 && p.empty_last_part_allowed == 1,
               "min %lld parts %lld", (long long)p.min_part, (long long)p.max_parts);
    json_decref(j);
    j = json_loads("{\"fileUploadParameters\": {\"minimumPartSize\": 9, \"maximumPartSize\": 8, "
                   "\"maximumNumParts\": 1, \"maximumFileSize\": 1, \"emptyLastPartAllowed\": true}}",
                   0, NULL);
    UNIT_CHECK("a minimum above the maximum is refused", dxupload_parse_params(j, &p) == RC_EINTERNAL,
               "accepted");
    json_decref(j);
    return 0;
}
