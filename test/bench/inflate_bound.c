/* inflate_bound.c -- the decompression bound of a BGZF file: N forked
 * processes that each inflate their share of the file's BGZF blocks with
 * libdeflate and check every block's CRC32 and size, doing nothing else.
 * No program that reads every record can be faster with N processes.
 *
 * Usage: inflate_bound N FILE
 * Prints the number of blocks and uncompressed bytes; exits non-zero if a
 * block is malformed or its CRC does not match.
 */
#include <fcntl.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEADER 18
#define FOOTER 8
#define MAX_BLOCK 65536
#define READ_CHUNK (4 << 20)

static uint32_t le32(const unsigned char *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The total size of the block starting at p (at least HEADER bytes). */
static int block_size(const unsigned char *p)
{
    if (p[0] != 31 || p[1] != 139 || p[2] != 8 || !(p[3] & 4) || p[12] != 'B' || p[13] != 'C')
        return -1;
    return (p[16] | p[17] << 8) + 1;
}

/* Offsets of every block, found by hopping from header to header. */
static int64_t *list_blocks(int fd, int64_t size, int64_t *n)
{
    int64_t cap = 1 << 16, off = 0;
    int64_t *a = malloc(cap * sizeof *a);
    *n = 0;
    unsigned char h[HEADER];
    while (a && off < size) {
        int bs;
        if (pread(fd, h, HEADER, off) != HEADER || (bs = block_size(h)) < HEADER + FOOTER) {
            fprintf(stderr, "inflate_bound: no BGZF block at byte %lld\n", (long long)off);
            exit(1);
        }
        if (*n == cap)
            a = realloc(a, (cap *= 2) * sizeof *a);
        a[(*n)++] = off;
        off += bs;
    }
    return a;
}

/* Inflate the blocks in [beg, end) of the file; returns uncompressed bytes. */
static int64_t inflate_range(int fd, int64_t beg, int64_t end)
{
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    unsigned char *buf = malloc(READ_CHUNK + MAX_BLOCK), out[MAX_BLOCK];
    int64_t total = 0, have = 0, at = beg; /* buf holds [at, at + have) */
    size_t used = 0;
    while (at + (int64_t)used < end) {
        if (have - (int64_t)used < MAX_BLOCK) { /* refill */
            memmove(buf, buf + used, have - used);
            at += used, have -= used, used = 0;
            int64_t want = READ_CHUNK < end - at - have ? READ_CHUNK : end - at - have;
            ssize_t r = want > 0 ? pread(fd, buf + have, want, at + have) : 0;
            if (r < 0)
                exit(2);
            have += r;
        }
        unsigned char *p = buf + used;
        int bs = block_size(p);
        size_t got;
        if (bs < HEADER + FOOTER || libdeflate_deflate_decompress(d, p + HEADER, bs - HEADER - FOOTER, out,
                                                                   MAX_BLOCK, &got) != LIBDEFLATE_SUCCESS ||
            got != le32(p + bs - 4) || libdeflate_crc32(0, out, got) != le32(p + bs - 8)) {
            fprintf(stderr, "inflate_bound: bad block at byte %lld\n", (long long)(at + used));
            exit(1);
        }
        total += got;
        used += bs;
    }
    free(buf);
    libdeflate_free_decompressor(d);
    return total;
}

int main(int argc, char **argv)
{
    if (argc != 3 || atoi(argv[1]) < 1) {
        fprintf(stderr, "Usage: inflate_bound N FILE\n");
        return 2;
    }
    int n = atoi(argv[1]), fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 2;
    }
    int64_t nblocks, *blocks = list_blocks(fd, st.st_size, &nblocks);
    int pipes[n][2];
    for (int i = 0; i < n; i++) {
        /* Share i: the blocks starting in the i-th n-th of the file. */
        int64_t lo = st.st_size * i / n, hi = st.st_size * (i + 1) / n, beg = -1, end = st.st_size;
        for (int64_t k = 0; k < nblocks; k++) {
            if (beg < 0 && blocks[k] >= lo)
                beg = blocks[k];
            if (blocks[k] >= hi) {
                end = blocks[k];
                break;
            }
        }
        if (pipe(pipes[i]) != 0)
            return 2;
        if (fork() == 0) {
            int64_t total = beg < 0 || beg >= end ? 0 : inflate_range(fd, beg, end);
            if (write(pipes[i][1], &total, sizeof total) != sizeof total)
                _exit(2);
            _exit(0);
        }
        close(pipes[i][1]);
    }
    int64_t total = 0, part;
    int failed = 0, status;
    for (int i = 0; i < n; i++) {
        if (read(pipes[i][0], &part, sizeof part) == sizeof part)
            total += part;
        else
            failed = 1;
    }
    while (wait(&status) > 0)
        failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    printf("%lld blocks, %lld bytes uncompressed\n", (long long)nblocks, (long long)total);
    return failed;
}
