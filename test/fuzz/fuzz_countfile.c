/* fuzz_countfile.c -- libFuzzer target: a list of region names and counts
 * derived from the bytes goes through countfile_format_labels.
 *
 * The bytes are split at NUL bytes into regions; each region is one byte L,
 * then L % 9 bytes of count (big-endian), then the name (possibly empty,
 * possibly holding line breaks or tabs).
 *
 * Checks: countfile_format_labels fails, with RC_EINPUT, exactly when a name is
 * empty or holds '\n', '\r' or '\t', or the sum overflows 64 bits; on
 * success it appends (what was in the buffer stays) one line
 * "Region <name>: <n>" per region, in order, then "Total reads: <sum>",
 * each ending with a newline, and nothing else, and gives the sum. fdio_save
 * (which writes the count file) writes the
 * text to a file byte for byte and leaves no temporary file behind.
 */
#include <dirent.h>
#include <inttypes.h>

#include "countfile.h"
#include "fdio.h"
#include "rc.h"
#include "fuzz_common.h"

#define MAX_REGIONS 4096
#define PREFIX "already here\n"

static char dir[4200];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(dir, sizeof dir, "%s", fuzz_scratch_dir());
    return 0;
}

/* Split data into regions; returns their number. names[i] point into buf. */
static int derive(const uint8_t *data, size_t size, char *buf, const char **names,
                  uint64_t *counts)
{
    int n = 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    size_t i = 0;
    while (i < size && n < MAX_REGIONS) {
        size_t end = i;
        while (end < size && buf[end] != '\0')
            end++;
        /* buf[i..end) is one region */
        size_t len = end - i, l = len ? (uint8_t)buf[i] % 9 : 0, k = len ? 1 : 0;
        uint64_t c = 0;
        for (size_t m = 0; m < l && k < len; m++, k++)
            c = c << 8 | (uint8_t)buf[i + k];
        counts[n] = c;
        names[n] = buf + i + k;
        n++;
        i = end + 1;
    }
    return n;
}

/* What countfile_format must say about these regions: 0 or RC_EINPUT. */
static int expected_rc(int n, const char *const *names, const uint64_t *counts, uint64_t *sum)
{
    *sum = 0;
    for (int i = 0; i < n; i++) {
        if (!*names[i] || strpbrk(names[i], "\n\r\t"))
            return RC_EINPUT;
        if (counts[i] > UINT64_MAX - *sum)
            return RC_EINPUT;
        *sum += counts[i];
    }
    return 0;
}

static void check_save(const kstring_t *text)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/count.txt", dir);
    CHECK(fdio_save(path, text->s, text->l) == 0, "fdio_save: %s", rc_message());
    FILE *f = fopen(path, "rb");
    CHECK(f, "count file not written");
    char *back = malloc(text->l + 1);
    CHECK(back, "out of memory");
    size_t got = fread(back, 1, text->l + 1, f);
    fclose(f);
    CHECK(got == text->l && memcmp(back, text->s, got) == 0, "the saved file differs (%zu bytes of %zu)",
          got, text->l);
    free(back);
    unlink(path);
    /* No temporary file left behind. */
    DIR *d = opendir(dir);
    CHECK(d, "cannot list the scratch directory");
    for (struct dirent *e; (e = readdir(d));)
        CHECK(e->d_name[0] == '.', "left behind: %s", e->d_name);
    closedir(d);
}

/* The labels: the names derived from the bytes. */
static int name_label(void *arg, int64_t i, kstring_t *label)
{
    const char *const *names = arg;
    return kputs(names[i], label) < 0 ? RC_EINTERNAL : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    const char **names = malloc(MAX_REGIONS * sizeof *names);
    uint64_t *counts = malloc(MAX_REGIONS * sizeof *counts);
    CHECK(buf && names && counts, "out of memory");
    int n = derive(data, size, buf, names, counts);

    uint64_t sum;
    int want = expected_rc(n, names, counts, &sum);
    countfile_out_t o = {0};
    kputs(PREFIX, &o.buf);
    rc_clear();
    uint64_t total = 0;
    int rc = countfile_format_labels(n, name_label, names, counts, &o, &total);
    kstring_t out = o.buf;
    CHECK(rc == want, "countfile_format gave %d, expected %d (%s)", rc, want, rc_message());
    CHECK(rc != 0 || total == sum, "countfile_format gave the sum %" PRIu64 ", expected %" PRIu64,
          total, sum);
    if (rc != 0) {
        CHECK(rc_kind() == RC_EINPUT && *rc_message(), "kind %d, message [%s]", rc_kind(),
              rc_message());
    } else {
        CHECK(strncmp(out.s, PREFIX, strlen(PREFIX)) == 0, "the buffer's start was lost");
        kstring_t want_text = {0};
        kputs(PREFIX, &want_text);
        for (int i = 0; i < n; i++)
            ksprintf(&want_text, "Region %s: %" PRIu64 "\n", names[i], counts[i]);
        ksprintf(&want_text, "Total reads: %" PRIu64 "\n", sum);
        CHECK(out.l == want_text.l && memcmp(out.s, want_text.s, out.l) == 0,
              "the text differs from the expected one");
        /* One line per region and the total, each ending with a newline. */
        size_t lines = 0;
        for (size_t i = strlen(PREFIX); i < out.l; i++)
            lines += out.s[i] == '\n';
        CHECK(lines == (size_t)n + 1, "%zu lines for %d regions", lines, n);
        CHECK(out.l > 0 && out.s[out.l - 1] == '\n', "the text does not end with a newline");
        CHECK(strlen(out.s) == out.l, "a NUL inside the text");
        free(want_text.s);
        kstring_t body = {out.l - strlen(PREFIX), 0, out.s + strlen(PREFIX)};
        check_save(&body);
    }
    free(out.s);
    free(buf);
    free(names);
    free(counts);
    return 0;
}
