/* job_spec.c -- what the job counts, from its inputs; see job_spec.h. */
#include "job_spec.h"

#include <stdio.h>
#include <string.h>
#include <htslib/faidx.h>

#include "log.h"
#include "rc.h"
#include "report.h"

/* The inputs that make the spec, which the subjobs get as they are. */
static const char *const SPEC_INPUTS[] = {REGIONS_INPUT,        "bin_size",      "min_mapq",
                                          "require_flags",      "exclude_flags", "exclude_all_flags",
                                          REFERENCE_INPUT,      REFERENCE_INDEX_INPUT, NULL};

/* A FLAG input (a string in samtools' notation), into *flag. */
static int flag_input(job_t *job, const char *name, uint16_t *flag)
{
    const char *text;
    int rc = jobio_string(job->input, name, NULL, NULL, &text);
    char what[64];
    snprintf(what, sizeof what, "input %s", name);
    return rc || !text ? rc : filter_parse_flag(what, text, flag);
}

int job_spec_inputs(job_t *job, job_spec_t *s)
{
    memset(s, 0, sizeof *s);
    long long mapq = 0;
    int rc = jobio_int(job->input, "bin_size", 0, 1, 1LL << 40, &s->bin_size);
    if (rc == 0)
        rc = jobio_int(job->input, "min_mapq", 0, 0, 255, &mapq);
    s->filter.min_mapq = (int)mapq;
    if (rc == 0)
        rc = flag_input(job, "require_flags", &s->filter.require);
    if (rc == 0)
        rc = flag_input(job, "exclude_flags", &s->filter.exclude);
    if (rc == 0)
        rc = flag_input(job, "exclude_all_flags", &s->filter.exclude_all);
    if (rc == 0)
        rc = job_input_file(job, REGIONS_INPUT, 0, &s->bed, &s->have_bed);
    if (rc == 0)
        rc = job_input_file(job, REFERENCE_INPUT, 0, &s->ref, &s->have_ref);
    if (rc == 0)
        rc = job_input_file(job, REFERENCE_INDEX_INPUT, 0, &s->ref_index, &s->have_ref_index);
    if (rc == 0 && s->have_ref_index && !s->have_ref)
        rc = rc_fail(RC_EINPUT, "input %s without %s", REFERENCE_INDEX_INPUT, REFERENCE_INPUT);
    if (rc == 0 && s->have_bed && s->bin_size)
        rc = rc_fail(RC_EINPUT, "inputs regions and bin_size: count a BED file's regions or bins, "
                     "not both");
    return rc;
}

int job_spec_regions(job_t *job, job_spec_t *s, const sam_hdr_t *hdr)
{
    int rc;
    if (s->have_bed) {
        if ((rc = job_download_input(job, &s->bed)) == 0)
            rc = regions_load_bed(&s->regions, hdr, s->bed.path);
        if (rc != 0)
            return rc_context("input %s", REGIONS_INPUT);
    } else if (s->bin_size) {
        if ((rc = regions_bins(&s->regions, hdr, s->bin_size, "input bin_size")) != 0)
            return rc;
    } else if ((rc = regions_whole(&s->regions, hdr)) != 0) {
        return rc;
    }
    if (!job_spec_plain(s)) {
        char f[96];
        const char *what = s->have_bed ? "regions of " : s->bin_size ? "bins" : "reference sequences";
        int all = filter_none(&s->filter);
        log_info("count: %lld %s%s%s%s", (long long)s->regions.n, what,
                 s->have_bed ? s->bed.file.name : "", all ? "" : ", reads passing ",
                 all ? "" : filter_describe(&s->filter, f));
    }
    return 0;
}

int job_spec_reference(job_t *job, job_spec_t *s, int kind_cram)
{
    if (!s->have_ref)
        return 0;
    if (!kind_cram) {
        log_info("reference: %s not needed for a BAM: not downloaded", s->ref.file.name);
        return 0;
    }
    int rc = job_check_space(job, s->ref.file.size + s->ref_index.file.size);
    if (rc == 0)
        rc = job_download_input(job, &s->ref);
    if (rc == 0 && s->have_ref_index) {
        /* htslib finds the index as <FASTA>.fai. */
        size_t size = sizeof s->ref_index.path;
        rc = snprintf(s->ref_index.path, size, "%s.fai", s->ref.path) < (int)size
                 ? job_download_input(job, &s->ref_index)
                 : rc_fail(RC_EINPUT, "input %s: the name is too long", REFERENCE_INPUT);
    }
    faidx_t *fai = rc == 0 ? fai_load3(s->ref.path, NULL, NULL, FAI_CREATE) : NULL;
    if (rc == 0 && !fai)
        rc = rc_fail(RC_EINPUT, "input %s (%s) is not a FASTA file htslib can index (plain, or "
                     "bgzip-compressed; not plain gzip)%s", REFERENCE_INPUT, s->ref.file.name,
                     s->have_ref_index ? ", or its index does not belong to it" : "");
    if (fai)
        fai_destroy(fai);
    if (rc == 0)
        s->reference = s->ref.path;
    return rc;
}

void job_spec_free(job_spec_t *s)
{
    regions_free(&s->regions);
    dxfile_free(&s->bed.file);
    dxfile_free(&s->ref.file);
    dxfile_free(&s->ref_index.file);
}

int job_spec_plain(const job_spec_t *s)
{
    return !s->have_bed && !s->bin_size && filter_none(&s->filter);
}

const filter_t *job_spec_filter(const job_spec_t *s)
{
    return filter_none(&s->filter) ? NULL : &s->filter;
}

int job_spec_pass_on(const job_t *job, json_t *subjob_input)
{
    for (int i = 0; SPEC_INPUTS[i]; i++) {
        json_t *v = json_object_get(job->input, SPEC_INPUTS[i]);
        if (v && json_object_set(subjob_input, SPEC_INPUTS[i], v) != 0)
            return rc_fail(RC_EINTERNAL, "out of memory");
    }
    return 0;
}

void job_spec_describe(const job_spec_t *s, char *out, size_t size)
{
    report_counted(&s->regions, s->bed.file.name, &s->filter, out, size);
}

int job_spec_method(job_t *job, const job_spec_t *s, job_method_t *m)
{
    static const char *const methods[] = {"scan", "index", NULL};
    const char *method;
    int rc = jobio_string(job->input, "count_method", "scan", methods, &method);
    if (rc == 0)
        rc = jobio_bool(job->input, "download_first", 0, &m->download_first);
    m->from_index = rc == 0 && strcmp(method, "index") == 0;
    if (rc == 0 && m->from_index && !job_spec_plain(s))
        rc = rc_fail(RC_EINPUT, "count_method index counts whole reference sequences with no "
                     "filter; count regions, bins or filtered reads with count_method scan");
    return rc;
}
