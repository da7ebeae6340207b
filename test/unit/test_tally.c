/* test_tally.c -- the one serialised form of a tally (tally.h): what is
 * packed comes back unpacked, with only the span of non-zero counts
 * stored; a tally of other sizes or cut short is refused. Also base64, in
 * which a small tally travels inside a subjob's output. */
#include <string.h>

#include "base64.h"
#include "rc.h"
#include "tally.h"
#include "unit.h"

static int same(const tally_t *a, const tally_t *b)
{
    if (a->n_targets != b->n_targets || a->n_counts != b->n_counts || a->unplaced != b->unplaced ||
        a->n_records != b->n_records || a->first_tid != b->first_tid ||
        a->last_tid != b->last_tid || a->first_pos != b->first_pos || a->last_pos != b->last_pos)
        return 0;
    return a->unmapped_unknown == b->unmapped_unknown &&
           memcmp(a->counts, b->counts, a->n_counts * sizeof *a->counts) == 0 &&
           memcmp(a->records, b->records, a->n_targets * sizeof *a->records) == 0 &&
           memcmp(a->unmapped, b->unmapped, a->n_targets * sizeof *a->unmapped) == 0 &&
           memcmp(a->counted, b->counted, a->n_targets * sizeof *a->counted) == 0;
}

int main(void)
{
    tally_t t, u;
    tally_init(&t, 5, 1000000);
    t.records[0] = 7, t.records[4] = 1ULL << 40;
    t.unmapped[0] = 2, t.unmapped[4] = 5, t.counted[0] = 4, t.counted[3] = 9;
    t.unmapped_unknown = 1;
    t.counts[1000] = 3, t.counts[1002] = 1ULL << 50, t.counts[999999] = 1;
    t.unplaced = 11, t.n_records = 12, t.first_tid = 0, t.first_pos = -1, t.last_tid = -1,
    t.last_pos = 1LL << 33;
    kstring_t k = {0};
    UNIT_CHECK("pack", tally_pack(&t, &k) == 0, "%s", rc_message());
    UNIT_CHECK("pack: the span of non-zero counts only", k.l == 76 + 8 * (3 * 5 + 999000), "%zu bytes", k.l);
    UNIT_CHECK("unpack gives the same tally",
               tally_unpack(k.s, k.l, 5, 1000000, "t", &u) == 0 && same(&t, &u), "%s", rc_message());
    tally_free(&u);
    UNIT_CHECK("unpack: other sizes are refused",
               tally_unpack(k.s, k.l, 6, 1000000, "t", &u) == RC_EINTERNAL &&
                   strstr(rc_message(), "t is for 5 references"), "[%s]", rc_message());
    UNIT_CHECK("unpack: cut short is refused", tally_unpack(k.s, k.l - 8, 5, 1000000, "t", &u) == RC_EINTERNAL,
               "accepted");
    UNIT_CHECK("unpack: not a tally", tally_unpack("hello", 5, 5, 1000000, "t", &u) == RC_EINTERNAL,
               "accepted");
    free(k.s);

    tally_t z;
    tally_init(&z, 3, 3);
    k = (kstring_t){0};
    UNIT_CHECK("pack: all zeros", tally_pack(&z, &k) == 0 && k.l == 76 + 8 * 3 * 3, "%zu bytes", k.l);
    UNIT_CHECK("unpack: all zeros", tally_unpack(k.s, k.l, 3, 3, "z", &u) == 0 && same(&z, &u), "differs");
    tally_free(&u);
    free(k.s);

    tally_t sum;
    tally_init(&sum, 5, 1000000);
    tally_add(&sum, &t);
    tally_add(&sum, &t);
    UNIT_CHECK("add", sum.counts[1000] == 6 && sum.records[4] == 2ULL << 40 && sum.n_records == 24 &&
               sum.unmapped[4] == 10 && sum.counted[3] == 18 && sum.unmapped_unknown &&
               sum.first_pos == -1, "counts %llu", (unsigned long long)sum.counts[1000]);
    tally_reset(&sum);
    UNIT_CHECK("reset", sum.counts[1000] == 0 && sum.n_records == 0 && sum.first_tid == -1 &&
               sum.unmapped[4] == 0 && sum.counted[3] == 0 && !sum.unmapped_unknown &&
               sum.failed_at == -1, "not reset");
    UNIT_CHECK("coordinate order: tid -1 sorts last",
               tally_coord_before(3, 5, -1, 0) && !tally_coord_before(-1, 0, 3, 5) &&
                   tally_coord_before(2, 4, 2, 5) && !tally_coord_before(2, 5, 2, 5),
               "wrong order");
    tally_free(&sum);
    tally_free(&z);
    tally_free(&t);

    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        kstring_t e = {0}, d = {0};
        char name[64];
        snprintf(name, sizeof name, "base64 of '%s' (RFC 4648)", plain[i]);
        base64_encode(plain[i], strlen(plain[i]), &e);
        base64_decode(coded[i], strlen(coded[i]), "x", &d);
        UNIT_CHECK(name, strcmp(e.s ? e.s : "", coded[i]) == 0 && d.l == strlen(plain[i]) &&
                   memcmp(d.s ? d.s : "", plain[i], d.l) == 0, "got [%s]", e.s);
        free(e.s), free(d.s);
    }
    kstring_t d = {0};
    UNIT_CHECK("base64: not base64", base64_decode("Zm9v!", 5, "x", &d) == RC_EINTERNAL &&
               base64_decode("Zg==Zg==", 8, "x", &d) == RC_EINTERNAL, "accepted");
    free(d.s);
    return 0;
}
