/* count.c -- the counting engine; see count.h. */
#include "count.h"

#include <stdlib.h>
#include <string.h>
#include <htslib/cram.h>
#include <htslib/hfile.h>
#include <htslib/hts_endian.h>
#include <htslib/sam.h>

#include "htsx.h"
#include "rc.h"
#include "sweep.h"

/* How often count_records reports progress, in records (a power of 2). */
#define PROGRESS_EVERY (1u << 16)

/* ---- records in the decompressed stream --------------------------------- */

/* The fields of a BAM record that counting needs (SAM spec 4.2), read in
 * place from the decompressed data. */
typedef struct {
    int32_t tid;
    int64_t pos;
    uint16_t flag, n_cigar;
    uint8_t mapq;
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
    r->mapq = p[13];
    r->cigar = p + RECORD_FIXED + l_read_name;
    uint64_t need = 32 + (uint64_t)l_read_name + 4u * r->n_cigar + (l_seq + 1) / 2 + (uint64_t)l_seq;
    return block_size >= 32 && l_read_name > 0 && l_seq < (1u << 31) && need <= block_size &&
                   r->pos >= -1
               ? 0
               : -1;
}

/* The end of the record's span, as bam_endpos computes it: its position
 * plus the reference bases its CIGAR consumes, or plus 1 when it is
 * unmapped or consumes none. */
static inline int64_t end_position(const record_t *r)
{
    int64_t rlen = 0;
    if (!(r->flag & BAM_FUNMAP))
        for (int i = 0; i < r->n_cigar; i++) {
            uint32_t op = le_to_u32(r->cigar + 4 * i);
            if (bam_cigar_type(bam_cigar_op(op)) & 2)
                rlen += bam_cigar_oplen(op);
        }
    return r->pos + (rlen ? rlen : 1);
}

/* samtools' rule for a whole reference sequence, the region [0, end): the
 * record's end is past 0. Only records without a position (pos -1) need
 * the CIGAR. */
static inline int counted(const record_t *r) { return r->pos >= 0 || end_position(r) > 0; }

/* Count a record that carries a reference id into the regions it meets,
 * and into its whole reference sequence. */
static inline void count_record(const count_opts_t *o, sweep_t *sw, const record_t *r, tally_t *t)
{
    if (o->filter && !filter_pass(o->filter, r->flag, r->mapq))
        return;
    int in_ref = counted(r);
    t->counted[r->tid] += in_ref;
    if (!o->regions || regions_whole_refs(o->regions))
        t->counts[r->tid] += in_ref;
    else
        sweep_add(sw, r->tid, r->pos, end_position(r));
}

/* Reads records from a BGZF stream. A record that lies inside the current
 * block is used where it lies; one that spans blocks (or any record, on a
 * multi-threaded stream) is copied into spill. */
typedef struct {
    BGZF *fp;
    int threaded;          /* bgzf_mt: its blocks are not read in place */
    const count_opts_t *o; /* the path and offsets, for messages */
    uint8_t *spill;
    size_t spill_size;
} reader_t;

static long long file_offset(const count_opts_t *o, uint64_t voff)
{
    return o->addr_base + (long long)(voff >> 16);
}

static int truncated_at(const reader_t *rd, uint64_t voff)
{
    return rc_fail(RC_EINPUT, "%s: truncated or corrupt BGZF block near byte %lld", rd->o->path,
                   file_offset(rd->o, voff));
}

static int invalid_at(const reader_t *rd, uint64_t voff)
{
    return rc_fail(RC_EINPUT, "%s: invalid BAM record near byte %lld (corrupt file)", rd->o->path,
                   file_offset(rd->o, voff));
}

/* A record that spans blocks, copied into rd->spill. */
static int read_spilled(reader_t *rd, uint64_t voff, const uint8_t **rec, uint32_t *block_size)
{
    uint8_t len[4];
    ssize_t r = bgzf_read(rd->fp, len, 4);
    if (r == 0)
        return 0;
    if (r != 4)
        return truncated_at(rd, voff);
    uint32_t bs = le_to_u32(len);
    if (bs < 32 || bs > (1u << 30))
        return invalid_at(rd, voff);
    if (rd->spill_size < (size_t)bs + 4) {
        uint8_t *s = realloc(rd->spill, (size_t)bs + 4);
        if (!s)
            return rc_fail(RC_EINTERNAL, "out of memory for a record of %u bytes", bs);
        rd->spill = s;
        rd->spill_size = (size_t)bs + 4;
    }
    memcpy(rd->spill, len, 4);
    if (bgzf_read(rd->fp, rd->spill + 4, bs) != (ssize_t)bs)
        return truncated_at(rd, voff);
    *rec = rd->spill;
    *block_size = bs;
    return 1;
}

/* The record at voff, parsed. Returns 1, 0 at the end of the data, or an
 * error kind. */
static inline int read_record(reader_t *rd, uint64_t voff, record_t *rec)
{
    BGZF *fp = rd->fp;
    const uint8_t *p = NULL;
    uint32_t block_size = 0;
    int r = 0;
    if (!rd->threaded && (r = htsx_bgzf_fill(fp)) <= 0)
        return r == 0 ? 0 : truncated_at(rd, voff);
    if (rd->threaded || !htsx_bgzf_take_record(fp, &p, &block_size))
        r = read_spilled(rd, voff, &p, &block_size);
    if (r == 1 && parse_record(p, block_size, rec) != 0)
        return invalid_at(rd, voff);
    return r;
}

static int check_record(const count_opts_t *o, const record_t *r, const tally_t *t, uint64_t voff)
{
    int tid = r->tid;
    if (tid < -1 || tid >= t->n_targets)
        return rc_fail(RC_EINPUT, "%s: record near byte %lld has reference id %d, the header has %d",
                       o->path, file_offset(o, voff), tid, t->n_targets);
    if (o->check_sorted && t->n_records &&
        tally_coord_before(tid, r->pos, t->last_tid, t->last_pos))
        return rc_fail(RC_EINPUT,
                       "%s is not sorted by coordinate: record near byte %lld (reference id %d, "
                       "position %lld) comes after reference id %d, position %lld",
                       o->path, file_offset(o, voff), tid,
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
                   o->path, file_offset(o, voff));
}

/* Reading stopped before opts->end at voff with r (0: the data ended, or
 * the error kind): say why, and where for a reread. */
static int stopped_early(const count_opts_t *o, tally_t *t, uint64_t voff, int r)
{
    if (r == RC_EINTERNAL)
        return r; /* out of memory: nothing to reread */
    t->failed_at = file_offset(o, voff);
    if (t->n_records == 0 && o->start_from_index)
        return misplaced_start(o, voff);
    if (r == 0)
        return rc_fail(RC_EINPUT, "%s: unexpected end of data near byte %lld", o->path,
                       file_offset(o, voff));
    return r;
}

/* Check and add one record that was read at voff. */
static inline int add_record(const count_opts_t *o, sweep_t *sw, const record_t *rec, tally_t *t,
                             uint64_t voff)
{
    int rc = check_record(o, rec, t, voff);
    if (rc != 0)
        return rc;
    if (rec->tid >= 0) {
        t->records[rec->tid]++;
        t->unmapped[rec->tid] += (rec->flag & BAM_FUNMAP) != 0;
        count_record(o, sw, rec, t);
    } else {
        t->unplaced++;
    }
    if (t->n_records++ == 0) {
        t->first_tid = rec->tid;
        t->first_pos = rec->pos;
    }
    t->last_tid = rec->tid;
    t->last_pos = rec->pos;
    if (o->progress && (t->n_records & (PROGRESS_EVERY - 1)) == 0)
        o->progress(o->progress_arg, voff);
    return 0;
}

static int sweep_start(const count_opts_t *o, tally_t *t, sweep_t *sw)
{
    memset(sw, 0, sizeof *sw);
    return o->regions && !regions_whole_refs(o->regions) ? sweep_init(sw, o->regions, t->counts) : 0;
}

int count_records(BGZF *fp, const count_opts_t *o, tally_t *t)
{
    reader_t rd = {.fp = fp, .threaded = htsx_bgzf_threaded(fp), .o = o};
    sweep_t sw;
    int rc = sweep_start(o, t, &sw);
    uint64_t voff = bgzf_tell(fp);
    while (rc == 0 && (voff = bgzf_tell(fp)) < o->end) {
        record_t rec;
        int r = read_record(&rd, voff, &rec);
        if (r != 1) {
            if (r != 0 || o->end != ALNFILE_VOFF_END)
                rc = stopped_early(o, t, voff, r);
            break;
        }
        rc = add_record(o, &sw, &rec, t, voff);
    }
    if (rc == 0 && o->end != ALNFILE_VOFF_END && voff != o->end)
        rc = rc_fail(RC_EINPUT,
                     "%s: a record crosses the split point at byte %lld: the index does not "
                     "belong to this BAM, or the BAM is not sorted",
                     o->path, file_offset(o, o->end));
    sweep_free(&sw);
    free(rd.spill);
    return rc;
}

/* Where a CRAM stream has been read to, as the virtual offset of that
 * byte of the file (o->addr_base added). */
static uint64_t cram_voff(htsFile *fp, const count_opts_t *o)
{
    return (uint64_t)(o->addr_base + htell(cram_fd_get_fp(fp->fp.cram))) << 16;
}

int count_cram_records(htsFile *fp, sam_hdr_t *hdr, const count_opts_t *opts, tally_t *t)
{
    count_opts_t o = *opts;
    o.addr_base = 0; /* the offsets below are the file's already */
    bam1_t *b = bam_init1();
    sweep_t sw;
    int rc = b ? sweep_start(&o, t, &sw) : rc_fail(RC_EINTERNAL, "out of memory");
    int r = 0;
    while (rc == 0 && (r = sam_read1(fp, hdr, b)) >= 0) {
        const bam1_core_t *c = &b->core;
        record_t rec = {.tid = c->tid, .pos = c->pos, .flag = c->flag, .n_cigar = c->n_cigar,
                        .mapq = c->qual, .cigar = (const uint8_t *)bam_get_cigar(b)};
        rc = add_record(&o, &sw, &rec, t, cram_voff(fp, opts));
    }
    if (rc == 0 && r < -1) {
        t->failed_at = (int64_t)(cram_voff(fp, opts) >> 16);
        rc = rc_fail(RC_EINPUT, "%s: htslib cannot decode the records near byte %lld: the CRAM is "
                     "corrupt there%s", o.path, (long long)t->failed_at,
                     o.reference ? "" : ", or cannot be decoded without its reference (give it "
                                        "as the reference FASTA)");
    }
    if (b) {
        sweep_free(&sw);
        bam_destroy1(b);
    }
    return rc;
}

int count_unpositioned(BGZF *fp, int tid, const count_opts_t *o, uint64_t *skipped)
{
    reader_t rd = {.fp = fp, .threaded = htsx_bgzf_threaded(fp), .o = o};
    int r;
    record_t rec;
    while ((r = read_record(&rd, bgzf_tell(fp), &rec)) == 1 && rec.tid == tid && rec.pos == -1)
        *skipped += !counted(&rec);
    free(rd.spill);
    return r < 0 ? r : 0;
}
