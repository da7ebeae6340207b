/* sample.h -- the samples of a cohort: what each is called, and whether
 * they were all aligned to the same reference.
 *
 * A sample is named by the SM of its read groups when they all give the
 * same one, otherwise by its file name without directory and extension
 * (.bam, .cram). The name is made safe to be a file name (fdio_safe_name:
 * other characters than letters, digits and ._+- become '_'), because it
 * names the sample's count file and its idxstats file, from which MultiQC
 * takes the sample name; the matrix, the MultiQC table and the report use
 * the same name, so they line up. Names are made unique in input order.
 */
#ifndef RC_SAMPLE_H
#define RC_SAMPLE_H

#include <stddef.h>
#include <htslib/sam.h>

/* The longest sample name (a file name less its suffixes). */
#define SAMPLE_NAME_MAX 200

/* The name of the sample in the file called file_name (a path or a name)
 * whose header is hdr, into out (SAMPLE_NAME_MAX + 1 bytes). */
void sample_name(const sam_hdr_t *hdr, const char *file_name, char *out);

/* file_name (a path or a name) without its directory and .bam or .cram,
 * made safe for a file name, into out (size bytes): what names a sample
 * without an SM, and a single file's outputs. */
void sample_file_stem(const char *file_name, char *out, size_t size);

/* Names already given, so that the next one can be made unique. */
typedef struct sample_names sample_names_t;

sample_names_t *sample_names_init(void);
void sample_names_free(sample_names_t *s);

/* Make name (SAMPLE_NAME_MAX + 1 bytes) unique among those given before:
 * a name taken gets "_2", "_3", ... (the first one free), then is taken.
 * Returns 0 or RC_EINTERNAL. */
int sample_names_take(sample_names_t *s, char *name);

/* 0 when hdr (of the file what) has the reference sequences of first (of
 * the file first_what): the same names and lengths in the same order, so
 * that their counts fill the same rows. Else RC_EINPUT with a message that
 * names both files and the first difference. */
int sample_same_reference(const sam_hdr_t *first, const char *first_what, const sam_hdr_t *hdr,
                          const char *what);

#endif
