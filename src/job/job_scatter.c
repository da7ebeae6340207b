/* job_scatter.c -- counting over subjobs, the platform's own distributed
 * engine: main plans and launches, count_part counts a part, gather adds
 * the parts up.
 *
 * main (input subjobs = n > 1) reads only what planning needs: the BAM's
 * header and end-of-file marker (Range requests into a sparse mirror) and
 * the BAI. Without a BAI it downloads the BAM once, builds the index with
 * htslib's threads, uploads it and passes it on. It splits the BAM into n
 * parts of about equal compressed size (plan.h), starts one count_part
 * subjob per part and one gather subjob whose input is the parts' outputs
 * as job-based object references, and outputs references to gather's
 * outputs; the platform resolves them when gather is done.
 *
 * count_part reads only its part's byte range (plus the header and the
 * blocks at its edges) and counts it with all its cores (scan_range). Its
 * output "counts" carries the part's tally (tally.h): inline when small,
 * else as a file.
 *
 * gather checks the parts against each other (coordinate order) and their
 * sum against the index, then uploads the count file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dxupload.h"
#include "job.h"
#include "job_spec.h"
#include "log.h"
#include "plan.h"
#include "rc.h"
#include "scan.h"

/* ---- a part: its description, and its tally ----------------------------- */

static json_t *part_json(const plan_t *plan, int i)
{
    const plan_part_t *p = &plan->parts[i];
    json_int_t end = p->end == ALNFILE_VOFF_END ? -1 : (json_int_t)p->end;
    return json_pack("{s:i,s:i,s:I,s:I}", "index", i + 1, "count", plan->n, "beg",
                     (json_int_t)p->beg, "end", end);
}

/* The part input of count_part: 1 <= index <= count, beg < end (or -1). */
static int read_part(json_t *input, int *index, int *count, uint64_t *beg, uint64_t *end)
{
    json_t *p = json_object_get(input, "part");
    json_t *i = json_object_get(p, "index"), *n = json_object_get(p, "count");
    json_t *b = json_object_get(p, "beg"), *e = json_object_get(p, "end");
    if (!json_is_integer(i) || !json_is_integer(n) || !json_is_integer(b) || !json_is_integer(e) ||
        json_integer_value(i) < 1 || json_integer_value(i) > json_integer_value(n) ||
        json_integer_value(b) < 0 || json_integer_value(e) < -1 ||
        (json_integer_value(e) >= 0 && json_integer_value(e) <= json_integer_value(b)))
        return rc_fail(RC_EINTERNAL, "input part must be {index, count, beg, end} with valid offsets");
    *index = (int)json_integer_value(i);
    *count = (int)json_integer_value(n);
    *beg = (uint64_t)json_integer_value(b);
    *end = json_integer_value(e) < 0 ? ALNFILE_VOFF_END : (uint64_t)json_integer_value(e);
    return 0;
}

/* Part k's tally from count_part's output counts, added into sum; its ends
 * into *ends. */
static int tally_input(job_t *job, json_t *counts, size_t k, tally_t *sum, tally_t *ends)
{
    char what[64];
    snprintf(what, sizeof what, "the counts of count_part %zu", k + 1);
    kstring_t packed = {0};
    int rc = job_packed_input(job, counts, what, &packed);
    if (rc == 0)
        rc = tally_unpack_add(sum, packed.s, packed.l, what, ends);
    free(packed.s);
    return rc;
}

/* ---- main: plan and launch ------------------------------------------------ */

/* The suffix of the index samtools writes for the file at path: ".crai"
 * for a CRAM, ".bai" for anything else (a BAM, or what will fail). */
static const char *index_suffix(const char *path)
{
    htsFile *fp = hts_open(path, "r");
    int is_cram = fp && hts_get_format(fp)->format == cram;
    if (fp)
        hts_close(fp);
    return is_cram ? ".crai" : ".bai";
}

/* No index: download the file, index it with all cores, upload the index. */
static int build_index(job_t *job, job_file_t *bam, char bai_path[600], char bai_id[64])
{
    int rc = job_check_space(job, bam->file.size + bam->file.size / 100);
    if (rc == 0)
        rc = job_download_input(job, bam);
    const char *suffix = rc == 0 ? index_suffix(bam->path) : ".bai";
    snprintf(bai_path, 600, "%s%s", bam->path, suffix);
    log_info("index: no %s given: building the index of %s with %d threads", BAI_INPUT,
             bam->file.name, job->workers);
    if (rc == 0 && sam_index_build3(bam->path, bai_path, 0, job->workers) != 0)
        rc = rc_fail(RC_EINPUT, "%s cannot be indexed: not a coordinate-sorted BAM or CRAM, or "
                     "corrupt", bam->path);
    kstring_t data = {0};
    FILE *f = rc == 0 ? fopen(bai_path, "rb") : NULL;
    char buf[65536];
    for (size_t n; f && (n = fread(buf, 1, sizeof buf, f)) > 0;)
        kputsn(buf, n, &data);
    if (f)
        fclose(f);
    char name[300];
    snprintf(name, sizeof name, "%s%s", bam->file.name, suffix);
    if (rc == 0 && !data.s)
        rc = rc_fail(RC_EINTERNAL, "cannot read the index built at %s", bai_path);
    if (rc == 0)
        rc = dxupload_file(&job->env, name, NULL, data.s, data.l, bai_id);
    free(data.s);
    return rc;
}

/* The BAM and its index, for planning: the BAI downloaded and the BAM
 * mirrored, or, with no BAI, the BAM downloaded and indexed here. */
static int open_for_planning(job_t *job, job_bam_t *b, char bai_id[64])
{
    if (b->have_bai) {
        snprintf(bai_id, 64, "%s", b->bai.link.id);
        return job_open_mirrored(job, b, 0);
    }
    char bai_path[600];
    int rc = build_index(job, &b->bam, bai_path, bai_id);
    return rc ? rc : alnfile_open(&b->in, b->bam.path, bai_path, 0);
}

static int launch(job_t *job, const job_file_t *bam, const char *bai_id, const plan_t *plan)
{
    json_t *parts = json_array();
    char id[64], name[64];
    int rc = parts ? 0 : rc_fail(RC_EINTERNAL, "out of memory");
    for (int i = 0; rc == 0 && i < plan->n; i++) {
        json_t *in = json_pack("{s:o,s:o,s:o}", BAM_INPUT, job_link(bam->link.id), BAI_INPUT,
                               job_link(bai_id), "part", part_json(plan, i));
        snprintf(name, sizeof name, "count_part %d/%d", i + 1, plan->n);
        if ((rc = job_spec_pass_on(job, in)) == 0 &&
            (rc = job_new_subjob(job, "count_part", name, in, id)) == 0)
            json_array_append_new(parts, job_jbor(id, "counts"));
        json_decref(in);
    }
    if (rc == 0) {
        json_t *in = json_pack("{s:O,s:b,s:o,s:o}", "parts", parts, "read_unplaced",
                               !plan->skips_unplaced, BAM_INPUT, job_link(bam->link.id),
                               BAI_INPUT, job_link(bai_id));
        if ((rc = job_spec_pass_on(job, in)) == 0)
            rc = job_new_subjob(job, "gather", "gather", in, id);
        json_decref(in);
    }
    if (rc == 0) {
        log_info("scatter: %d count_part subjobs and gather %s started", plan->n, id);
        static const char *const fields[] = {"count_file", "counts_tsv", "total_reads",
                                             JOB_COHORT_OUTPUTS, NULL};
        rc = job_output_refs(job, id, fields);
    }
    json_decref(parts);
    return rc;
}

int job_scatter(job_t *job, int subjobs)
{
    job_bam_t b = {.mirror.fd = -1};
    job_spec_t spec = {0};
    plan_t plan = {0};
    char bai_id[64];
    int rc = job_spec_inputs(job, &spec);
    if (rc == 0)
        rc = job_bam_inputs(job, 0, &b);
    if (rc == 0)
        rc = open_for_planning(job, &b, bai_id);
    /* The regions too: a bad BED fails here, before any subjob starts. */
    if (rc == 0)
        rc = job_spec_regions(job, &spec, b.in.hdr);
    if (rc == 0 && (rc = plan_make(&b.in, subjobs, PLAN_WITH_UNPLACED, &plan)) == 0) {
        log_info("scatter: %s split into %d parts (largest / mean %.3f)", b.bam.file.name, plan.n,
                 plan_balance(&plan));
        rc = launch(job, &b.bam, bai_id, &plan);
    }
    plan_free(&plan);
    job_spec_free(&spec);
    job_bam_close(&b);
    return rc;
}

/* ---- count_part ---------------------------------------------------------- */

/* What count_part and gather both read: the spec, the BAM and BAI, the BAM's
 * header through its mirror (the end-of-file marker is main's to check),
 * and the regions for it. */
static int part_inputs(job_t *job, job_bam_t *b, job_spec_t *spec)
{
    int rc = job_spec_inputs(job, spec);
    if (rc == 0)
        rc = job_bam_inputs(job, 1, b);
    if (rc == 0)
        rc = job_open_mirrored(job, b, ALNFILE_NO_EOF_CHECK);
    if (rc == 0)
        rc = job_spec_reference(job, spec, b->in.kind == ALNFILE_CRAM);
    return rc ? rc : job_spec_regions(job, spec, b->in.hdr);
}

int job_scatter_part(job_t *job)
{
    job_bam_t b = {.mirror.fd = -1};
    job_spec_t spec = {0};
    tally_t t;
    int index = 0, count = 0;
    uint64_t range[2];
    int rc = read_part(job->input, &index, &count, &range[0], &range[1]);
    if (rc == 0)
        rc = part_inputs(job, &b, &spec);
    if (rc == 0) {
        char to[32] = "the end";
        if (range[1] != ALNFILE_VOFF_END)
            snprintf(to, sizeof to, "%" PRIu64, range[1] >> 16);
        log_info("count_part %d/%d: %s from byte %" PRIu64 " to %s, with %d workers", index, count,
                 b.bam.file.name, range[0] >> 16, to, job->workers);
        job_count_t c = {&spec.regions, job_spec_filter(&spec), spec.reference};
        if ((rc = job_scan(job, &b, &c, 0, range, &t)) == 0) {
            log_info("count_part %d/%d: %" PRIu64 " records", index, count, t.n_records);
            json_t *counts = NULL;
            kstring_t packed = {0};
            char name[64];
            snprintf(name, sizeof name, "count_part_%d.tally", index);
            if ((rc = tally_pack(&t, &packed)) == 0 &&
                (rc = job_packed_output(job, &packed, name, &counts)) == 0 &&
                !(job->output = json_pack("{s:o}", "counts", counts)))
                rc = rc_fail(RC_EINTERNAL, "out of memory");
            free(packed.s);
            tally_free(&t);
        }
    }
    job_spec_free(&spec);
    job_bam_close(&b);
    return rc;
}

/* ---- gather -------------------------------------------------------------- */

/* Every part's counts, in part order, added into total; checked for order
 * across parts. */
static int add_parts(job_t *job, const alnfile_t *in, int64_t n_counts, json_t *parts,
                     tally_t *total)
{
    size_t n = json_array_size(parts);
    if (!json_is_array(parts) || n == 0)
        return rc_fail(RC_EINTERNAL, "input parts must be a non-empty array of count_part outputs");
    tally_t *ends = calloc(n, sizeof *ends);
    int rc = ends ? tally_init(total, sam_hdr_nref(in->hdr), n_counts)
                  : rc_fail(RC_EINTERNAL, "out of memory");
    for (size_t k = 0; rc == 0 && k < n; k++)
        rc = tally_input(job, json_array_get(parts, k), k, total, &ends[k]);
    if (rc == 0)
        rc = scan_check_order(in, ends, (int)n);
    if (rc != 0 && ends)
        tally_free(total);
    free(ends);
    return rc;
}

int job_scatter_gather(job_t *job)
{
    job_bam_t b = {.mirror.fd = -1};
    job_spec_t spec = {0};
    tally_t total;
    int read_unplaced = 0;
    json_t *parts = json_object_get(job->input, "parts");
    int rc = jobio_bool(job->input, "read_unplaced", 0, &read_unplaced);
    if (rc == 0)
        rc = part_inputs(job, &b, &spec);
    if (rc == 0 && (rc = add_parts(job, &b.in, spec.regions.n, parts, &total)) == 0) {
        log_info("gather: %zu parts, %" PRIu64 " records", json_array_size(parts), total.n_records);
        rc = scan_check_index(&b.in, &total, read_unplaced);
        char counted[256];
        job_spec_describe(&spec, counted, sizeof counted);
        if (rc == 0)
            rc = job_publish_single(job, &b, &spec.regions, counted, &total);
        tally_free(&total);
    }
    job_spec_free(&spec);
    job_bam_close(&b);
    return rc;
}
