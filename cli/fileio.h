/* Whole-file input and output for contents: libseccs stores and returns a content as
 * one byte string, so files are read and written in one piece. */
#ifndef SECCS_CLI_FILEIO_H
#define SECCS_CLI_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "progress.h"

struct byte_buffer {
    uint8_t *data;   /* malloc'd; NULL when empty */
    size_t len;
    size_t capacity;
};

void byte_buffer_free(struct byte_buffer *buffer);

/* Reads all of `path` ("-": standard input) into `out`, counting the bytes in
 * `progress` (may be NULL). Exit code 2 if the file does not exist. */
int read_input(const char *path, struct progress *progress, struct byte_buffer *out);

/* Writes `data` to standard output. */
int write_stdout(const uint8_t *data, size_t len);

/* Replaces `path` with `data` atomically: a temporary file in the same directory is
 * written, synced and renamed over `path`, so readers see the old file or the whole
 * new one, never a part. */
int write_file_atomic(const char *path, const uint8_t *data, size_t len);

#endif
