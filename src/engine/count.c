/* count.c -- the counting engine; see count.h. */
#include "count.h"

#include <stdlib.h>
#include <string.h>
#include <htslib/hfile.h>
#include <htslib/hts_endian.h>
#include <htslib/sam.h>

#include "rc.h"
#include "plan.h"

/* How often count_records reports progress, in records (a power of 2). */
#define PROGRESS_EVERY (1u << 16)

int tally_init(tally_t *t, int n_targets)
{
    memset(t, 0, sizeof *t);
    t->n_targets = n_targets;
    t->first_tid = t->last_tid = -1;
    t->failed_at = -1;
    t->reads = calloc(n_targets + 1, sizeof *t->reads);
    t->records = calloc(n_targets + 1, sizeof *t->records);
    if (!t->reads || !t->records) {
        tally_free(t);
        return rc_fail(RC_EINTERNAL, "out of memory for %d reference sequences", n_targets);
    }
    return 0;
}

void tally_reset(tally_t *t)
{
    int n = t->n_targets;
    uint64_t *reads = t->reads, *records = t->records;
    memset(reads, 0, (n + 1) * sizeof *reads);
    memset(records, 0, (n + 1) * sizeof *records);
    memset(t, 0, sizeof *t);
    *t = (tally_t){.n_targets = n, .reads = reads, .records = records, .first_tid = -1,
                   .last_tid = -1, .failed_at = -1};
}

void tally_free(tally_t *t)
{
    free(t->reads);
    free(t->records);
    t->reads = t->records = NULL;
}

void tally_add(tally_t *sum, const tally_t *part)
{
    for (int i = 0; i < sum->n_targets; i++) {
        sum->reads[i] += part->reads[i];
        sum->records[i] += part->records[i];
    }
    sum->unplaced += part->unplaced;
    if (part->n_records && !sum->n_records) {
        sum->first_tid = part->first_tid;
        sum->first_pos = part->first_pos;
    }
    if (part->n_records) {
        sum->last_tid = part->last_tid;
        sum->last_pos = part->last_pos;
    }
    sum->n_records += part->n_records;
}

int tally_coord_before(int tid2, int64_t pos2, int tid1, int64_t pos1)
{
    /* As unsigned, tid -1 (no reference) sorts after every reference. */
    if ((uint32_t)tid2 != (uint32_t)tid1)
        return (uint32_t)tid2 < (uint32_t)tid1;
    return pos2 < pos1;
}

/* ---- records in the decompressed stream --------------------------------- */

/* The fields of a BAM record that counting needs (SAM spec 4.2), read in
 * place from the decompressed data. */
typedef struct {
    int32_t tid;
    int64_t pos;
    uint16_t flag, n_cigar;
    const uint8_t *cigar;
} record_t;

/* Bytes before the variable-length data: block_size and the fixed fields. */
#define RECORD_FIXED 36

/* Parse the record at p (4 + block_size bytes). Returns 0, or -1 when its
 * lengths do not add up (a corrupt file or a misplaced start). */
static int parse_record(const uint8_t *p, uint32_t block_size, record_t *r)
{
    uint32_t l_read_name = p[12], l_seq = le_to_u32(p + 20);
    r->tid = le_to_i32(p + 4);
    r->pos = le_to_i32(p + 8);
    r->n_cigar = le_to_u16(p + 16);
    r->flag = le_to_u16(p + 18);
    r->cigar = p + RECORD_FIXED + l_read_name;
    uint64_t need = 32 + (uint64_t)l_read_name + 4u * r->n_cigar + (l_seq + 1) / 2 + (uint64_t)l_seq;
    return block_size >= 32 && l_read_name > 0 && l_seq < (1u << 31) && need <= block_size &&
                   r->pos >= -1
               ? 0
               : -1;
}

/* samtools' rule for a record that carries a reference id: its end, as
 * bam_endpos computes it, is past 0. Only records without a position
 * (pos -1) need the CIGAR. */
static inline int counted(const record_t *r)
{
    if (r->pos >= 0)
        return 1;
    int64_t rlen = 0;
    if (!(r->flag & BAM_FUNMAP))
        for (int i = 0; i < r->n_cigar; i++) {
            uint32_t op = le_to_u32(r->cigar + 4 * i);
            if (bam_cigar_type(bam_cigar_op(op)) & 2)
                rlen += bam_cigar_oplen(op);
        }
    return r->pos + (rlen ? rlen : 1) > 0;
}

/* Reads records from a BGZF stream. A record that lies inside the current
 * block is used where it lies; one that spans blocks (or any record, on a
 * multi-threaded stream) is copied into spill. */
typedef struct {
    BGZF *fp;
    uint8_t *spill;
    size_t spill_size;
} reader_t;

/* Make *rec point at the next record (4 + *block_size bytes). Returns 1, 0
 * at the end of the data, -2 for a truncated or corrupt block, -4 for an
 * impossible record length, -5 when out of memory. */
static int next_record(reader_t *rd, const uint8_t **rec, uint32_t *block_size)
{
    BGZF *fp = rd->fp;
    int avail = fp->block_length - fp->block_offset;
    if (!fp->mt && avail >= 4) {
        const uint8_t *p = (const uint8_t *)fp->uncompressed_block + fp->block_offset;
        uint32_t bs = le_to_u32(p);
        if (bs < (uint32_t)avail - 4 + 1 && (int64_t)bs + 4 <= avail) {
            *rec = p;
            *block_size = bs;
            fp->block_offset += 4 + bs;
            fp->uncompressed_address += 4 + bs;
            if (fp->block_offset == fp->block_length) {
                /* As bgzf_read does: point at the next block, so that
                 * bgzf_tell gives the offsets the index uses. */
                fp->block_address = htell(fp->fp);
                fp->block_offset = fp->block_length = 0;
            }
            return 1;
        }
    }
    uint8_t len[4];
    ssize_t r = bgzf_read(fp, len, 4);
    if (r == 0)
        return 0;
    if (r != 4)
        return -2;
    uint32_t bs = le_to_u32(len);
    if (bs < 32 || bs > (1u << 30))
        return -4;
    if (rd->spill_size < (size_t)bs + 4) {
        uint8_t *s = realloc(rd->spill, (size_t)bs + 4);
        if (!s)
            return -5;
        rd->spill = s;
        rd->spill_size = (size_t)bs + 4;
    }
    memcpy(rd->spill, len, 4);
    if (bgzf_read(fp, rd->spill + 4, bs) != (ssize_t)bs)
        return -2;
    *rec = rd->spill;
    *block_size = bs;
    return 1;
}

/* r: what next_record returned, or -4 for a record that does not parse. */
static int read_error(const count_opts_t *o, int r, uint64_t voff)
{
    long long at = o->addr_base + (long long)(voff >> 16);
    if (r == 0)
        return rc_fail(RC_EINPUT, "%s: unexpected end of data near byte %lld", o->path, at);
    if (r == -2)
        return rc_fail(RC_EINPUT, "%s: truncated or corrupt BGZF block near byte %lld", o->path, at);
    return rc_fail(RC_EINPUT, "%s: invalid BAM record near byte %lld (corrupt file)", o->path, at);
}

static int check_record(const count_opts_t *o, const record_t *r, const tally_t *t, uint64_t voff)
{
    int tid = r->tid;
    if (tid < -1 || tid >= t->n_targets)
        return rc_fail(RC_EINPUT, "%s: record near byte %lld has reference id %d, the header has %d",
                       o->path, o->addr_base + (long long)(voff >> 16), tid, t->n_targets);
    if (o->check_sorted && t->n_records &&
        tally_coord_before(tid, r->pos, t->last_tid, t->last_pos))
        return rc_fail(RC_EINPUT,
                       "%s is not sorted by coordinate: record near byte %lld (reference id %d, "
                       "position %lld) comes after reference id %d, position %lld",
                       o->path, o->addr_base + (long long)(voff >> 16), tid,
                       (long long)r->pos + 1, t->last_tid, (long long)t->last_pos + 1);
    return 0;
}

/* The first record of a part could not be read where the index says one
 * starts: say what most likely happened. */
static int misplaced_start(const count_opts_t *o, uint64_t voff)
{
    return rc_fail(RC_EINPUT,
                   "%s: no record can be read at byte %lld, where the index says one starts: the "
                   "index does not belong to this BAM, or the BAM is not sorted (or is corrupt there)",
                   o->path, o->addr_base + (long long)(voff >> 16));
}

/* The next record, parsed: 1, or what next_record returns at the end or on
 * an error, or -4 for a record that does not parse. */
static inline int read_record(reader_t *rd, record_t *rec)
{
    const uint8_t *p;
    uint32_t block_size;
    int r = next_record(rd, &p, &block_size);
    return r == 1 && parse_record(p, block_size, rec) != 0 ? -4 : r;
}

int count_records(BGZF *fp, const count_opts_t *o, tally_t *t)
{
    reader_t rd = {.fp = fp};
    int rc = 0;
    uint64_t voff;
    while ((voff = bgzf_tell(fp)) < o->end) {
        record_t rec;
        int r = read_record(&rd, &rec);
        if (r <= 0) {
            if (r == -5)
                rc = rc_fail(RC_EINTERNAL, "out of memory");
            else if (r < 0 || o->end != PLAN_EOF) {
                rc = t->n_records == 0 && o->start_from_index ? misplaced_start(o, voff)
                                                               : read_error(o, r, voff);
                t->failed_at = o->addr_base + (int64_t)(voff >> 16);
            }
            break;
        }
        if ((rc = check_record(o, &rec, t, voff)) != 0)
            break;
        if (rec.tid >= 0) {
            t->records[rec.tid]++;
            t->reads[rec.tid] += counted(&rec);
        } else {
            t->unplaced++;
        }
        if (t->n_records++ == 0) {
            t->first_tid = rec.tid;
            t->first_pos = rec.pos;
        }
        t->last_tid = rec.tid;
        t->last_pos = rec.pos;
        if (o->progress && (t->n_records & (PROGRESS_EVERY - 1)) == 0)
            o->progress(o->progress_arg, voff);
    }
    if (rc == 0 && o->end != PLAN_EOF && voff != o->end)
        rc = rc_fail(RC_EINPUT,
                     "%s: a record crosses the split point at byte %lld: the index does not "
                     "belong to this BAM, or the BAM is not sorted",
                     o->path, o->addr_base + (long long)(o->end >> 16));
    free(rd.spill);
    return rc;
}

int count_unpositioned(BGZF *fp, int tid, const count_opts_t *o, uint64_t *skipped)
{
    reader_t rd = {.fp = fp};
    int rc = 0;
    for (;;) {
        uint64_t voff = bgzf_tell(fp);
        record_t rec;
        int r = read_record(&rd, &rec);
        if (r == 0)
            break;
        if (r < 0) {
            rc = read_error(o, r, voff);
            break;
        }
        if (rec.tid != tid || rec.pos != -1)
            break;
        *skipped += !counted(&rec);
    }
    free(rd.spill);
    return rc;
}
