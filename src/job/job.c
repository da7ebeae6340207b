/* job.c -- steps the job's entry points share; see job.h. */
#include "job.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <utime.h>

#include "countfile.h"
#include "dxdownload.h"
#include "dxupload.h"
#include "fdio.h"
#include "log.h"
#include "rc.h"
#include "scan.h"
#include "stream.h"

int job_input_file(job_t *job, const char *field, int required, job_file_t *in, int *present)
{
    int given = 0;
    *in = (job_file_t){.field = field};
    int rc = jobio_link(job->input, field, required, &in->link, &given);
    if (present)
        *present = given;
    if (rc != 0 || !given)
        return rc;
    if ((rc = dxfile_describe(&job->env, in->link.id, in->link.project, &in->file)) != 0)
        return rc_context("input %s", field);
    if (strcmp(in->file.state, "closed") != 0)
        return rc_fail(RC_EINPUT, "input %s (%s) is %s, not closed", field, in->link.id,
                       in->file.state);
    char safe[256];
    fdio_safe_name(in->file.name, safe, sizeof safe);
    snprintf(in->path, sizeof in->path, "in/%s/%s", field, safe);
    return 0;
}

/* Largest file job_read_small_file takes into memory. */
#define SMALL_FILE_MAX ((int64_t)1 << 30)

static int to_memory(void *arg, const char *data, size_t len)
{
    return kputsn(data, len, arg) < 0 ? rc_fail(RC_EINTERNAL, "out of memory") : 0;
}

int job_read_small_file(job_t *job, json_t *link, const char *what, kstring_t *out)
{
    const char *id = json_string_value(json_object_get(link, "$dnanexus_link"));
    dxfile_t f;
    int rc = id ? dxfile_describe(&job->env, id, NULL, &f)
                : rc_fail(RC_EINTERNAL, "%s: not a file link", what);
    if (rc == 0 && f.size > SMALL_FILE_MAX)
        rc = rc_fail(RC_EINTERNAL, "%s: %s is larger than %lld bytes", what, id,
                     (long long)SMALL_FILE_MAX);
    if (rc == 0) {
        dxfetch_t r;
        dxfetch_init(&r, &job->env, &f);
        rc = dxfetch_range(&r, 0, f.size, to_memory, out);
        dxfetch_free(&r);
    }
    if (id)
        dxfile_free(&f);
    return rc ? rc_context("%s", what) : 0;
}

int job_make_dirs(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return rc_fail_errno(RC_EINTERNAL, "cannot create directory %s", buf);
        *p = '/';
    }
    return 0;
}

int job_check_space(const job_t *job, int64_t need)
{
    struct statvfs st;
    if (statvfs(job->home, &st) != 0)
        return 0;
    int64_t free_bytes = (int64_t)st.f_bavail * st.f_frsize;
    char b1[16], b2[16];
    if (free_bytes < need + (64 << 20))
        return rc_fail(RC_EINPUT,
                       "the inputs need %s of disk and the instance has %s free: choose an instance "
                       "type with more storage",
                       log_bytes(need, b1), log_bytes(free_bytes, b2));
    return 0;
}

int job_download_input(job_t *job, job_file_t *in)
{
    char b[16];
    log_info("download: input %s %s (%s, %s)", in->field, in->file.name, in->link.id,
             log_bytes(in->file.size, b));
    /* As many parts at once as dx download fetches: min(cores, 8). */
    int connections = job->workers < 8 ? job->workers : 8;
    int rc = job_make_dirs(in->path);
    if (rc == 0)
        rc = dxdownload_file(&job->env, &in->file, in->path, connections);
    return rc ? rc_context("input %s", in->field) : 0;
}

int job_bam_inputs(job_t *job, int bai_required, job_bam_t *b)
{
    *b = (job_bam_t){.mirror.fd = -1};
    int rc = job_input_file(job, BAM_INPUT, 1, &b->bam, NULL);
    return rc ? rc : job_input_file(job, BAI_INPUT, bai_required, &b->bai, &b->have_bai);
}

void job_bam_close(job_bam_t *b)
{
    alnfile_close(&b->in);
    mirror_close(&b->mirror);
    dxfile_free(&b->bam.file);
    dxfile_free(&b->bai.file);
}

int job_open_mirrored(job_t *job, job_bam_t *b, int flags)
{
    job_file_t *bam = &b->bam, *bai = b->have_bai ? &b->bai : NULL;
    mirror_t *m = &b->mirror;
    int rc = job_check_space(job, bai ? bai->file.size : 0);
    if (rc == 0 && bai)
        rc = job_download_input(job, bai);
    if (rc == 0 && (rc = job_make_dirs(bam->path)) == 0)
        rc = mirror_open(m, &job->env, &bam->file, bam->path);
    /* The index must not look older than the data to htslib. */
    if (rc == 0 && bai)
        utime(bai->path, NULL);
    if (rc == 0 && (rc = mirror_open_bam(m, bai ? bai->path : NULL, flags, &b->in)) == 0) {
        char size[16];
        log_info("open: %s header%s read (%s)", bam->file.name,
                 flags & ALNFILE_NO_EOF_CHECK ? "" : " and end-of-file marker",
                 log_bytes(mirror_fetched(m), size));
    }
    return rc;
}

int job_scan(job_t *job, job_bam_t *b, const job_count_t *c, int local, const uint64_t *range,
             tally_t *t)
{
    stream_opts_t so = {&job->env, &b->bam.file, job->connections, job->chunk};
    scan_source_t stream = stream_source(&so, b->bam.path);
    scan_opts_t opts = {.regions = c->regions, .filter = c->filter, .reference = c->reference,
                        .workers = job->workers,
                        .timeout = job->timeout, .stall = job->stall,
                        .source = local ? NULL : &stream};
    return range ? scan_range(&b->in, range[0], range[1], &opts, t) : scan_file(&b->in, &opts, t);
}

/* <file name without .bam or .cram><suffix>, made safe. */
static void output_name(const char *bam_name, const char *suffix, char *out, size_t size)
{
    char stem[256];
    snprintf(stem, sizeof stem, "%s", bam_name);
    size_t n = strlen(stem);
    if (n > 4 && strcmp(stem + n - 4, ".bam") == 0)
        stem[n - 4] = '\0';
    else if (n > 5 && strcmp(stem + n - 5, ".cram") == 0)
        stem[n - 5] = '\0';
    char safe[256];
    fdio_safe_name(stem, safe, sizeof safe);
    snprintf(out, size, "%s%s", safe, suffix);
}

/* Keep text in ~/out/<field>/<name> and upload it; its id in id[64]. */
static int publish_file(job_t *job, const char *field, const char *name, const kstring_t *text,
                        char id[64])
{
    char path[512];
    snprintf(path, sizeof path, "out/%s/%s", field, name);
    int rc = job_make_dirs(path);
    if (rc == 0)
        rc = fdio_save(path, text->s, text->l);
    if (rc == 0)
        rc = dxupload_file(&job->env, name, "text/plain", text->s, text->l, id);
    return rc;
}

int job_publish_counts(job_t *job, const char *bam_name, const regions_t *regions,
                       const uint64_t *counts)
{
    char name[300], tsv_name[300], id[64], tsv_id[64];
    /* Formatted whole: they are uploaded from memory. */
    countfile_out_t text = {.threads = job->workers}, tsv = {.threads = job->workers};
    uint64_t total = 0;
    output_name(bam_name, "_count.txt", name, sizeof name);
    output_name(bam_name, "_counts.tsv", tsv_name, sizeof tsv_name);
    int rc = countfile_format(regions, counts, &text, &total);
    if (rc == 0)
        rc = countfile_format_tsv(regions, counts, &tsv);
    if (rc == 0) {
        log_info("upload: %s and %s (%" PRIu64 " reads in all)", name, tsv_name, total);
        rc = publish_file(job, "count_file", name, &text.buf, id);
    }
    if (rc == 0)
        rc = publish_file(job, "counts_tsv", tsv_name, &tsv.buf, tsv_id);
    if (rc == 0 && !(job->output = json_pack("{s:{s:s},s:{s:s},s:I}", "count_file", "$dnanexus_link",
                                             id, "counts_tsv", "$dnanexus_link", tsv_id,
                                             "total_reads", (json_int_t)total)))
        rc = rc_fail(RC_EINTERNAL, "out of memory");
    free(text.buf.s);
    free(tsv.buf.s);
    return rc;
}
