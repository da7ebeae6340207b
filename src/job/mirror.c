/* mirror.c -- a sparse local mirror of a BAM or CRAM on the platform; see mirror.h. */
#include "mirror.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rc.h"
#include "workq.h"

/* The first fetch of the start: most headers fit; larger ones grow 4x. */
#define FIRST_PREFIX MIRROR_FIRST_PREFIX
/* A header larger than this is refused (bounded memory and disk). */
#define MAX_PREFIX ((int64_t)1 << 30)
/* The end-of-file marker: one empty BGZF block of 28 bytes, or a CRAM 3
 * end-of-file container of 38 (30 in CRAM 2.1). */
#define BGZF_EOF 28
#define CRAM_EOF 38

int mirror_open(mirror_t *m, dx_env_t *env, const dxfile_t *file, const char *path)
{
    memset(m, 0, sizeof *m);
    m->env = env;
    m->path = path;
    m->size = file->size;
    dxfetch_init(&m->reader, env, file);
    if ((m->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
        return rc_fail_errno(RC_EINTERNAL, "cannot create %s", path);
    if (ftruncate(m->fd, file->size) != 0) {
        close(m->fd);
        m->fd = -1;
        return rc_fail_errno(RC_EINTERNAL, "cannot size %s", path);
    }
    return 0;
}

void mirror_close(mirror_t *m)
{
    if (m->fd >= 0)
        close(m->fd);
    dxfetch_free(&m->reader);
    free(m->have);
    m->fd = -1;
    m->have = NULL;
}

int64_t mirror_fetched(const mirror_t *m)
{
    return (int64_t)(m->reader.bytes_fetched + m->more_fetched);
}

/* Record [beg, end) as fetched, merging neighbours. */
static int remember(mirror_t *m, int64_t beg, int64_t end)
{
    if (m->n_have == m->m_have) {
        int cap = m->m_have ? 2 * m->m_have : 16;
        void *a = realloc(m->have, cap * sizeof *m->have);
        if (!a)
            return rc_fail(RC_EINTERNAL, "out of memory");
        m->have = a;
        m->m_have = cap;
    }
    int i = 0;
    while (i < m->n_have && m->have[i][0] < beg)
        i++;
    memmove(m->have + i + 1, m->have + i, (m->n_have - i) * sizeof *m->have);
    m->have[i][0] = beg;
    m->have[i][1] = end;
    m->n_have++;
    int k = 0; /* merge */
    for (int j = 1; j < m->n_have; j++) {
        if (m->have[j][0] <= m->have[k][1]) {
            if (m->have[j][1] > m->have[k][1])
                m->have[k][1] = m->have[j][1];
        } else {
            m->have[++k][0] = m->have[j][0];
            m->have[k][1] = m->have[j][1];
        }
    }
    m->n_have = k + 1;
    return 0;
}

static int fetch_gap(mirror_t *m, int64_t beg, int64_t end)
{
    dxfetch_file_sink_t s = {.fd = m->fd, .off = beg, .path = m->path};
    int rc = dxfetch_range(&m->reader, beg, end, dxfetch_to_file, &s);
    return rc ? rc : remember(m, beg, end);
}

int mirror_fetch(mirror_t *m, int64_t beg, int64_t end)
{
    if (beg < 0)
        beg = 0;
    if (end > m->size)
        end = m->size;
    /* Fetch only what is missing: walk the sorted ranges, fetching the gap
     * before each (remember() may merge ranges, so look them up afresh). */
    while (beg < end) {
        int i = 0;
        while (i < m->n_have && m->have[i][1] <= beg)
            i++;
        if (i < m->n_have && m->have[i][0] <= beg) {
            beg = m->have[i][1];
            continue;
        }
        int64_t gap_end = i < m->n_have && m->have[i][0] < end ? m->have[i][0] : end;
        int rc = fetch_gap(m, beg, gap_end);
        if (rc != 0)
            return rc;
        beg = gap_end;
    }
    return 0;
}

/* ---- many ranges at once ------------------------------------------------- */

typedef struct {
    mirror_t *m;
    const int64_t (*ranges)[2];
    dx_env_t env[WORKQ_MAX_THREADS];
    dxfetch_t reader[WORKQ_MAX_THREADS];
} many_t;

static int fetch_one(void *arg, int64_t k, int thread)
{
    many_t *x = arg;
    dxfetch_file_sink_t s = {.fd = x->m->fd, .off = x->ranges[k][0], .path = x->m->path};
    return dxfetch_range(&x->reader[thread], x->ranges[k][0], x->ranges[k][1], dxfetch_to_file, &s);
}

int mirror_fetch_many(mirror_t *m, const int64_t (*ranges)[2], int64_t n, int threads)
{
    if (threads > WORKQ_MAX_THREADS)
        threads = WORKQ_MAX_THREADS;
    if (threads > n)
        threads = (int)n;
    if (n == 0)
        return 0;
    many_t *x = calloc(1, sizeof *x);
    if (!x)
        return rc_fail(RC_EINTERNAL, "out of memory");
    x->m = m;
    x->ranges = ranges;
    for (int t = 0; t < threads; t++) {
        dx_env_copy(&x->env[t], m->env);
        dxfetch_init(&x->reader[t], &x->env[t], m->reader.file);
    }
    workq_spec_t spec = {.threads = threads, .items = n, .run = fetch_one, .arg = x};
    int rc = workq_run(&spec);
    for (int t = 0; t < threads; t++) {
        m->more_fetched += x->reader[t].bytes_fetched;
        dxfetch_free(&x->reader[t]);
        dx_env_free_copy(&x->env[t]);
    }
    free(x);
    for (int64_t k = 0; rc == 0 && k < n; k++)
        rc = remember(m, ranges[k][0], ranges[k][1]);
    return rc;
}

/* 1 if the file whose start is in the mirror is a CRAM. */
static int is_cram(const mirror_t *m)
{
    char magic[4];
    return pread(m->fd, magic, 4, 0) == 4 && memcmp(magic, "CRAM", 4) == 0;
}

int mirror_open_bam(mirror_t *m, const char *index_path, int flags, alnfile_t *in)
{
    int check_eof = !(flags & ALNFILE_NO_EOF_CHECK);
    int rc = 0;
    for (int64_t prefix = FIRST_PREFIX; rc == 0; prefix *= 4) {
        double t0 = log_now();
        if ((rc = mirror_fetch(m, 0, prefix)) != 0)
            break;
        /* Then the end-of-file marker, a CRAM's or a BGZF block: the start
         * says which. */
        double t1 = log_now();
        if (prefix == FIRST_PREFIX && check_eof &&
            (rc = mirror_fetch(m, m->size - (is_cram(m) ? CRAM_EOF : BGZF_EOF), m->size)) != 0)
            break;
        if (prefix == FIRST_PREFIX && check_eof && m->size > 2 * FIRST_PREFIX) {
            m->prefix_secs = t1 - t0;
            m->eof_secs = log_now() - t1;
        }
        rc = alnfile_open(in, m->path, index_path, flags);
        if (rc == 0 || !in->header_unreadable || prefix >= m->size)
            return rc;
        if (prefix >= MAX_PREFIX)
            return rc_fail(RC_EINPUT, "%s: the header is larger than %lld bytes, or corrupt", m->path,
                           (long long)MAX_PREFIX);
        rc = 0; /* the header goes on past the prefix: fetch more */
    }
    return rc;
}
