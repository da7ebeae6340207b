/*
 * gen_bam.c - deterministic test-data generator for regcount.
 *
 *   gen_bam PROFILE OUT.bam [--seed N] [--size-mb N] [--index] [--level N]
 *                           [--fasta REF.fa]
 *                           [--threads N]
 *
 * Writes a BAM directly through htslib: every record is described by a small
 * rec_t (position, flags, CIGAR, fragment id, ...), the records of one
 * reference are sorted by position and then turned into bam1_t records with
 * bam_set1() and written with sam_write1(). Nothing needs sorting afterwards.
 * Everything random comes from a xoshiro256** generator seeded from --seed;
 * the bases and qualities of a record are derived from (seed, fragment id),
 * so the same arguments always give byte-identical output (also whatever
 * --threads is: BGZF blocks are compressed independently).
 *
 * Profiles (all coordinate-sorted with @HD SO:coordinate, except `unsorted`):
 *   small     12 references of 2-100 kb, a few thousand reads, every hard case.
 *   medium    21 references (8 Mbp down to 1 kb), ~10 MB of BAM, every hard
 *             case, in the first reference and at reference boundaries;
 *             chr1 has ~490 linear-index windows and ~250 BGZF blocks.
 *   manyrefs  5000 references of 100 bp-50 kb, reads on about a third.
 *   trap      focused on the "pos -1" trap (hard case 8).
 *   empty     a few @SQ lines, no records.
 *   nosq      no @SQ lines, a few unplaced unmapped reads.
 *   unplaced  @SQ lines, only unplaced unmapped reads.
 *   unsorted  `medium` with two records of chr1 (~2.0 and ~2.3 Mbp) swapped,
 *             header still saying SO:coordinate; `samtools index` refuses it.
 *   bench     --size-mb MB of realistic paired 150 bp Illumina-like reads on
 *             GRCh38 chr1..22,X,Y,M plus ~2500 small empty references.
 *
 * Hard cases (functions named hc_*; each profile says which it uses):
 *   1  placed unmapped reads: flag 0x4 with the tid/pos of the mapped mate
 *      (samtools counts them in that reference)            hc_placed_unmapped
 *   2  unplaced unmapped reads (tid -1, pos -1) at the end  hc_unplaced
 *   3  reads at pos 0, past the end (pos >= length) and running over the
 *      end of their reference                               hc_edges
 *   4  secondary, supplementary, duplicate, QC-fail flags   hc_flags
 *   5  empty references, first/last/runs                    (profile layouts)
 *   6  odd but legal names: "chr1" and "chr1:100" and "chr1:100-200" together,
 *      "HLA-DRB1*15:01:01:01", "ref|NC_001422.1|", "x.y=z;w", ...  ODD_NAMES
 *   7  thousands of small references                        profile_manyrefs
 *   8  the pos -1 trap: tid >= 0 but pos -1                  hc_trap
 *   9  long reads spanning many index bins (50M200000D50M, 100M50000N100M,
 *      10M1000000N10M)                                       hc_long_span
 *   10 records of very different sizes (no aux .. 6 kb Z tag) hc_long_aux
 *   11 mates on another reference                           hc_cross
 *
 * Record names tell what a record is for: ordinary reads have Illumina-like
 * names, hard-case records are "<case>.<n>" (e.g. "trap_b.3", "past_end.12"),
 * so `samtools view -e 'qname=~"^trap_"'` picks them out.
 *
 * Expected counts: `samtools view -c BAM '{name}'` counts every record whose
 * RNAME is name, whatever its flags (placed unmapped, secondary, past the end
 * included), except the trap records named trap_[acdef].N (see hc_trap).
 *
 * Notes for users of the files:
 *  - nosq has no @SQ, so plain `samtools quickcheck` rejects it ("had no
 *    targets in header"); `samtools quickcheck -u` accepts it.
 *  - without braces, `samtools view -c BAM chr1:100` is refused as ambiguous
 *    when both chr1 and chr1:100 exist, yet samtools exits 0 and prints 0;
 *    always use '{name}'.
 *  - every profile has at most one pos -1 record per reference: two make
 *    `samtools index` fail (see hc_trap).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/sam.h>

#define DEFAULT_SEED 20240607u
#define MAX_CIGAR 5
#define GENOME_BITS 22 /* 4 Mi pseudo-random bases shared by all references */
#define GENOME_MASK ((1u << GENOME_BITS) - 1)

/* ---- PRNG: xoshiro256**, seeded through splitmix64 ---------------------- */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Independent streams: one per (seed, stream) pair. */
static void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = mix64(seed + 0x632be59bd9b4e019ULL) ^ mix64(stream * 0x9e3779b97f4a7c15ULL + 1);
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(x);
    }
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi], inclusive. */
static inline int64_t rng_range(rng_t *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

static inline int rng_chance(rng_t *r, double p)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

/* ---- data structures ----------------------------------------------------- */

/* What a record is for; hard-case records are named "<label>.<id>". */
enum label {
    L_READ, /* ordinary read: Illumina-style name */
    L_TRAP_A, L_TRAP_B, L_TRAP_C, L_TRAP_D, L_TRAP_E, L_TRAP_F, L_TRAP_G,
    L_POS0, L_PAST_END, L_OVER_END, L_PLACED_UNMAPPED, L_UNPLACED,
    L_FLAGS, L_LONG_SPAN, L_CROSS, L_LONG_AUX,
};
static const char *const LABEL_NAME[] = {
    "read",
    "trap_a", "trap_b", "trap_c", "trap_d", "trap_e", "trap_f", "trap_g",
    "pos0", "past_end", "over_end", "placed_unmapped", "unplaced",
    "flags", "long_span", "cross_ref", "long_aux",
};

/* Which aux tags a record gets (hard case 10: record sizes vary). */
enum aux_kind {
    AUX_STD,  /* NM, MD, AS, XS, RG (unmapped: RG only) */
    AUX_RG,   /* RG only */
    AUX_NONE, /* no tags at all */
    AUX_LONG, /* AUX_STD plus XL:Z with 200-6200 characters */
};

/* One record to write. 64 bytes; the bases and qualities are made at write
 * time from (seed, id, sub). */
typedef struct {
    uint64_t id;     /* fragment id; both mates share it */
    uint32_t order;  /* creation order: tie-break among equal positions */
    int32_t tid, pos; /* pos 0-based, -1 = none */
    int32_t mtid, mpos, isize;
    uint32_t cigar[MAX_CIGAR];
    uint16_t flag;
    uint16_t l_seq;
    uint8_t n_cigar, mapq, label, aux, sub; /* sub: 0 read1/single, 1 read2, 2 secondary, 3 supplementary */
} rec_t;

typedef struct {
    rec_t *a;
    size_t n, m;
} recvec_t;

typedef struct {
    uint32_t op[MAX_CIGAR];
    int n;
} cigar_t;

/* One alignment of a pair, before the pair flags are worked out. */
typedef struct {
    int32_t tid, pos;
    cigar_t cig;     /* n == 0: no CIGAR */
    int l_seq;
    uint16_t flags;  /* own flags: BAM_FUNMAP, BAM_FREVERSE, BAM_FDUP, ... */
    uint8_t mapq;
} aln_t;

/* Ordinary paired reads. */
typedef struct {
    int read_len, isize_min, isize_max;
    double p_clip, p_indel;           /* non-trivial CIGARs */
    double p_dup, p_qcfail;           /* per fragment */
    double p_secondary, p_supp;       /* extra records per fragment */
    double p_mate_unmapped;           /* one mate unmapped, placed */
    double p_mapq0, p_mapq_low;       /* per read */
    double p_aux_long, p_aux_rg, p_aux_none;
} model_t;

typedef struct {
    char *name;
    int64_t len;
} ref_t;

typedef struct {
    /* options */
    const char *profile, *out;
    uint64_t seed;
    int64_t size_mb;
    int level, threads, index;
    const char *fasta; /* --fasta: where to write the reference */
    const char *samples; /* --sample: the SM of each read group, comma-separated */
    int one_x;         /* --sex XY: one chrX (half the reads) and a chrY */
    int tiny;          /* --tiny: cohort with a tenth of the reads, few hard cases */

    rng_t rng; /* profile-level decisions; only used while setting up */

    /* references and the records to write on each */
    ref_t *refs;
    int n_refs, m_refs;
    recvec_t *recs;         /* per tid */
    recvec_t unplaced;      /* tid -1, written last in insertion order */
    uint64_t *n_frags;      /* ordinary fragments still to generate per tid */
    uint64_t n_unplaced_frags; /* ordinary unplaced pairs to generate at the end */
    model_t model;
    uint32_t next_order;
    uint64_t next_id;       /* ids of hard-case records */
    int swap_tid;           /* `unsorted`: swap two records on this tid */
    int32_t swap_pos[2];

    char *genome;           /* pseudo-random reference bases */

    /* output */
    samFile *fp;
    sam_hdr_t *hdr;
    bam1_t *b;
    kstring_t qname, md, xl;
    char *seq;
    uint8_t *qual;
    int mm[8];

    /* progress */
    uint64_t n_written, bytes_raw;
    double t0, t_last;
    double est_bytes_per_rec; /* bench: compressed size estimate, for progress */
} gen_t;

/* ---- errors and small helpers ---------------------------------------------- */

static void die(const gen_t *g, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(const gen_t *g, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "gen_bam: %s: ", g && g->out ? g->out : "error");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xrealloc(const gen_t *g, void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die(g, "out of memory (%zu bytes)", n);
    return q;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *xstrdup(const gen_t *g, const char *s)
{
    char *d = strdup(s);
    if (!d) die(g, "out of memory");
    return d;
}

/* ---- CIGARs ---------------------------------------------------------------- */

/* Parse a CIGAR string; programming errors abort. */
static cigar_t cig(const char *s)
{
    cigar_t c = { .n = 0 };
    while (*s) {
        char *end;
        unsigned long len = strtoul(s, &end, 10);
        const char *ops = "MIDNSHP=X";
        const char *o = *end ? strchr(ops, *end) : NULL;
        if (end == s || !o || c.n == MAX_CIGAR) {
            fprintf(stderr, "gen_bam: internal error: bad CIGAR \"%s\"\n", s);
            abort();
        }
        c.op[c.n++] = bam_cigar_gen(len, o - ops);
        s = end + 1;
    }
    return c;
}

static cigar_t cig_m(int len)
{
    cigar_t c = { .n = 1 };
    c.op[0] = bam_cigar_gen(len, BAM_CMATCH);
    return c;
}

/* Reference bases the CIGAR consumes (0 for none; bam_endpos() then uses 1). */
static int64_t cig_rlen(const cigar_t *c)
{
    return bam_cigar2rlen(c->n, c->op);
}

static int cig_qlen(const cigar_t *c)
{
    return (int)bam_cigar2qlen(c->n, c->op);
}

/* ---- references and record lists ------------------------------------------ */

static int ref_add(gen_t *g, const char *name, int64_t len)
{
    if (g->n_refs == g->m_refs) {
        g->m_refs = g->m_refs ? 2 * g->m_refs : 64;
        g->refs = xrealloc(g, g->refs, g->m_refs * sizeof *g->refs);
    }
    g->refs[g->n_refs].name = xstrdup(g, name);
    g->refs[g->n_refs].len = len;
    return g->n_refs++;
}

/* Call once all references are added. */
static void refs_done(gen_t *g)
{
    g->recs = calloc(g->n_refs ? g->n_refs : 1, sizeof *g->recs);
    g->n_frags = calloc(g->n_refs ? g->n_refs : 1, sizeof *g->n_frags);
    if (!g->recs || !g->n_frags) die(g, "out of memory");
}

static void vec_push(gen_t *g, recvec_t *v, const rec_t *r)
{
    if (v->n == v->m) {
        v->m = v->m ? v->m + v->m / 2 : 256;
        v->a = xrealloc(g, v->a, v->m * sizeof *v->a);
    }
    v->a[v->n] = *r;
    v->a[v->n].order = g->next_order++;
    v->n++;
}

/* Push to the record's own reference, or to the unplaced list. */
static void rec_push(gen_t *g, const rec_t *r)
{
    vec_push(g, r->tid >= 0 ? &g->recs[r->tid] : &g->unplaced, r);
}

static void rec_set_cigar(rec_t *r, const cigar_t *c)
{
    r->n_cigar = (uint8_t)c->n;
    memcpy(r->cigar, c->op, sizeof r->cigar);
}

/* A record from one alignment, no mate. */
static rec_t rec_from_aln(const aln_t *a, uint64_t id, int label, int aux, int sub)
{
    rec_t r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.tid = a->tid;
    r.pos = a->pos;
    r.mtid = -1;
    r.mpos = -1;
    r.flag = a->flags;
    r.mapq = a->mapq;
    r.l_seq = (uint16_t)a->l_seq;
    r.label = (uint8_t)label;
    r.aux = (uint8_t)aux;
    r.sub = (uint8_t)sub;
    rec_set_cigar(&r, &a->cig);
    return r;
}

/* An alignment on tid at pos; l_seq from the CIGAR, or `len` if none. */
static aln_t aln(int32_t tid, int32_t pos, const char *cigar, int len, uint16_t flags, uint8_t mapq)
{
    aln_t a = { .tid = tid, .pos = pos, .flags = flags, .mapq = mapq };
    if (cigar) a.cig = cig(cigar);
    a.l_seq = a.cig.n ? cig_qlen(&a.cig) : len;
    return a;
}

/* Fill the two records of a pair: pair/mate flags, mate fields and TLEN the
 * way aligners do (an unmapped mate takes the tid/pos of the mapped one). */
static void make_pair(const aln_t *a1, const aln_t *a2, uint64_t id, int label, int proper,
                      rec_t *r1, rec_t *r2)
{
    *r1 = rec_from_aln(a1, id, label, AUX_STD, 0);
    *r2 = rec_from_aln(a2, id, label, AUX_STD, 1);
    r1->flag |= BAM_FPAIRED | BAM_FREAD1;
    r2->flag |= BAM_FPAIRED | BAM_FREAD2;
    int m1 = !(a1->flags & BAM_FUNMAP), m2 = !(a2->flags & BAM_FUNMAP);
    if (proper && m1 && m2) {
        r1->flag |= BAM_FPROPER_PAIR;
        r2->flag |= BAM_FPROPER_PAIR;
    }
    if (!m2) r1->flag |= BAM_FMUNMAP;
    if (!m1) r2->flag |= BAM_FMUNMAP;
    if (a2->flags & BAM_FREVERSE) r1->flag |= BAM_FMREVERSE;
    if (a1->flags & BAM_FREVERSE) r2->flag |= BAM_FMREVERSE;
    r1->mtid = a2->tid;
    r1->mpos = a2->pos;
    r2->mtid = a1->tid;
    r2->mpos = a1->pos;
    if (m1 && m2 && a1->tid == a2->tid) {
        int64_t e1 = a1->pos + (cig_rlen(&a1->cig) ? cig_rlen(&a1->cig) : 1);
        int64_t e2 = a2->pos + (cig_rlen(&a2->cig) ? cig_rlen(&a2->cig) : 1);
        int64_t beg = a1->pos < a2->pos ? a1->pos : a2->pos;
        int64_t end = e1 > e2 ? e1 : e2;
        int32_t t = (int32_t)(end - beg);
        int left1 = a1->pos <= a2->pos;
        r1->isize = left1 ? t : -t;
        r2->isize = left1 ? -t : t;
    }
}

static void add_pair(gen_t *g, const aln_t *a1, const aln_t *a2, int label, int proper)
{
    rec_t r1, r2;
    make_pair(a1, a2, g->next_id++, label, proper, &r1, &r2);
    rec_push(g, &r1);
    rec_push(g, &r2);
}

static void add_single(gen_t *g, const aln_t *a, int label, int aux)
{
    rec_t r = rec_from_aln(a, g->next_id++, label, aux, 0);
    rec_push(g, &r);
}

static int32_t clamp_pos(const gen_t *g, int tid, int64_t pos)
{
    int64_t len = g->refs[tid].len;
    if (pos < 0) pos = 0;
    if (pos >= len) pos = len - 1;
    return (int32_t)pos;
}

/* ---- ordinary reads -------------------------------------------------------- */

static const model_t ILLUMINA_MODEL = {
    .read_len = 150, .isize_min = 300, .isize_max = 500,
    .p_clip = 0.04, .p_indel = 0.03,
    .p_dup = 0.03, .p_qcfail = 0.003,
    .p_secondary = 0.004, .p_supp = 0.006,
    .p_mate_unmapped = 0.008,
    .p_mapq0 = 0.03, .p_mapq_low = 0.03,
    .p_aux_long = 0.0005, .p_aux_rg = 0.002, .p_aux_none = 0.001,
};

static cigar_t random_cigar(rng_t *rr, const model_t *m, int rl)
{
    cigar_t c = { .n = 0 };
    uint64_t u = rng_below(rr, 1000);
    if (u < m->p_clip * 1000) {
        int s = (int)rng_range(rr, 3, 40);
        if (rng_below(rr, 2)) {
            c.op[c.n++] = bam_cigar_gen(s, BAM_CSOFT_CLIP);
            c.op[c.n++] = bam_cigar_gen(rl - s, BAM_CMATCH);
        } else {
            c.op[c.n++] = bam_cigar_gen(rl - s, BAM_CMATCH);
            c.op[c.n++] = bam_cigar_gen(s, BAM_CSOFT_CLIP);
        }
    } else if (u < (m->p_clip + m->p_indel) * 1000) {
        int a = (int)rng_range(rr, 20, rl - 30), k = (int)rng_range(rr, 1, 6);
        int ins = (int)rng_below(rr, 2);
        c.op[c.n++] = bam_cigar_gen(a, BAM_CMATCH);
        c.op[c.n++] = bam_cigar_gen(k, ins ? BAM_CINS : BAM_CDEL);
        c.op[c.n++] = bam_cigar_gen(rl - a - (ins ? k : 0), BAM_CMATCH);
    } else {
        c.op[c.n++] = bam_cigar_gen(rl, BAM_CMATCH);
    }
    return c;
}

static uint8_t random_mapq(rng_t *rr, const model_t *m)
{
    double u = (double)(rng_next(rr) >> 11) * 0x1.0p-53;
    if (u < m->p_mapq0) return 0;
    if (u < m->p_mapq0 + m->p_mapq_low) return (uint8_t)rng_range(rr, 1, 59);
    return 60;
}

static uint8_t random_aux(rng_t *rr, const model_t *m)
{
    double u = (double)(rng_next(rr) >> 11) * 0x1.0p-53;
    if (u < m->p_aux_long) return AUX_LONG;
    if (u < m->p_aux_long + m->p_aux_rg) return AUX_RG;
    if (u < m->p_aux_long + m->p_aux_rg + m->p_aux_none) return AUX_NONE;
    return AUX_STD;
}

/* One ordinary fragment somewhere in [beg, beg+span) of tid: a proper pair
 * (FR orientation, insert 300-500), sometimes a duplicate or QC-fail, sometimes
 * with one mate unmapped (placed), sometimes with an extra secondary or
 * supplementary record elsewhere in the window. Records go to dst. */
static void add_fragment(gen_t *g, recvec_t *dst, int32_t tid, int64_t beg, int64_t span,
                         uint64_t id, rng_t *rr)
{
    const model_t *m = &g->model;
    int rl = m->read_len;
    int isize = (int)((rng_range(rr, m->isize_min, m->isize_max) +
                       rng_range(rr, m->isize_min, m->isize_max)) / 2);
    int64_t start = span > isize ? beg + (int64_t)rng_below(rr, span - isize + 1)
                                 : beg + (int64_t)rng_below(rr, span > 0 ? span : 1);
    aln_t a[2];
    for (int k = 0; k < 2; k++) {
        a[k].tid = tid;
        a[k].cig = random_cigar(rr, m, rl);
        a[k].l_seq = rl;
        a[k].mapq = random_mapq(rr, m);
        a[k].flags = k ? BAM_FREVERSE : 0;
    }
    a[0].pos = (int32_t)start;
    int64_t p1 = start + isize - cig_rlen(&a[1].cig);
    a[1].pos = (int32_t)(p1 > start ? p1 : start);

    uint16_t both = 0;
    if (rng_chance(rr, m->p_dup)) both |= BAM_FDUP;
    if (rng_chance(rr, m->p_qcfail)) both |= BAM_FQCFAIL;
    a[0].flags |= both;
    a[1].flags |= both;
    int proper = 1;
    if (rng_chance(rr, m->p_mate_unmapped)) {
        int u = (int)rng_below(rr, 2);
        a[u].flags = BAM_FUNMAP | both;
        a[u].pos = a[1 - u].pos;
        a[u].cig.n = 0;
        a[u].mapq = 0;
        proper = 0;
    }
    int r1_left = (int)rng_below(rr, 2);
    rec_t r[2];
    make_pair(&a[r1_left ? 0 : 1], &a[r1_left ? 1 : 0], id, L_READ, proper, &r[0], &r[1]);
    r[0].aux = random_aux(rr, m);
    r[1].aux = random_aux(rr, m);
    vec_push(g, dst, &r[0]);
    vec_push(g, dst, &r[1]);

    int which = (int)rng_below(rr, 2);
    if (rng_chance(rr, m->p_secondary) && !(r[which].flag & BAM_FUNMAP)) {
        rec_t s = r[which];
        s.sub = 2;
        s.flag = (s.flag | BAM_FSECONDARY) & ~BAM_FPROPER_PAIR;
        s.pos = (int32_t)(beg + (int64_t)rng_below(rr, span > 0 ? span : 1));
        s.mapq = 0;
        cigar_t c = cig_m(rl);
        rec_set_cigar(&s, &c);
        s.l_seq = (uint16_t)rl;
        s.isize = 0;
        vec_push(g, dst, &s);
    }
    if (rng_chance(rr, m->p_supp) && !(r[which].flag & BAM_FUNMAP)) {
        rec_t s = r[which];
        s.sub = 3;
        s.flag = (s.flag | BAM_FSUPPLEMENTARY) & ~BAM_FPROPER_PAIR;
        s.pos = (int32_t)(beg + (int64_t)rng_below(rr, span > 0 ? span : 1));
        s.mapq = (uint8_t)rng_range(rr, 0, 60);
        int h = (int)rng_range(rr, 30, rl - 30);
        cigar_t c = { .n = 2 };
        if (rng_below(rr, 2)) {
            c.op[0] = bam_cigar_gen(h, BAM_CHARD_CLIP);
            c.op[1] = bam_cigar_gen(rl - h, BAM_CMATCH);
        } else {
            c.op[0] = bam_cigar_gen(rl - h, BAM_CMATCH);
            c.op[1] = bam_cigar_gen(h, BAM_CHARD_CLIP);
        }
        rec_set_cigar(&s, &c);
        s.l_seq = (uint16_t)(rl - h);
        s.isize = 0;
        vec_push(g, dst, &s);
    }
}

/* Ordinary fragment ids: (tid+1) << 36 | k, so they never meet the hard-case
 * ids (small numbers) and stay the same whatever else the profile adds. */
static uint64_t frag_id(int32_t tid, uint64_t k)
{
    return ((uint64_t)(tid + 1) << 36) | k;
}

static void add_fragments(gen_t *g, int32_t tid, uint64_t n)
{
    rng_t rr;
    rng_seed(&rr, g->seed, 1000003u + (uint64_t)tid);
    for (uint64_t k = 0; k < n; k++)
        add_fragment(g, &g->recs[tid], tid, 0, g->refs[tid].len, frag_id(tid, k), &rr);
}

/* Ordinary unplaced pairs: both mates unmapped, no reference. */
static void add_unplaced_fragments(gen_t *g, uint64_t n)
{
    rng_t rr;
    rng_seed(&rr, g->seed, 999983u);
    for (uint64_t k = 0; k < n; k++) {
        aln_t a = aln(-1, -1, NULL, g->model.read_len, BAM_FUNMAP, 0);
        rec_t r1, r2;
        make_pair(&a, &a, ((uint64_t)0xfff << 36) | k, L_READ, 0, &r1, &r2);
        r1.aux = r2.aux = AUX_RG;
        if (rng_chance(&rr, g->model.p_qcfail)) {
            r1.flag |= BAM_FQCFAIL;
            r2.flag |= BAM_FQCFAIL;
        }
        vec_push(g, &g->unplaced, &r1);
        vec_push(g, &g->unplaced, &r2);
    }
}

/* ---- hard cases -------------------------------------------------------------- */

/*
 * Hard case 8, the pos -1 trap: records with a reference (tid >= 0) but no
 * position (BAM pos -1, SAM POS 0). They sort before every pos-0 read of the
 * reference. samtools counts a record in a region only if its end
 * (bam_endpos: pos + reference length of the CIGAR, where the length is taken
 * as 1 when there is no CIGAR, the CIGAR consumes no reference, or the record
 * is unmapped) is past the region start, so from pos -1 only a mapped record
 * whose CIGAR covers at least 2 reference bases counts.
 *
 * Observed with samtools 1.16.1 / htslib 1.16 on `gen_bam trap` (each
 * sub-case alone on a reference "trap_X_only", and mixed with ~300 ordinary
 * reads; counts compared with the same file without the trap records):
 *   case  flag  CIGAR  end   `samtools view -c BAM '{ref}'`   idxstats says
 *   (a)   0x4   none    0    not counted (alone: 0)           unmapped
 *   (b)   0     10M     9    counted     (alone: 1; +1 mixed) mapped
 *   (c)   0x4   10M     0    not counted (alone: 0)           unmapped
 *   (d)   0     1M      0    not counted (alone: 0)           mapped
 *   (e)   0     5S      0    not counted (alone: 0)           mapped
 *   (f)   0     none    0    not counted (alone: 0)           mapped
 *   (g)   0     2M      1    counted     (alone: 1; +1 mixed) mapped
 * ((g) is an extra: the smallest CIGAR that counts.) So `samtools idxstats`
 * mapped+unmapped is not the `view -c` count: it counts (a)-(g) all, by the
 * unmapped flag alone.
 *
 * AT MOST ONE pos -1 record per reference: htslib's indexer (hts_idx_push)
 * moves pos -1 to 0 and then remembers 0 as the last position, so a second
 * pos -1 record on the same reference fails `samtools index` with
 * "Unsorted positions on sequence #1: 1 followed by 0", whatever the flags.
 * A single one followed by pos-0 reads indexes fine.
 *
 * bam_set1() accepts tid >= 0 with pos -1; it only refuses (f), a mapped
 * record with bases but no CIGAR, so (f) is built as unmapped and its flag
 * cleared afterwards (build_record). None of them can be made from SAM text:
 * htslib's SAM parser gives any record with POS 0 tid -1 (RNAME "*"), and
 * also sets 0x4 on a mapped one ("mapped query cannot have zero coordinate").
 */
static void hc_trap(gen_t *g, int32_t tid, char which)
{
    static const struct {
        uint16_t flag;
        const char *cigar;
    } T[] = {
        ['a' - 'a'] = { BAM_FUNMAP, NULL },
        ['b' - 'a'] = { 0, "10M" },
        ['c' - 'a'] = { BAM_FUNMAP, "10M" },
        ['d' - 'a'] = { 0, "1M" },
        ['e' - 'a'] = { 0, "5S" },
        ['f' - 'a'] = { 0, NULL },
        ['g' - 'a'] = { 0, "2M" },
    };
    int i = which - 'a';
    aln_t a = aln(tid, -1, T[i].cigar, 10, T[i].flag, T[i].flag & BAM_FUNMAP ? 0 : 37);
    add_single(g, &a, L_TRAP_A + i, AUX_RG);
}

/* Hard case 1: pairs whose unmapped mate carries the mapped mate's tid/pos
 * (at pos; once with read1 unmapped, once with read2 unmapped). */
static void hc_placed_unmapped(gen_t *g, int32_t tid, int64_t pos)
{
    int32_t p = clamp_pos(g, tid, pos);
    aln_t m = aln(tid, p, "150M", 0, 0, 60);
    aln_t u = aln(tid, p, NULL, 150, BAM_FUNMAP, 0);
    add_pair(g, &m, &u, L_PLACED_UNMAPPED, 0);
    m.flags = BAM_FREVERSE;
    add_pair(g, &u, &m, L_PLACED_UNMAPPED, 0);
}

/* Hard case 2: unplaced unmapped pairs and single reads (tid -1, pos -1). */
static void hc_unplaced(gen_t *g, int pairs, int singles)
{
    aln_t u = aln(-1, -1, NULL, 150, BAM_FUNMAP, 0);
    for (int i = 0; i < pairs; i++) add_pair(g, &u, &u, L_UNPLACED, 0);
    for (int i = 0; i < singles; i++) {
        aln_t s = aln(-1, -1, NULL, 50 + 40 * i, BAM_FUNMAP | (i % 2 ? BAM_FQCFAIL : 0), 0);
        add_single(g, &s, L_UNPLACED, i % 3 ? AUX_RG : AUX_NONE);
    }
}

/* Hard case 3: reads at pos 0 (pairs, reverse, soft-clipped, placed unmapped),
 * reads running over the end, and reads placed at/after the end. */
static void hc_edges(gen_t *g, int32_t tid)
{
    int32_t len = (int32_t)g->refs[tid].len;
    aln_t a = aln(tid, 0, "100M", 0, 0, 60);
    aln_t b = aln(tid, len > 400 ? 250 : 0, "100M", 0, BAM_FREVERSE, 60);
    add_pair(g, &a, &b, L_POS0, 1);
    a = aln(tid, 0, "20S80M", 0, BAM_FREVERSE, 60);
    add_single(g, &a, L_POS0, AUX_STD);
    a = aln(tid, 0, "1M", 0, 0, 0);
    add_single(g, &a, L_POS0, AUX_NONE);
    hc_placed_unmapped(g, tid, 0);

    /* over the end: starts inside, ends outside */
    a = aln(tid, len > 30 ? len - 30 : 0, "100M", 0, 0, 60);
    add_single(g, &a, L_OVER_END, AUX_STD);
    a = aln(tid, len - 1, "50M", 0, BAM_FREVERSE, 60);
    b = aln(tid, len - 1, NULL, 150, BAM_FUNMAP, 0);
    add_pair(g, &a, &b, L_OVER_END, 0); /* with its unmapped mate placed at len-1 */

    /* past the end: pos >= length */
    a = aln(tid, len, "100M", 0, 0, 60);
    add_single(g, &a, L_PAST_END, AUX_STD);
    a = aln(tid, len + 1000, "100M", 0, BAM_FREVERSE, 3);
    b = aln(tid, len + 1000, NULL, 150, BAM_FUNMAP, 0);
    add_pair(g, &a, &b, L_PAST_END, 0);
}

/* Hard case 4: every flag that `samtools view -c` must not filter, near pos. */
static void hc_flags(gen_t *g, int32_t tid, int64_t pos)
{
    int32_t p = clamp_pos(g, tid, pos);
    aln_t a = aln(tid, p, "100M", 0, BAM_FSECONDARY, 0);
    add_single(g, &a, L_FLAGS, AUX_STD);
    a = aln(tid, p, "40H60M", 0, BAM_FSUPPLEMENTARY | BAM_FREVERSE, 20);
    add_single(g, &a, L_FLAGS, AUX_STD);
    a = aln(tid, p, "100M", 0, BAM_FDUP, 60);
    aln_t b = aln(tid, clamp_pos(g, tid, p + 200), "100M", 0, BAM_FDUP | BAM_FREVERSE, 60);
    add_pair(g, &a, &b, L_FLAGS, 1);
    a.flags = BAM_FQCFAIL;
    b.flags = BAM_FQCFAIL | BAM_FREVERSE;
    add_pair(g, &a, &b, L_FLAGS, 1);
    a = aln(tid, p, "100M", 0, BAM_FSECONDARY | BAM_FDUP | BAM_FQCFAIL | BAM_FSUPPLEMENTARY, 0);
    add_single(g, &a, L_FLAGS, AUX_RG);
    a = aln(tid, p, NULL, 100, BAM_FUNMAP | BAM_FQCFAIL | BAM_FDUP, 0);
    add_single(g, &a, L_FLAGS, AUX_NONE); /* single placed unmapped, dup + QC-fail */
}

/* Hard case 9: reads whose CIGAR covers many index bins and linear-index
 * windows, starting at pos. */
static void hc_long_span(gen_t *g, int32_t tid, int64_t pos)
{
    int32_t p = clamp_pos(g, tid, pos);
    aln_t a = aln(tid, p, "50M200000D50M", 0, 0, 60);
    add_single(g, &a, L_LONG_SPAN, AUX_STD);
    a = aln(tid, clamp_pos(g, tid, p + 500), "100M50000N100M", 0, BAM_FREVERSE, 60);
    add_single(g, &a, L_LONG_SPAN, AUX_STD);
    a = aln(tid, clamp_pos(g, tid, p + 1000), "10M1000000N10M", 0, 0, 60);
    add_single(g, &a, L_LONG_SPAN, AUX_RG);
}

/* Hard case 11: a proper-looking pair split over two references. */
static void hc_cross(gen_t *g, int32_t tid1, int64_t pos1, int32_t tid2, int64_t pos2)
{
    aln_t a = aln(tid1, clamp_pos(g, tid1, pos1), "150M", 0, 0, 60);
    aln_t b = aln(tid2, clamp_pos(g, tid2, pos2), "150M", 0, BAM_FREVERSE, 25);
    add_pair(g, &a, &b, L_CROSS, 0);
}

/* Hard case 10: records of very different sizes at pos. */
static void hc_long_aux(gen_t *g, int32_t tid, int64_t pos)
{
    int32_t p = clamp_pos(g, tid, pos);
    static const char *const C[] = { "150M", "30M", "1M", "250M" };
    static const uint8_t A[] = { AUX_LONG, AUX_NONE, AUX_NONE, AUX_LONG };
    for (int i = 0; i < 4; i++) {
        aln_t a = aln(tid, p, C[i], 0, i % 2 ? BAM_FREVERSE : 0, 60);
        add_single(g, &a, L_LONG_AUX, A[i]);
    }
}

/* Every per-reference hard case at once (except the trap). */
static void hc_all_on(gen_t *g, int32_t tid)
{
    int64_t len = g->refs[tid].len;
    hc_edges(g, tid);
    hc_flags(g, tid, len / 3);
    hc_placed_unmapped(g, tid, len / 2);
    hc_long_aux(g, tid, 2 * len / 3);
}

/* Hard case 6: legal but awkward reference names. */
static const char *const ODD_NAMES[] = {
    "chr1", "chr1:100", "chr1:100-200", "HLA-DRB1*15:01:01:01",
    "HLA-A*01:01:01:01", "ref|NC_001422.1|", "x.y=z;w",
    "chrUn_JTFH01000001v1_decoy", "~odd!#$%&+?@^_|-name", "1:2-3",
};
#define N_ODD_NAMES (int)(sizeof ODD_NAMES / sizeof ODD_NAMES[0])

/* ---- profiles ----------------------------------------------------------------- */

/* Ordinary fragments at one per `bp_per_frag` bases, at least one. */
static void set_density(gen_t *g, int32_t tid, int64_t bp_per_frag)
{
    g->n_frags[tid] = (uint64_t)(g->refs[tid].len / bp_per_frag) + 1;
}

static void profile_small(gen_t *g)
{
    static const struct { const char *name; int64_t len; } R[] = {
        { "chr1", 100000 }, { "chr1:100", 5000 }, { "chr1:100-200", 3000 },
        { "HLA-DRB1*15:01:01:01", 11080 }, { "empty_1", 2000 }, { "empty_2", 2500 },
        { "ref|NC_001422.1|", 5386 }, { "x.y=z;w", 4000 },
        { "chrUn_JTFH01000001v1_decoy", 25000 }, { "~odd!#$%&+?@^_|-name", 7000 },
        { "chrM", 16569 }, { "empty_last", 3000 },
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) ref_add(g, R[i].name, R[i].len);
    refs_done(g);
    for (int tid = 0; tid < g->n_refs; tid++) {
        if (!strncmp(g->refs[tid].name, "empty", 5)) continue;
        set_density(g, tid, 100);
        hc_all_on(g, tid);
    }
    /* one trap record per reference at most (see hc_trap) */
    hc_trap(g, 0, 'f');  /* first reference */
    hc_trap(g, 1, 'a');
    hc_trap(g, 2, 'b');
    hc_trap(g, 3, 'd');
    hc_trap(g, 6, 'e');
    hc_trap(g, 7, 'g');
    hc_trap(g, 10, 'c');
    hc_long_span(g, 0, 1000);
    hc_cross(g, 0, 5000, 3, 100);
    hc_cross(g, 1, 4000, 0, 90000);
    hc_cross(g, 6, 10, 10, 16000);
    hc_unplaced(g, 5, 3);
}

static void profile_medium(gen_t *g)
{
    static const struct { const char *name; int64_t len; } R[] = {
        { "chr1", 8000000 }, { "chr1:100", 200000 }, { "chr1:100-200", 150000 },
        { "chr2", 5000000 }, { "empty_a", 50000 }, { "empty_b", 80000 },
        { "empty_c", 10000 }, { "chr3", 3000000 }, { "HLA-DRB1*15:01:01:01", 11080 },
        { "HLA-A*01:01:01:01", 3503 }, { "chr4_GL000008v2_random", 209709 },
        { "ref|NC_001422.1|", 5386 }, { "x.y=z;w", 40000 }, { "chr5", 1000000 },
        { "chrUn_KI270742v1", 186739 }, { "tiny", 1000 }, { "chrX", 1000000 },
        { "chrY", 300000 }, { "chrM", 16569 }, { "chrEBV", 171823 },
        { "empty_last", 5000 },
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) ref_add(g, R[i].name, R[i].len);
    refs_done(g);
    for (int tid = 0; tid < g->n_refs; tid++) {
        if (!strncmp(g->refs[tid].name, "empty", 5)) continue;
        set_density(g, tid, 330);
        hc_all_on(g, tid);
    }
    /* more of the flag cases spread through the large references */
    for (int i = 1; i <= 5; i++) {
        hc_flags(g, 0, i * 1500000 + 12345);
        hc_placed_unmapped(g, 3, i * 900000 + 777);
    }
    /* one trap record per reference at most (see hc_trap) */
    hc_trap(g, 0, 'b');                  /* first reference */
    hc_trap(g, 1, 'd');
    hc_trap(g, 2, 'e');
    hc_trap(g, 3, 'f');
    hc_trap(g, 7, 'g');
    hc_trap(g, 15, 'c');                 /* "tiny" */
    hc_trap(g, 19, 'a');                 /* last non-empty */
    hc_long_span(g, 0, 1000);            /* early in the first reference */
    hc_long_span(g, 0, 3000000);
    hc_long_span(g, 3, 20000);
    hc_long_span(g, 15, 0);              /* far past the end of "tiny" */
    hc_cross(g, 0, 100, 3, 4000000);
    hc_cross(g, 0, 7999000, 16, 10);
    hc_cross(g, 1, 199999, 8, 0);
    hc_cross(g, 7, 1500000, 0, 2500000);
    hc_cross(g, 19, 0, 0, 0);
    hc_unplaced(g, 20, 5);
}

/* `medium` with two chr1 records about 300 kb apart swapped. */
static void profile_unsorted(gen_t *g)
{
    profile_medium(g);
    g->swap_tid = 0;
    g->swap_pos[0] = 2000000;
    g->swap_pos[1] = 2300000;
}

static void profile_manyrefs(gen_t *g)
{
    const int n = 5000;
    char name[700];
    int *nonempty = calloc(n, sizeof *nonempty);
    if (!nonempty) die(g, "out of memory");
    for (int i = 0; i < n; i++) {
        int odd = -1;
        for (int k = 0; k < N_ODD_NAMES; k++)
            if (i == 1 + k * 499) odd = k; /* 1, 500, 999, ... */
        if (odd >= 0) {
            snprintf(name, sizeof name, "%s", ODD_NAMES[odd]);
        } else if (i == 10 || i == 2000 || i == 4500) {
            /* a few long names: 100, 254 and 600 characters */
            int want = i == 10 ? 100 : i == 2000 ? 254 : 600;
            int l = snprintf(name, sizeof name, "long_name_%d_", i);
            for (; l < want; l++) name[l] = "abcdefghijklmnopqrstuvwxyz0123456789._-"[(l * 7) % 39];
            name[want] = '\0';
        } else {
            snprintf(name, sizeof name, "s%d", i);
        }
        int e = (int)rng_below(&g->rng, 9);
        int64_t base = 100LL << e; /* 100 .. 25600 */
        int64_t len = base + (int64_t)rng_below(&g->rng, base);
        if (len > 50000) len = 50000;
        if (i == 4) len = 50000; /* room for long reads */
        ref_add(g, name, len);
        int empty_run = (i >= 200 && i <= 260) || i >= 4900 || i == 0;
        nonempty[i] = !empty_run && (odd >= 0 || i == 4 || rng_below(&g->rng, 3) == 0);
    }
    refs_done(g);
    int first = -1, last = -1, k = 0;
    for (int tid = 0; tid < n; tid++) {
        if (!nonempty[tid]) continue;
        if (first < 0) first = tid;
        last = tid;
        g->n_frags[tid] = 1 + rng_below(&g->rng, 8);
        if (k % 50 == 0) hc_edges(g, tid);
        if (k % 97 == 0) hc_flags(g, tid, g->refs[tid].len / 2);
        if (k % 101 == 0) hc_placed_unmapped(g, tid, g->refs[tid].len / 3);
        if (k % 211 == 0) hc_long_aux(g, tid, 0);
        k++;
    }
    /* one trap record per reference at most (see hc_trap) */
    hc_trap(g, first, 'b'); /* first non-empty reference */
    hc_trap(g, last, 'a');  /* last non-empty reference */
    for (int i = 0; i < 5; i++) hc_trap(g, 1 + (i + 1) * 499, (char)('c' + i));
    hc_long_span(g, 4, 0);
    hc_all_on(g, first);
    hc_all_on(g, last);
    for (int i = 0; i < 40; i++) {
        int32_t t1, t2;
        do t1 = (int32_t)rng_below(&g->rng, n); while (!nonempty[t1]);
        do t2 = (int32_t)rng_below(&g->rng, n); while (!nonempty[t2] || t2 == t1);
        hc_cross(g, t1, (int64_t)rng_below(&g->rng, g->refs[t1].len), t2,
                 (int64_t)rng_below(&g->rng, g->refs[t2].len));
    }
    hc_unplaced(g, 10, 3);
    free(nonempty);
}

/* Every trap sub-case (a)-(g) once on its own reference (count 0 or 1
 * with one record) and once mixed with ordinary reads; the first and last
 * references have one. */
static void profile_trap(gen_t *g)
{
    static const struct {
        const char *name;
        int64_t len;
        char trap;   /* 0: none */
        int reads;   /* ordinary reads and edge cases too */
    } R[] = {
        { "chr1", 60000, 'b', 1 },        /* first reference, counted trap */
        { "chr2", 40000, 'a', 1 },
        { "trap_c_only", 5000, 'c', 0 },
        { "chr4", 30000, 'd', 1 },
        { "empty", 10000, 0, 0 },
        { "trap_e_only", 5000, 'e', 0 },
        { "chr3:1-1000", 30000, 'f', 1 },
        { "trap_b_only", 5000, 'b', 0 },
        { "chr5", 20000, 'g', 1 },
        { "trap_f_only", 5000, 'f', 0 },
        { "trap_a_only", 5000, 'a', 0 },
        { "trap_d_only", 5000, 'd', 0 },
        { "trap_g_only", 5000, 'g', 0 },
        { "chr6", 25000, 'e', 1 },
        { "last", 20000, 'c', 1 },        /* last reference, uncounted trap */
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++) ref_add(g, R[i].name, R[i].len);
    refs_done(g);
    for (int tid = 0; tid < g->n_refs; tid++) {
        if (R[tid].trap) hc_trap(g, tid, R[tid].trap);
        if (!R[tid].reads) continue;
        set_density(g, tid, 200);
        hc_edges(g, tid);
        hc_flags(g, tid, 5000);
    }
    hc_cross(g, 0, 0, 14, 0);
    hc_unplaced(g, 3, 2);
}

static void profile_empty(gen_t *g)
{
    ref_add(g, "chr1", 248956422);
    ref_add(g, "chr1:100", 1000);
    ref_add(g, "HLA-DRB1*15:01:01:01", 11080);
    ref_add(g, "chrM", 16569);
    refs_done(g);
}

static void profile_nosq(gen_t *g)
{
    refs_done(g);
    hc_unplaced(g, 3, 2);
}

static void profile_unplaced(gen_t *g)
{
    ref_add(g, "chr1", 100000);
    ref_add(g, "chr1:100", 1000);
    ref_add(g, "chr2", 50000);
    refs_done(g);
    hc_unplaced(g, 25, 3);
}

/* GRCh38 primary assembly lengths. */
static const struct { const char *name; int64_t len; } GRCH38[] = {
    { "chr1", 248956422 }, { "chr2", 242193529 }, { "chr3", 198295559 },
    { "chr4", 190214555 }, { "chr5", 181538259 }, { "chr6", 170805979 },
    { "chr7", 159345973 }, { "chr8", 145138636 }, { "chr9", 138394717 },
    { "chr10", 133797422 }, { "chr11", 135086622 }, { "chr12", 133275309 },
    { "chr13", 114364328 }, { "chr14", 107043718 }, { "chr15", 101991189 },
    { "chr16", 90338345 }, { "chr17", 83257441 }, { "chr18", 80373285 },
    { "chr19", 58617616 }, { "chr20", 64444167 }, { "chr21", 46709983 },
    { "chr22", 50818468 }, { "chrX", 156040895 }, { "chrY", 57227415 },
    { "chrM", 16569 },
};
#define N_GRCH38 (int)(sizeof GRCH38 / sizeof GRCH38[0])

/* One sample of a cohort: GRCh38's sequences at 1/2000 of their length
 * (chrM whole), a fragment per 2000 bases, chrM at 25 times that; with
 * --sex XY chrX at half the density and chrY with reads, else chrY with a
 * few stray reads. Every hard case on chr1, trap records on chr2 and chrM,
 * unplaced reads at the end. --seed makes the samples differ; --tiny keeps
 * a tenth of the reads and a few hard cases. */
static void profile_cohort(gen_t *g)
{
    for (int i = 0; i < N_GRCH38; i++)
        ref_add(g, GRCH38[i].name, i == N_GRCH38 - 1 ? GRCH38[i].len : GRCH38[i].len / 2000);
    ref_add(g, "chrUn_KI270742v1", 18674);
    refs_done(g);
    for (int tid = 0; tid < g->n_refs; tid++) {
        const char *name = g->refs[tid].name;
        int64_t bp = 2000;
        if (!strcmp(name, "chrX") && g->one_x)
            bp = 4000;
        else if (!strcmp(name, "chrY"))
            bp = g->one_x ? 4000 : 100000;
        else if (!strcmp(name, "chrM"))
            bp = 80;
        /* a little noise between samples of the same sex */
        bp *= g->tiny ? 10 : 1;
        set_density(g, tid, bp + (int64_t)rng_below(&g->rng, bp / 10 + 1));
    }
    if (g->tiny) { /* hundreds of files: small, with the pos -1 and unplaced reads */
        hc_trap(g, 1, 'b');
        hc_placed_unmapped(g, 2, 1000);
        hc_unplaced(g, 2, 1);
        return;
    }
    hc_all_on(g, 0);
    hc_long_span(g, 0, 5000);
    hc_cross(g, 0, 100000, 5, 1000);
    hc_trap(g, 1, 'b');
    hc_trap(g, N_GRCH38 - 1, 'a');
    hc_unplaced(g, 3, 2);
}

/* ~2500 GRCh38-style small references (alts, randoms, unplaced, HLA). */
static void bench_small_refs(gen_t *g)
{
    static const char *const HLA[] = { "A", "B", "C", "DRB1", "DQA1", "DQB1", "DPA1", "DPB1", "DRB3", "DRB5" };
    char name[128];
    for (int i = 0; i < 2500; i++) {
        int64_t len;
        if (i < 500) {
            snprintf(name, sizeof name, "HLA-%s*%02d:%02d:%02d:%02d", HLA[i % 10], 1 + i / 10 % 50,
                     1 + i / 7 % 40, 1 + i % 7, 1 + i % 3);
            len = rng_range(&g->rng, 2800, 12000);
        } else if (i < 1300) {
            snprintf(name, sizeof name, "chr%d_KI27%04dv1_random", 1 + i % 22, i);
            len = rng_range(&g->rng, 1000, 200000);
        } else if (i < 2000) {
            snprintf(name, sizeof name, "chr%d_KN%06dv1_alt", 1 + i % 22, 538000 + i);
            len = rng_range(&g->rng, 1000, 200000);
        } else if (i < 2499) {
            snprintf(name, sizeof name, "chrUn_GL%06dv1", 100000 + i);
            len = rng_range(&g->rng, 1000, 200000);
        } else {
            snprintf(name, sizeof name, "chrEBV");
            len = 171823;
        }
        ref_add(g, name, len);
    }
}

/* Serialise a record roughly as bam_write1 does (for the size estimate). */
static size_t bam_serialise(const bam1_t *b, uint8_t *dst)
{
    int32_t v[9];
    v[0] = 32 + b->l_data;
    v[1] = b->core.tid;
    v[2] = (int32_t)b->core.pos;
    v[3] = (int32_t)((uint32_t)b->core.bin << 16 | b->core.qual << 8 | b->core.l_qname);
    v[4] = (int32_t)((uint32_t)b->core.flag << 16 | b->core.n_cigar);
    v[5] = b->core.l_qseq;
    v[6] = b->core.mtid;
    v[7] = (int32_t)b->core.mpos;
    v[8] = (int32_t)b->core.isize;
    memcpy(dst, v, sizeof v);
    memcpy(dst + sizeof v, b->data, b->l_data);
    return sizeof v + b->l_data;
}

static void build_record(gen_t *g, const rec_t *r);
static int cmp_rec(const void *pa, const void *pb);

/* Compressed bytes per ordinary fragment at `bp_per_frag`: make a sample of
 * fragments on a window of chr1, serialise and BGZF-compress them at the
 * output level. Deterministic, so the output size is too. */
static double bench_bytes_per_frag(gen_t *g, double bp_per_frag)
{
    const int n = 4000;
    recvec_t v = { 0 };
    rng_t rr;
    rng_seed(&rr, g->seed, 77777);
    uint32_t saved_order = g->next_order;
    int64_t span = (int64_t)(n * bp_per_frag);
    for (int k = 0; k < n; k++)
        add_fragment(g, &v, 0, 10000000, span, ((uint64_t)0xffe << 36) | k, &rr);
    g->next_order = saved_order;
    qsort(v.a, v.n, sizeof *v.a, cmp_rec);

    uint8_t *buf = xrealloc(g, NULL, BGZF_BLOCK_SIZE + 65536), *out = xrealloc(g, NULL, BGZF_MAX_BLOCK_SIZE);
    size_t used = 0, total = 0;
    for (size_t i = 0; i <= v.n; i++) {
        size_t len = 0;
        if (i < v.n) {
            build_record(g, &v.a[i]);
            if (g->b->l_data + 36 > 65536) continue;
            len = 36 + g->b->l_data;
        }
        if (i == v.n || used + len > BGZF_BLOCK_SIZE) {
            size_t dlen = BGZF_MAX_BLOCK_SIZE;
            if (used && bgzf_compress(out, &dlen, buf, used, g->level) < 0)
                die(g, "bgzf_compress failed while estimating the output size");
            total += used ? dlen : 0;
            used = 0;
        }
        if (i < v.n) used += bam_serialise(g->b, buf + used);
    }
    free(buf);
    free(out);
    free(v.a);
    return (double)total / n;
}

static void profile_bench(gen_t *g)
{
    int64_t genome_len = 0;
    for (int i = 0; i < N_GRCH38; i++) {
        ref_add(g, GRCH38[i].name, GRCH38[i].len);
        genome_len += GRCH38[i].len;
    }
    bench_small_refs(g);
    refs_done(g);

    /* fragments for size_mb: estimate at a guess of the density, then again
     * at the density that guess gives */
    double target = (double)g->size_mb * 1048576.0;
    double per_frag = 200.0;
    for (int it = 0; it < 2; it++) {
        double frags = target / per_frag / 1.01;
        per_frag = bench_bytes_per_frag(g, (double)genome_len / frags);
    }
    g->est_bytes_per_rec = per_frag / 2.03;
    /* ~1% of the fragments are unplaced pairs, ~0.3% split over two refs */
    uint64_t total = (uint64_t)(target / per_frag / 1.01);
    if (total < 100) total = 100;
    g->n_unplaced_frags = total / 100;
    uint64_t n_cross = total * 3 / 1000;
    uint64_t placed = total - g->n_unplaced_frags - n_cross;
    uint64_t given = 0;
    int64_t cum = 0;
    for (int i = 0; i < N_GRCH38; i++) {
        cum += GRCH38[i].len;
        uint64_t upto = (uint64_t)((double)placed * cum / genome_len);
        g->n_frags[i] = upto - given;
        given = upto;
    }
    for (uint64_t k = 0; k < n_cross; k++) {
        int32_t t[2];
        int64_t p[2];
        for (int j = 0; j < 2; j++) {
            do {
                int64_t x = (int64_t)rng_below(&g->rng, (uint64_t)genome_len);
                for (t[j] = 0; x >= GRCH38[t[j]].len; t[j]++) x -= GRCH38[t[j]].len;
                p[j] = x;
            } while (j == 1 && t[1] == t[0]);
        }
        aln_t a = aln(t[0], clamp_pos(g, t[0], p[0]), "150M", 0, 0, 60);
        aln_t b = aln(t[1], clamp_pos(g, t[1], p[1]), "150M", 0, BAM_FREVERSE,
                      (uint8_t)rng_range(&g->rng, 0, 60));
        rec_t r1, r2;
        make_pair(&a, &b, ((uint64_t)0xffd << 36) | k, L_READ, 0, &r1, &r2);
        rec_push(g, &r1);
        rec_push(g, &r2);
    }
    fprintf(stderr, "gen_bam: bench: %" PRIu64 " fragments, ~%.0f bytes each compressed, target %" PRId64 " MB\n",
            total, per_frag, g->size_mb);
}

/* ---- writing ---------------------------------------------------------------- */

/* Reference tid starts at this offset of the pseudo-random genome. */
static inline uint32_t genome_offset(int32_t tid)
{
    return tid >= 0 ? (uint32_t)mix64((uint64_t)tid + 17) : 0;
}

/* Base at pos of the reference that starts at genome offset off. */
static inline char genome_base(const gen_t *g, uint32_t off, int64_t pos)
{
    return g->genome[(off + (uint32_t)pos) & GENOME_MASK];
}

static void ks_put_uint(kstring_t *ks, uint64_t v, const gen_t *g)
{
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) > 0);
    if (ks_resize(ks, ks->l + n + 2) < 0) die(g, "out of memory");
    while (n) ks->s[ks->l++] = tmp[--n];
    ks->s[ks->l] = '\0';
}

static void ks_put_char(kstring_t *ks, char c, const gen_t *g)
{
    if (kputc(c, ks) < 0) die(g, "out of memory");
}

/* Illumina-style name from the fragment id: instrument:run:flowcell:lane:tile:x:y */
static void make_qname(gen_t *g, const rec_t *r)
{
    kstring_t *ks = &g->qname;
    ks->l = 0;
    if (r->label != L_READ) {
        if (kputs(LABEL_NAME[r->label], ks) < 0) die(g, "out of memory");
        ks_put_char(ks, '.', g);
        ks_put_uint(ks, r->id, g);
        return;
    }
    uint64_t h = mix64(r->id ^ mix64(g->seed));
    if (kputs("A00587:231:HVWG2DSXY:", ks) < 0) die(g, "out of memory");
    ks_put_uint(ks, 1 + h % 4, g);
    ks_put_char(ks, ':', g);
    h /= 4;
    ks_put_uint(ks, 1000 * (1 + h % 2) + 100 * (1 + h / 2 % 2) + 1 + h / 4 % 78, g);
    ks_put_char(ks, ':', g);
    h /= 312;
    ks_put_uint(ks, 1000 + h % 31000, g);
    ks_put_char(ks, ':', g);
    h /= 31000;
    ks_put_uint(ks, 1000 + h % 36000, g);
}

/* Illumina-like binned base qualities (2, 12, 23, 37): mostly 37, with the
 * chance of a lower bin growing along the read, a worse class of reads, and
 * sometimes a Q2 tail. Stored in reference orientation (reversed for 0x10). */
static void make_qual(rng_t *rr, const rec_t *r, uint8_t *q, int l)
{
    static const int base[3] = { 8, 40, 160 }, slope[3] = { 90, 260, 500 }; /* per 1024 */
    int cls = (int)rng_below(rr, 100);
    cls = (r->flag & BAM_FUNMAP) ? 2 : cls < 85 ? 0 : cls < 97 ? 1 : 2;
    uint64_t bits = 0;
    /* threshold(i) = base + slope * (i/l)^2, in 1/1024, without a division per base */
    uint64_t k = l > 0 ? ((uint64_t)slope[cls] << 24) / ((uint64_t)l * l) : 0;
    for (int i = 0; i < l; i++) {
        if ((i & 3) == 0) bits = rng_next(rr);
        uint32_t x = (uint32_t)(bits & 0xffff);
        bits >>= 16;
        int thr = base[cls] + (int)(((uint64_t)i * i * k) >> 24);
        if ((int)(x & 1023) < thr) {
            int v = (int)(x >> 10);
            q[i] = v < 6 ? 2 : v < 26 ? 12 : 23;
        } else {
            q[i] = 37;
        }
    }
    if (l > 40 && rng_below(rr, 100) < 4)
        for (int i = l - (int)rng_range(rr, 5, 40); i < l; i++) q[i] = 2;
    if (r->flag & BAM_FREVERSE)
        for (int i = 0, j = l - 1; i < j; i++, j--) {
            uint8_t t = q[i];
            q[i] = q[j];
            q[j] = t;
        }
}

/* Bases from the pseudo-random reference along the CIGAR, with a few
 * mismatches; fills g->md (left empty if it would hold a huge deletion) and
 * returns NM, or -1 for no alignment. */
static int make_seq(gen_t *g, rng_t *rr, const rec_t *r, char *seq, uint8_t *qual)
{
    static const char ACGT[4] = { 'A', 'C', 'G', 'T' };
    int l = r->l_seq;
    kstring_t *md = &g->md;
    uint32_t off = genome_offset(r->tid);
    md->l = 0;
    if (r->n_cigar == 0 || (r->flag & BAM_FUNMAP)) {
        int64_t p = r->tid >= 0 ? r->pos : (int64_t)(mix64(r->id * 8 + r->sub) & GENOME_MASK);
        for (int i = 0; i < l; i++) seq[i] = genome_base(g, off, p + i);
        return -1;
    }
    /* mismatches at up to 3 positions among the aligned query bases */
    int n_aligned = 0;
    for (int k = 0; k < r->n_cigar; k++) {
        int op = bam_cigar_op(r->cigar[k]);
        if (op == BAM_CMATCH || op == BAM_CEQUAL || op == BAM_CDIFF) n_aligned += bam_cigar_oplen(r->cigar[k]);
    }
    int u = (int)rng_below(rr, 100), n_mm = u < 60 ? 0 : u < 85 ? 1 : u < 95 ? 2 : 3;
    if (n_aligned == 0) n_mm = 0;
    for (int i = 0; i < n_mm; i++) g->mm[i] = (int)rng_below(rr, n_aligned);
    /* sorted, so only the next one needs checking; a repeat just disappears */
    for (int i = 1; i < n_mm; i++)
        for (int j = i; j > 0 && g->mm[j - 1] > g->mm[j]; j--) {
            int t = g->mm[j];
            g->mm[j] = g->mm[j - 1];
            g->mm[j - 1] = t;
        }
    g->mm[n_mm] = -1;
    int next = 0;

    int qi = 0, ai = 0, run = 0, nm = 0, md_ok = 1;
    int64_t rp = r->pos;
    for (int k = 0; k < r->n_cigar; k++) {
        int op = bam_cigar_op(r->cigar[k]), len = bam_cigar_oplen(r->cigar[k]);
        switch (op) {
        case BAM_CMATCH: case BAM_CEQUAL: case BAM_CDIFF:
            for (int i = 0; i < len; i++, qi++, ai++, rp++) {
                char rb = genome_base(g, off, rp);
                if (ai != g->mm[next]) {
                    seq[qi] = rb;
                    run++;
                    continue;
                }
                while (g->mm[next] == ai) next++;
                int bi = rb == 'A' ? 0 : rb == 'C' ? 1 : rb == 'G' ? 2 : 3;
                seq[qi] = ACGT[(bi + 1 + (int)rng_below(rr, 3)) & 3];
                qual[qi] = rng_below(rr, 2) ? 12 : 23;
                ks_put_uint(md, run, g);
                ks_put_char(md, rb, g);
                run = 0;
                nm++;
            }
            break;
        case BAM_CINS: case BAM_CSOFT_CLIP:
            for (int i = 0; i < len; i++) seq[qi++] = ACGT[rng_below(rr, 4)];
            if (op == BAM_CINS) nm += len;
            break;
        case BAM_CDEL:
            ks_put_uint(md, run, g);
            ks_put_char(md, '^', g);
            for (int i = 0; i < len; i++) ks_put_char(md, genome_base(g, off, rp + i), g);
            md_ok &= len <= 100; /* no 200 kb MD tags for the long-span reads */
            run = 0;
            rp += len;
            nm += len;
            break;
        case BAM_CREF_SKIP:
            rp += len;
            break;
        default: /* H, P */
            break;
        }
    }
    for (; qi < l; qi++) seq[qi] = 'N'; /* l_seq longer than the CIGAR's query: never by design */
    ks_put_uint(md, run, g);
    if (!md_ok) md->l = 0;
    return nm;
}

static void aux_int(gen_t *g, const char tag[2], int64_t v)
{
    uint8_t buf[4];
    char type;
    int size;
    if (v >= 0 && v <= UINT8_MAX) { type = 'C'; size = 1; buf[0] = (uint8_t)v; }
    else if (v >= INT16_MIN && v <= INT16_MAX) { type = 's'; size = 2; int16_t x = (int16_t)v; memcpy(buf, &x, 2); }
    else { type = 'i'; size = 4; int32_t x = (int32_t)v; memcpy(buf, &x, 4); }
    if (bam_aux_append(g->b, tag, type, size, buf) < 0) die(g, "bam_aux_append %.2s failed", tag);
}

static void aux_str(gen_t *g, const char tag[2], const char *s, size_t len)
{
    if (bam_aux_append(g->b, tag, 'Z', (int)len + 1, (const uint8_t *)s) < 0)
        die(g, "bam_aux_append %.2s failed", tag);
}

/* Turn a rec_t into g->b. */
static void build_record(gen_t *g, const rec_t *r)
{
    rng_t rr;
    rng_seed(&rr, g->seed, r->id * 8 + r->sub);
    int l = r->l_seq;
    make_qname(g, r);
    make_qual(&rr, r, g->qual, l);
    int nm = make_seq(g, &rr, r, g->seq, g->qual);

    /* bam_set1 refuses a mapped record that has bases but no CIGAR (trap
     * case f): build it as unmapped, then restore the flag. The bin is the
     * same either way (an empty span counts as 1 base). */
    uint16_t flag = r->flag;
    if (!(flag & BAM_FUNMAP) && r->n_cigar == 0 && l > 0) flag |= BAM_FUNMAP;
    if (bam_set1(g->b, g->qname.l, g->qname.s, flag, r->tid, r->pos, r->mapq, r->n_cigar, r->cigar,
                 r->mtid, r->mpos, r->isize, l, g->seq, (const char *)g->qual, 64) < 0)
        die(g, "bam_set1 failed for record %s", g->qname.s);
    g->b->core.flag = r->flag;

    if (r->aux == AUX_NONE) return;
    if (r->aux != AUX_RG && nm >= 0) {
        aux_int(g, "NM", nm);
        if (g->md.l) aux_str(g, "MD", g->md.s, g->md.l);
        int as = l - 5 * nm;
        aux_int(g, "AS", as > 0 ? as : 0);
        aux_int(g, "XS", as > 20 ? (int64_t)rng_below(&rr, as - 19) : 0);
    }
    aux_str(g, "RG", r->sub & 1 ? "rg2:lane.2" : "rg1", r->sub & 1 ? 10 : 3);
    if (r->aux == AUX_LONG) {
        size_t n = 200 + rng_below(&rr, 6000);
        g->xl.l = 0;
        if (ks_resize(&g->xl, n + 1) < 0) die(g, "out of memory");
        for (size_t i = 0; i < n; i++) g->xl.s[i] = "ACGTacgt0123456789:;=_-"[rng_below(&rr, 23)];
        g->xl.s[n] = '\0';
        aux_str(g, "XL", g->xl.s, n);
    }
}

static int cmp_rec(const void *pa, const void *pb)
{
    const rec_t *a = pa, *b = pb;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void make_header(gen_t *g)
{
    kstring_t ks = { 0 };
    int ok = ksprintf(&ks, "@HD\tVN:1.6\tSO:coordinate\n") >= 0;
    for (int i = 0; ok && i < g->n_refs; i++)
        ok = ksprintf(&ks, "@SQ\tSN:%s\tLN:%" PRId64 "\n", g->refs[i].name, g->refs[i].len) >= 0;
    /* Two read groups; their SMs from --sample (the last name repeated). */
    const char *sm[2] = {g->samples ? g->samples : "sample1", NULL};
    const char *comma = strchr(sm[0], ',');
    sm[1] = comma ? comma + 1 : sm[0];
    int len0 = comma ? (int)(comma - sm[0]) : (int)strlen(sm[0]);
    if (ok)
        ok = ksprintf(&ks, "@RG\tID:rg1\tSM:%.*s\tPL:ILLUMINA\tLB:lib1\tPU:HVWG2DSXY.1\n"
                      "@RG\tID:rg2:lane.2\tSM:%s\tPL:ILLUMINA\tLB:lib1\tPU:HVWG2DSXY.2\n"
                      "@PG\tID:gen_bam\tPN:gen_bam\tVN:1\n", len0, sm[0], sm[1]) >= 0;
    if (!ok) die(g, "out of memory");
    g->hdr = sam_hdr_parse(ks.l, ks.s);
    if (!g->hdr) die(g, "sam_hdr_parse failed on the generated header");
    if (sam_hdr_nref(g->hdr) != g->n_refs)
        die(g, "header has %d references, expected %d", sam_hdr_nref(g->hdr), g->n_refs);
    free(ks.s);
}

static void progress(gen_t *g, int tid, int force)
{
    double t = now_sec();
    if (!force && t - g->t_last < 3.0) return;
    g->t_last = t;
    double mb = g->est_bytes_per_rec > 0 ? g->n_written * g->est_bytes_per_rec / 1048576.0
                                         : g->bytes_raw / 1048576.0;
    fprintf(stderr, "gen_bam: %s: %s, %" PRIu64 " records, ~%.0f MB %s, %.1f s\n", g->out,
            tid >= 0 ? g->refs[tid].name : "unplaced", g->n_written, mb,
            g->est_bytes_per_rec > 0 ? "of BAM" : "uncompressed", t - g->t0);
}

static void write_vec(gen_t *g, recvec_t *v, int tid)
{
    for (size_t i = 0; i < v->n; i++) {
        build_record(g, &v->a[i]);
        if (sam_write1(g->fp, g->hdr, g->b) < 0) die(g, "sam_write1 failed for record %s", g->qname.s);
        g->n_written++;
        g->bytes_raw += 36 + g->b->l_data;
        if ((g->n_written & 8191) == 0) progress(g, tid, 0);
    }
}

/* `unsorted`: swap the first records at or after swap_pos[0] and swap_pos[1]. */
static void swap_records(gen_t *g, recvec_t *v)
{
    size_t i = 0, j;
    while (i < v->n && v->a[i].pos < g->swap_pos[0]) i++;
    for (j = i; j < v->n && v->a[j].pos < g->swap_pos[1]; j++) {}
    if (j >= v->n) die(g, "unsorted: no records to swap");
    rec_t t = v->a[i];
    v->a[i] = v->a[j];
    v->a[j] = t;
    fprintf(stderr, "gen_bam: %s: swapped the records at %s:%d and %s:%d (1-based)\n", g->out,
            g->refs[v->a[j].tid].name, v->a[j].pos + 1, g->refs[v->a[i].tid].name, v->a[i].pos + 1);
}

static void write_bam(gen_t *g)
{
    char mode[4] = "wb";
    if (g->level >= 0) mode[2] = (char)('0' + g->level % 10); /* --level is 0-9 */
    g->fp = sam_open(g->out, mode);
    if (!g->fp) die(g, "cannot open for writing: %s", strerror(errno));
    if (g->threads > 0 && hts_set_threads(g->fp, g->threads) < 0) die(g, "hts_set_threads(%d) failed", g->threads);
    make_header(g);
    if (sam_hdr_write(g->fp, g->hdr) < 0) die(g, "sam_hdr_write failed");
    for (int tid = 0; tid < g->n_refs; tid++) {
        recvec_t *v = &g->recs[tid];
        if (g->n_frags[tid]) add_fragments(g, tid, g->n_frags[tid]);
        qsort(v->a, v->n, sizeof *v->a, cmp_rec);
        if (tid == g->swap_tid) swap_records(g, v);
        write_vec(g, v, tid);
        free(v->a);
        memset(v, 0, sizeof *v);
    }
    if (g->n_unplaced_frags) add_unplaced_fragments(g, g->n_unplaced_frags);
    write_vec(g, &g->unplaced, -1);
    if (sam_close(g->fp) < 0) die(g, "sam_close failed (disk full?)");
    g->fp = NULL;
    if (g->index && sam_index_build3(g->out, NULL, 0, g->threads) < 0)
        die(g, "sam_index_build3 failed to write %s.bai", g->out);
}

/* ---- main ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*fn)(gen_t *);
    const char *help;
} PROFILES[] = {
    { "small", profile_small, "12 refs of 2-100 kb, ~4000 records, every hard case" },
    { "medium", profile_medium, "21 refs up to 8 Mbp, ~10 MB, every hard case" },
    { "manyrefs", profile_manyrefs, "5000 refs of 100 bp-50 kb, reads on ~1/3" },
    { "trap", profile_trap, "records at pos -1 with a tid (the pos -1 trap)" },
    { "empty", profile_empty, "@SQ lines, no records" },
    { "nosq", profile_nosq, "no @SQ lines, a few unplaced unmapped reads" },
    { "unplaced", profile_unplaced, "@SQ lines, only unplaced unmapped reads" },
    { "unsorted", profile_unsorted, "medium with two chr1 records swapped (SO:coordinate kept)" },
    { "bench", profile_bench, "--size-mb MB of paired 150 bp reads on GRCh38-like refs" },
    { "cohort", profile_cohort, "one sample of a cohort: GRCh38 names at 1/2000, --sex, --sample" },
};
#define N_PROFILES (int)(sizeof PROFILES / sizeof PROFILES[0])

/* The reference of every @SQ line, 60 bases a line: reference tid is the
 * pseudo-random genome from genome_offset(tid), as the reads are. */
static void write_fasta(gen_t *g)
{
    FILE *f = fopen(g->fasta, "w");
    if (!f) die(g, "cannot create %s", g->fasta);
    char line[61];
    for (int tid = 0; tid < g->n_refs; tid++) {
        fprintf(f, ">%s\n", g->refs[tid].name);
        uint32_t off = genome_offset(tid);
        for (int64_t pos = 0; pos < g->refs[tid].len; pos += 60) {
            int n = g->refs[tid].len - pos < 60 ? (int)(g->refs[tid].len - pos) : 60;
            for (int i = 0; i < n; i++) line[i] = genome_base(g, off, pos + i);
            line[n] = '\n';
            fwrite(line, 1, n + 1, f);
        }
    }
    if (fclose(f) != 0) die(g, "cannot write %s", g->fasta);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: gen_bam PROFILE OUT.bam [options]\n"
            "Writes a deterministic coordinate-sorted test BAM.\n\n"
            "Profiles:\n");
    for (int i = 0; i < N_PROFILES; i++) fprintf(f, "  %-10s %s\n", PROFILES[i].name, PROFILES[i].help);
    fprintf(f,
            "\nOptions:\n"
            "  --seed N      PRNG seed (default %u); same arguments, same bytes\n"
            "  --size-mb N   bench only: approximate output size in MB (default 1024)\n"
            "  --index       also write OUT.bam.bai (BAI, sam_index_build3)\n"
            "  --fasta F     also write the reference the reads were drawn from, as\n"
            "                FASTA (for reference-based CRAMs made from OUT.bam)\n"
            "  --level N     BGZF compression level 0-9 (default: htslib's)\n"
            "  --threads N   compression/indexing threads (default: online CPUs,\n"
            "                0 = none); the output does not depend on it\n"
            "  --sample A[,B]  the SM of the two read groups (default sample1)\n"
            "  --sex XX|XY   cohort only: one chrX and a chrY, or two chrX (default XX)\n"
            "  --tiny        cohort only: a tenth of the reads, few hard cases\n"
            "  --help        this text\n",
            DEFAULT_SEED);
}

static int parse_int(const char *s, const char *opt, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "gen_bam: bad value for %s: %s\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    gen_t g;
    memset(&g, 0, sizeof g);
    g.seed = DEFAULT_SEED;
    g.size_mb = 1024;
    g.level = -1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    g.threads = cpus > 1 ? (int)(cpus > 16 ? 16 : cpus) : 0;
    g.swap_tid = -1;
    g.model = ILLUMINA_MODEL;
    g.next_id = 1;

    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "size-mb", required_argument, NULL, 'm' },
        { "index", no_argument, NULL, 'i' },
        { "fasta", required_argument, NULL, 'f' },
        { "level", required_argument, NULL, 'l' },
        { "threads", required_argument, NULL, 't' },
        { "sample", required_argument, NULL, 'S' },
        { "sex", required_argument, NULL, 'x' },
        { "tiny", no_argument, NULL, 'y' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    int64_t v;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': {
            char *end;
            errno = 0;
            g.seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end) {
                fprintf(stderr, "gen_bam: bad value for --seed: %s\n", optarg);
                return 2;
            }
            break;
        }
        case 'm':
            if (parse_int(optarg, "--size-mb", 1, 1 << 24, &v) < 0) return 2;
            g.size_mb = v;
            break;
        case 'i':
            g.index = 1;
            break;
        case 'f':
            g.fasta = optarg;
            break;
        case 'l':
            if (parse_int(optarg, "--level", 0, 9, &v) < 0) return 2;
            g.level = (int)v;
            break;
        case 't':
            if (parse_int(optarg, "--threads", 0, 256, &v) < 0) return 2;
            g.threads = (int)v;
            break;
        case 'S':
            g.samples = optarg;
            break;
        case 'y':
            g.tiny = 1;
            break;
        case 'x':
            if (strcmp(optarg, "XX") != 0 && strcmp(optarg, "XY") != 0) {
                fprintf(stderr, "gen_bam: --sex is XX or XY, not %s\n", optarg);
                return 2;
            }
            g.one_x = strcmp(optarg, "XY") == 0;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "Try gen_bam --help\n");
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "gen_bam: need PROFILE and OUT.bam; try gen_bam --help\n");
        return 2;
    }
    g.profile = argv[optind];
    g.out = argv[optind + 1];
    void (*profile_fn)(gen_t *) = NULL;
    for (int i = 0; i < N_PROFILES; i++)
        if (!strcmp(PROFILES[i].name, g.profile)) profile_fn = PROFILES[i].fn;
    if (!profile_fn) {
        fprintf(stderr, "gen_bam: unknown profile \"%s\"; try gen_bam --help\n", g.profile);
        return 2;
    }

    g.t0 = g.t_last = now_sec();
    rng_seed(&g.rng, g.seed, 1);
    g.genome = xrealloc(&g, NULL, (size_t)GENOME_MASK + 1);
    {
        rng_t gr;
        rng_seed(&gr, g.seed, 2);
        for (uint32_t i = 0; i <= GENOME_MASK; i += 32) {
            uint64_t x = rng_next(&gr);
            for (int k = 0; k < 32; k++, x >>= 2) g.genome[i + k] = "ACGT"[x & 3];
        }
    }
    g.b = bam_init1();
    g.seq = xrealloc(&g, NULL, 65536);
    g.qual = xrealloc(&g, NULL, 65536);
    if (!g.b) die(&g, "out of memory");

    profile_fn(&g);
    write_bam(&g);
    if (g.fasta)
        write_fasta(&g);

    struct stat st;
    double secs = now_sec() - g.t0;
    double mb = stat(g.out, &st) == 0 ? st.st_size / 1048576.0 : 0;
    fprintf(stderr, "gen_bam: %s: %s profile, %" PRIu64 " records, %.2f MB, %.1f s (%.1f MB/s)%s\n", g.out,
            g.profile, g.n_written, mb, secs, secs > 0 ? mb / secs : 0.0, g.index ? ", indexed" : "");

    bam_destroy1(g.b);
    sam_hdr_destroy(g.hdr);
    for (int i = 0; i < g.n_refs; i++) free(g.refs[i].name);
    free(g.refs);
    free(g.recs);
    free(g.n_frags);
    free(g.unplaced.a);
    free(g.genome);
    free(g.seq);
    free(g.qual);
    free(g.qname.s);
    free(g.md.s);
    free(g.xl.s);
    return 0;
}
