/* bamfile.c -- open and check a BAM and its index; see bamfile.h. */
#include "bamfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <htslib/bgzf.h>

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

int bamfile_check_format(htsFile *fp, const char *path, int check_eof)
{
    const htsFormat *fmt = hts_get_format(fp);
    if (fmt->format != bam) {
        char *desc = hts_format_description(fmt);
        int rc = rc_fail(RC_EINPUT, "%s is not a BAM file (it looks like %s)", path,
                         desc ? desc : "something else");
        free(desc);
        return rc;
    }
    if (fmt->compression != bgzf)
        return rc_fail(RC_EINPUT, "%s is not BGZF-compressed BAM", path);
    if (!check_eof)
        return 0;
    switch (hts_check_EOF(fp)) {
    case 0:
        return rc_fail(RC_EINPUT, "%s is truncated: the BGZF end-of-file marker is missing", path);
    case -1:
        return rc_fail_errno(RC_EINPUT, "cannot check the end of %s", path);
    default: /* 1: present; 2, 3: cannot be checked (a stream) */
        return 0;
    }
}

int bamfile_load_index(bamfile_t *in, htsFile *fp, const char *index_path)
{
    int rc = check_regular_file(index_path, "index", NULL);
    if (rc != 0)
        return rc;
    in->idx = sam_index_load2(fp, in->path, index_path);
    if (!in->idx)
        return rc_fail(RC_EINPUT, "%s is not a BAM index (BAI or CSI) that can be read", index_path);
    in->index_path = index_path;
    int nseq = hts_idx_nseq(in->idx), nref = sam_hdr_nref(in->hdr);
    if (nseq != nref)
        return rc_fail(RC_EINPUT,
                       "index %s does not belong to %s: it has %d reference sequences, the header %d",
                       index_path, in->path, nseq, nref);
    return 0;
}

/* An index next to the BAM under one of the names samtools uses, as a
 * string the caller frees; NULL if there is none. */
static char *find_index_file(const char *path)
{
    static const char *suffix[] = {".bai", ".csi"};
    size_t n = strlen(path);
    int stem = n > 4 && strcmp(path + n - 4, ".bam") == 0 ? (int)(n - 4) : -1;
    char *found = malloc(n + 8);
    for (int i = 0; found && i < 2; i++) {
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
static int check_sort_order(const bamfile_t *in)
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

static int open_checked(bamfile_t *in, const char *path, const char *index_path, int flags);

int bamfile_open(bamfile_t *in, const char *path, const char *index_path, int flags)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    int rc = check_regular_file(path, "BAM", &in->size);
    if (rc != 0)
        return rc;
    if (in->size == 0)
        return rc_fail(RC_EINPUT, "%s is empty, not a BAM file", path);
    /* Our messages say what htslib's would; keep stderr to one line. */
    enum htsLogLevel level = hts_get_log_level();
    hts_set_log_level(HTS_LOG_OFF);
    rc = open_checked(in, path, index_path, flags);
    hts_set_log_level(level);
    if (rc != 0)
        bamfile_close(in);
    return rc;
}

static int open_checked(bamfile_t *in, const char *path, const char *index_path, int flags)
{
    htsFile *fp = hts_open(path, "rb");
    if (!fp && errno == ENOEXEC)
        return rc_fail(RC_EINPUT, "%s is not a BAM file (its format is not recognised)", path);
    if (!fp)
        return rc_fail_errno(RC_EINPUT, "cannot open BAM %s", path);
    int rc = bamfile_check_format(fp, path, !(flags & BAMFILE_NO_EOF_CHECK));
    if (rc == 0 && !(in->hdr = sam_hdr_read(fp))) {
        rc = rc_fail(RC_EINPUT, "cannot read the header of %s: truncated or corrupt BAM", path);
        in->header_unreadable = 1;
    }
    if (rc == 0) {
        in->data_voff = bgzf_tell(fp->fp.bgzf);
        if (!index_path && (flags & BAMFILE_FIND_INDEX))
            index_path = in->found_index = find_index_file(path);
        if (index_path)
            rc = bamfile_load_index(in, fp, index_path);
    }
    if (rc == 0 && in->idx)
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

void bamfile_close(bamfile_t *in)
{
    if (in->idx)
        hts_idx_destroy(in->idx);
    if (in->hdr)
        sam_hdr_destroy(in->hdr);
    free(in->found_index);
    in->idx = NULL;
    in->hdr = NULL;
    in->found_index = NULL;
}
