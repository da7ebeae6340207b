/* cram_loop.c -- the careful htslib loop that make bench compares regcount
 * with on a CRAM: what samtools 1.17 and later do for `view -c`.
 *
 *   cram_loop THREADS FILE.cram
 *
 * One process opens the CRAM, asks htslib to decode only the fields
 * counting needs (flag, reference id, position: the fields regcount asks
 * for whole reference sequences), gives htslib's thread pool THREADS
 * threads, and counts the records of every reference sequence with
 * sam_read1. Prints the records read. Like regcount, it keeps the memory
 * htslib frees (mallopt): glibc's default gives it back after every
 * container and faults it in again, which costs as much as the decoding.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <htslib/sam.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cram_loop THREADS FILE.cram\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    htsFile *fp = hts_open(argv[2], "r");
    if (!fp) {
        fprintf(stderr, "cram_loop: cannot open %s\n", argv[2]);
        return 1;
    }
    hts_set_opt(fp, CRAM_OPT_REQUIRED_FIELDS, SAM_FLAG | SAM_RNAME | SAM_POS);
    hts_set_opt(fp, CRAM_OPT_DECODE_MD, 0);
    if (threads > 1)
        hts_set_threads(fp, threads);
    sam_hdr_t *hdr = sam_hdr_read(fp);
    if (!hdr) {
        fprintf(stderr, "cram_loop: cannot read the header of %s\n", argv[2]);
        return 1;
    }
    int nref = sam_hdr_nref(hdr);
    unsigned long long *counts = calloc(nref + 1, sizeof *counts), n = 0;
    bam1_t *b = bam_init1();
    int r;
    while ((r = sam_read1(fp, hdr, b)) >= 0) {
        counts[b->core.tid >= 0 ? b->core.tid : nref]++;
        n++;
    }
    if (r < -1) {
        fprintf(stderr, "cram_loop: cannot read %s\n", argv[2]);
        return 1;
    }
    printf("%llu\n", n);
    bam_destroy1(b);
    sam_hdr_destroy(hdr);
    free(counts);
    return hts_close(fp) != 0;
}
