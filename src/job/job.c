/* job.c -- steps the job's entry points share; see job.h. */
#include "job.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <utime.h>

#include "base64.h"
#include "dxdownload.h"
#include "dxupload.h"
#include "fdio.h"
#include "log.h"
#include "rc.h"
#include "scan.h"
#include "stream.h"
#include "workq.h"

int job_describe_input(job_t *job, const char *what, const jobio_link_t *link, const char *dir,
                       job_file_t *in)
{
    *in = (job_file_t){.link = *link};
    snprintf(in->what, sizeof in->what, "%s", what);
    int rc = dxfile_describe(&job->env, in->link.id, in->link.project, &in->file);
    if (rc != 0)
        return rc_context("input %s", what);
    if (strcmp(in->file.state, "closed") != 0)
        return rc_fail(RC_EINPUT, "input %s (%s) is %s, not closed", what, in->link.id,
                       in->file.state);
    char safe[256];
    fdio_safe_name(in->file.name, safe, sizeof safe);
    snprintf(in->path, sizeof in->path, "%s/%s", dir, safe);
    return 0;
}

int job_input_file(job_t *job, const char *field, int required, job_file_t *in, int *present)
{
    int given = 0;
    jobio_link_t link;
    *in = (job_file_t){0};
    snprintf(in->what, sizeof in->what, "%s", field);
    int rc = jobio_link(job->input, field, required, &link, &given);
    if (present)
        *present = given;
    if (rc != 0 || !given)
        return rc;
    char dir[128];
    snprintf(dir, sizeof dir, "in/%s", field);
    return job_describe_input(job, field, &link, dir, in);
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
    log_info("download: input %s %s (%s, %s)", in->what, in->file.name, in->link.id,
             log_bytes(in->file.size, b));
    /* As many parts at once as dx download fetches: min(cores, 8). */
    int connections = job->workers < 8 ? job->workers : 8;
    int rc = job_make_dirs(in->path);
    if (rc == 0)
        rc = dxdownload_file(&job->env, &in->file, in->path, connections);
    return rc ? rc_context("input %s", in->what) : 0;
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
                        .source = local ? NULL : &stream,
                        .with_unplaced = 1}; /* the job writes idxstats */
    return range ? scan_range(&b->in, range[0], range[1], &opts, t) : scan_file(&b->in, &opts, t);
}

/* Packed bytes travel in a subjob's output inline (base64) when they are
 * small, else as a file, so that millions of region counts never sit in a
 * job's output JSON. */
#define INLINE_PACKED_MAX (256 << 10)

json_t *job_packed_inline(const kstring_t *packed)
{
    kstring_t text = {0};
    json_t *out = base64_encode(packed->s ? packed->s : "", packed->l, &text) == 0
                      ? json_pack("{s:s}", "tally", text.s ? text.s : "")
                      : NULL;
    free(text.s);
    return out;
}

int job_packed_output(job_t *job, const kstring_t *packed, const char *name, json_t **out)
{
    char id[64];
    int rc = 0;
    *out = NULL;
    if (packed->l <= INLINE_PACKED_MAX)
        *out = job_packed_inline(packed);
    else if ((rc = dxupload_file(&job->env, name, NULL, packed->s, packed->l, id)) == 0)
        *out = json_pack("{s:{s:s}}", "tally_file", "$dnanexus_link", id);
    return rc == 0 && !*out ? rc_fail(RC_EINTERNAL, "out of memory") : rc;
}

int job_packed_input(job_t *job, json_t *counts, const char *what, kstring_t *packed)
{
    const char *text = json_string_value(json_object_get(counts, "tally"));
    json_t *file = json_object_get(counts, "tally_file");
    if (text)
        return base64_decode(text, strlen(text), what, packed);
    if (file)
        return job_read_small_file(job, file, what, packed);
    return rc_fail(RC_EINTERNAL, "%s are neither a tally nor a tally file", what);
}

json_t *job_link(const char *id) { return json_pack("{s:s}", "$dnanexus_link", id); }

json_t *job_jbor(const char *job_id, const char *field)
{
    return json_pack("{s:{s:s,s:s}}", "$dnanexus_link", "job", job_id, "field", field);
}

int job_output_refs(job_t *job, const char *job_id, const char *const *fields)
{
    json_t *out = json_object();
    for (; out && *fields; fields++)
        if (json_object_set_new(out, *fields, job_jbor(job_id, *fields)) != 0) {
            json_decref(out);
            out = NULL;
        }
    job->output = out;
    return out ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
}

int job_new_subjob(job_t *job, const char *function, const char *name, json_t *input, char id[64])
{
    char nonce[96];
    json_t *in = json_pack("{s:s,s:s,s:O,s:s}", "function", function, "name", name, "input", input,
                           "nonce", dx_nonce(nonce)),
           *out = NULL;
    int rc = in ? dx_call(&job->env, "/job/new", in, &out, DX_RETRY_SAFE, NULL)
                : rc_fail(RC_EINTERNAL, "out of memory");
    const char *jid = json_string_value(json_object_get(out, "id"));
    if (rc == 0 && (!jid || strncmp(jid, "job-", 4) != 0))
        rc = rc_fail(RC_EINTERNAL, "POST /job/new: the answer has no job id");
    if (rc == 0)
        snprintf(id, 64, "%s", jid);
    json_decref(in);
    json_decref(out);
    return rc;
}

/* ---- many platform calls at once ------------------------------------------ */

typedef struct {
    job_t jobs[JOB_THREADS]; /* copies of the job, each with a connection of its own */
    job_item_fn run;
    void *arg;
} for_each_t;

static int for_each_item(void *arg, int64_t item, int thread)
{
    for_each_t *f = arg;
    return f->run(f->arg, item, &f->jobs[thread]);
}

int job_for_each(job_t *job, int64_t n, job_item_fn run, void *arg)
{
    for_each_t *f = malloc(sizeof *f);
    if (!f)
        return rc_fail(RC_EINTERNAL, "out of memory");
    *f = (for_each_t){.run = run, .arg = arg};
    workq_spec_t spec = {.threads = n < JOB_THREADS ? (int)n : JOB_THREADS, .items = n,
                         .run = for_each_item, .arg = f};
    for (int t = 0; t < spec.threads; t++) {
        f->jobs[t] = *job;
        dx_env_copy(&f->jobs[t].env, &job->env);
    }
    int rc = n ? workq_run(&spec) : 0;
    for (int t = 0; t < spec.threads; t++)
        dx_env_free_copy(&f->jobs[t].env);
    free(f);
    return rc;
}

typedef struct {
    job_upload_t *files;
    const char *media;
} uploads_t;

/* Upload file i (written already; a matrix may be far larger than memory,
 * so it is mapped, not read). */
static int upload_one(void *arg, int64_t i, job_t *job)
{
    uploads_t *u = arg;
    job_upload_t *f = &u->files[i];
    int fd = open(f->path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int rc = rc_fail_errno(RC_EINTERNAL, "cannot read %s", f->path);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    size_t len = (size_t)st.st_size;
    void *data = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : (void *)"";
    close(fd);
    if (data == MAP_FAILED)
        return rc_fail_errno(RC_EINTERNAL, "cannot map %s", f->path);
    int rc = dxupload_file(&job->env, f->name, u->media, data, len, f->id);
    if (len)
        munmap(data, len);
    return rc;
}

int job_upload_files(job_t *job, int n, job_upload_t *files, const char *media)
{
    uploads_t u = {files, media};
    return job_for_each(job, n, upload_one, &u);
}
