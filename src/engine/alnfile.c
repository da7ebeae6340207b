/* alnfile.c -- open and check a BAM or CRAM and its index; see alnfile.h. */
#include "alnfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/cram.h>
#include <htslib/hfile.h>

#include "rc.h"

static int check_regular_file(const char *path, const char *what, int64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return rc_fail_errno(RC_EINPUT, "cannot open %s %s", what, path);
    if (!S_ISREG(st.st_mode))
        return rc_fail(RC_EINPUT, "%s %s is not a regular file", what, path);
    if (access(path, R_OK) != 0)
        return rc_fail_errno(RC_EINPUT, "cannot read %s %s", what, path);
    if (size)
        *size = st.st_size;
    return 0;
}

/* The CRAM versions htslib 1.16 reads. */
static int cram_version_known(int major, int minor)
{
    return (major == 2 && minor == 1) || (major == 3 && (minor == 0 || minor == 1));
}

int alnfile_check_format(alnfile_t *in, htsFile *fp, const char *path, int check_eof)
{
    const htsFormat *fmt = hts_get_format(fp);
    if (fmt->format == cram) {
        in->kind = ALNFILE_CRAM;
        in->cram_major = fmt->version.major;
        in->cram_minor = fmt->version.minor;
        if (!cram_version_known(in->cram_major, in->cram_minor))
            return rc_fail(RC_EINPUT, "%s is CRAM version %d.%d, which htslib %s cannot read "
                           "(it reads 2.1, 3.0 and 3.1)", path, in->cram_major, in->cram_minor,
                           hts_version());
    } else if (fmt->format == bam) {
        in->kind = ALNFILE_BAM;
        if (fmt->compression != bgzf)
            return rc_fail(RC_EINPUT, "%s is not BGZF-compressed BAM", path);
    } else {
        char *desc = hts_format_description(fmt);
        int rc = rc_fail(RC_EINPUT, "%s is not a BAM or CRAM file (it looks like %s)", path,
                         desc ? desc : "something else");
        free(desc);
        return rc;
    }
    if (!check_eof)
        return 0;
    switch (hts_check_EOF(fp)) {
    case 0:
        return in->kind == ALNFILE_CRAM
                   ? rc_fail(RC_EINPUT, "%s is truncated: the CRAM end-of-file container is missing",
                             path)
                   : rc_fail(RC_EINPUT, "%s is truncated: the BGZF end-of-file marker is missing",
                             path);
    case -1:
        return rc_fail_errno(RC_EINPUT, "cannot check the end of %s", path);
    default: /* 1: present; 2, 3: cannot be checked (a stream) */
        return 0;
    }
}

/* The format of the file at path, from its first bytes (unknown_format
 * when it cannot be read). */
static htsFormat detect(const char *path)
{
    hFILE *h = hopen(path, "r");
    htsFormat fmt = {0};
    if (!h || hts_detect_format(h, &fmt) != 0)
        fmt.format = unknown_format;
    if (h)
        hclose_abruptly(h);
    return fmt;
}

/* What kind of index the file at path is: bai, csi, crai (htslib's
 * exact formats), or unknown_format. */
static enum htsExactFormat index_format(const char *path) { return detect(path).format; }

int alnfile_is_alignments(const char *path)
{
    enum htsExactFormat f = detect(path).format;
    return f == bam || f == cram;
}

static int load_crai(alnfile_t *in, const char *index_path)
{
    enum htsExactFormat f = index_format(index_path);
    if (f == bai || f == csi)
        return rc_fail(RC_EINPUT, "%s is a %s (a BAM's index), not a CRAM index: give %s's .crai",
                       index_path, f == bai ? "BAI" : "CSI", in->path);
    int rc = crai_load(&in->crai, index_path, sam_hdr_nref(in->hdr), in->cram_data_end);
    if (rc == 0 && in->crai.n && in->crai.containers[0] < in->cram_data)
        rc = rc_fail(RC_EINPUT, "index %s does not belong to %s: it points into the header",
                     index_path, in->path);
    return rc;
}

static int load_index(alnfile_t *in, htsFile *fp, const char *index_path)
{
    int rc = check_regular_file(index_path, "index", NULL);
    if (rc != 0)
        return rc;
    in->index_path = index_path;
    if (in->kind == ALNFILE_CRAM)
        return load_crai(in, index_path);
    if (index_format(index_path) == crai)
        return rc_fail(RC_EINPUT, "%s is a CRAI (a CRAM's index), not a BAM index: give %s's "
                       ".bai", index_path, in->path);
    in->idx = sam_index_load2(fp, in->path, index_path);
    if (!in->idx)
        return rc_fail(RC_EINPUT, "%s is not a BAM index (BAI or CSI) that can be read", index_path);
    int nseq = hts_idx_nseq(in->idx), nref = sam_hdr_nref(in->hdr);
    if (nseq != nref)
        return rc_fail(RC_EINPUT,
                       "index %s does not belong to %s: it has %d reference sequences, the header %d",
                       index_path, in->path, nseq, nref);
    return 0;
}

/* An index next to the file under one of the names samtools uses, as a
 * string the caller frees; NULL if there is none. */
static char *find_index_file(const char *path, alnfile_kind_t kind)
{
    static const char *bam_suffix[] = {".bai", ".csi", NULL}, *cram_suffix[] = {".crai", NULL};
    const char **suffix = kind == ALNFILE_CRAM ? cram_suffix : bam_suffix;
    const char *ext = kind == ALNFILE_CRAM ? ".cram" : ".bam";
    size_t n = strlen(path), e = strlen(ext);
    int stem = n > e && strcmp(path + n - e, ext) == 0 ? (int)(n - e) : -1;
    char *found = malloc(n + 8);
    for (int i = 0; found && suffix[i]; i++) {
        sprintf(found, "%s%s", path, suffix[i]);
        if (access(found, R_OK) == 0)
            return found;
        if (stem < 0)
            continue;
        sprintf(found, "%.*s%s", stem, path, suffix[i]);
        if (access(found, R_OK) == 0)
            return found;
    }
    free(found);
    return NULL;
}

/* Counting with an index needs a coordinate-sorted BAM; a header that says
 * otherwise is believed at once (the workers check the records too). */
static int check_sort_order(const alnfile_t *in)
{
    kstring_t so = {0};
    int rc = 0;
    if (sam_hdr_find_tag_hd(in->hdr, "SO", &so) == 0 &&
        (strcmp(so.s, "queryname") == 0 || strcmp(so.s, "unsorted") == 0))
        rc = rc_fail(RC_EINPUT, "%s is not sorted by coordinate (its header says SO:%s)", in->path,
                     so.s);
    free(so.s);
    return rc;
}

static int open_checked(alnfile_t *in, const char *path, const char *index_path, int flags);

int alnfile_open(alnfile_t *in, const char *path, const char *index_path, int flags)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    int rc = check_regular_file(path, "BAM or CRAM", &in->size);
    if (rc != 0)
        return rc;
    if (in->size == 0)
        return rc_fail(RC_EINPUT, "%s is empty, not a BAM or CRAM file", path);
    /* Our messages say what htslib's would; keep stderr to one line. */
    enum htsLogLevel level = hts_get_log_level();
    hts_set_log_level(HTS_LOG_OFF);
    rc = open_checked(in, path, index_path, flags);
    hts_set_log_level(level);
    if (rc != 0)
        alnfile_close(in);
    return rc;
}

/* Where a CRAM's data begins and ends: after the header container, and at
 * the end-of-file container (of 38 bytes, 30 in CRAM 2.1; where it must
 * be, even when it was not checked, as in a subjob's mirror). */
static void cram_bounds(alnfile_t *in, htsFile *fp)
{
    in->cram_data = htell(cram_fd_get_fp(fp->fp.cram));
    in->data_voff = (uint64_t)in->cram_data << 16;
    in->cram_data_end = in->size - (in->cram_major >= 3 ? 38 : 30);
}

/* Why htslib could not open path, when its format says (a CRAM version it
 * does not read); 0 when it does not. */
static int unreadable_version(const char *path)
{
    htsFormat fmt = detect(path);
    if (fmt.format == cram && !cram_version_known(fmt.version.major, fmt.version.minor))
        return rc_fail(RC_EINPUT, "%s is CRAM version %d.%d, which htslib %s cannot read (it "
                       "reads 2.1, 3.0 and 3.1)", path, fmt.version.major, fmt.version.minor,
                       hts_version());
    return 0;
}

static int open_checked(alnfile_t *in, const char *path, const char *index_path, int flags)
{
    int saved_errno;
    htsFile *fp = hts_open(path, "rb");
    if (!fp && (saved_errno = errno, unreadable_version(path)) != 0)
        return RC_EINPUT;
    if (!fp)
        errno = saved_errno;
    if (!fp && errno == ENOEXEC)
        return rc_fail(RC_EINPUT, "%s is not a BAM or CRAM file (its format is not recognised)",
                       path);
    if (!fp)
        return rc_fail_errno(RC_EINPUT, "cannot open %s", path);
    int check_eof = !(flags & ALNFILE_NO_EOF_CHECK);
    int rc = alnfile_check_format(in, fp, path, check_eof);
    if (rc == 0 && !(in->hdr = sam_hdr_read(fp))) {
        rc = rc_fail(RC_EINPUT, "cannot read the header of %s: truncated or corrupt %s", path,
                     alnfile_kind_name(in));
        in->header_unreadable = 1;
    }
    if (rc == 0) {
        if (in->kind == ALNFILE_CRAM)
            cram_bounds(in, fp);
        else
            in->data_voff = bgzf_tell(fp->fp.bgzf);
        if (!index_path && (flags & ALNFILE_FIND_INDEX))
            index_path = in->found_index = find_index_file(path, in->kind);
        if (index_path)
            rc = load_index(in, fp, index_path);
    }
    if (rc == 0 && alnfile_indexed(in))
        rc = check_sort_order(in);
    /* htslib parses the header text lazily (check_sort_order above, a name
     * lookup), and then adds the @SQ lines the binary reference list lacks,
     * which changes sam_hdr_nref. Parse it now, so that every path and every
     * tally sees the same list from here on. (The index was checked against
     * the binary list, which the records' ids refer to.) */
    if (rc == 0)
        sam_hdr_count_lines(in->hdr, "SQ");
    hts_close(fp);
    return rc;
}

void alnfile_close(alnfile_t *in)
{
    if (in->idx)
        hts_idx_destroy(in->idx);
    crai_free(&in->crai);
    if (in->hdr)
        sam_hdr_destroy(in->hdr);
    free(in->found_index);
    in->idx = NULL;
    in->hdr = NULL;
    in->found_index = NULL;
}

void alnfile_no_reference_server(void)
{
    const char *p = getenv("REF_PATH");
    if (!p || !*p || strstr(p, "http:") || strstr(p, "https:") || strstr(p, "ftp:") ||
        strstr(p, "URL="))
        setenv("REF_PATH", "/proc/self/regcount-fetches-no-reference-%s", 1);
}
