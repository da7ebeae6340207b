/* jobio.h -- the job's files in its home directory: job_input.json in,
 * job_output.json or job_error.json out (Readme.developer.md, "Platform
 * facts").
 *
 * Problems with the input are the user's (AppError) and their messages name
 * the input field. Output is written atomically; an error report reuses
 * space reserved at the start, so that it can be written on a full disk.
 */
#ifndef RC_JOBIO_H
#define RC_JOBIO_H

#include <jansson.h>

/* A data object link: {"$dnanexus_link": "file-…"} or
 * {"$dnanexus_link": {"project": "project-…", "id": "file-…"}}. */
typedef struct {
    char id[64];
    char project[64]; /* "" when the link has none */
} jobio_link_t;

/* Read home/job_input.json into *input (a JSON object). RC_EINPUT when it is
 * missing, not JSON, or not an object. */
int jobio_load_input(const char *home, json_t **input);

/* The file link in input field name. *present (may be NULL) tells whether
 * it was given; a required field that is absent, or a value that is not a
 * file link, is RC_EINPUT naming the field. */
int jobio_link(json_t *input, const char *name, int required, jobio_link_t *link, int *present);

/* The file link v (an element of an array input, say), named name in
 * messages: RC_EINPUT when it is not one. */
int jobio_parse_link(json_t *v, const char *name, jobio_link_t *link);

/* An int field, def when absent; RC_EINPUT when not an int in [min, max]. */
int jobio_int(json_t *input, const char *name, long long def, long long min, long long max,
                  long long *value);

/* A boolean field, def when absent; RC_EINPUT when not a boolean. */
int jobio_bool(json_t *input, const char *name, int def, int *value);

/* A string field, def when absent; with choices (NULL-terminated), the
 * value must be one of them. */
int jobio_string(json_t *input, const char *name, const char *def,
                     const char *const *choices, const char **value);

/* Write 64 KiB that jobio_write_error frees before writing its report; on
 * success, jobio_release_error_space removes it. */
void jobio_reserve_error_space(const char *home);
void jobio_release_error_space(const char *home);

/* Write home/job_output.json atomically (a temporary file, then rename).
 * Returns 0 or RC_EINTERNAL. */
int jobio_write_output(const char *home, json_t *output);

/* Write home/job_error.json: {"error": {"type": AppError or
 * AppInternalError by kind, "message": ...}}, the message cut to a few KiB,
 * made valid UTF-8, and never holding the job's token. Removes a
 * job_output.json written earlier: never both. Returns 0 or an error kind
 * (whose message then replaces the one being reported). */
int jobio_write_error(const char *home, int kind, const char *message);


#endif
