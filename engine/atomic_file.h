/** @brief An output file that appears whole or not at all: a temporary file, then rename. */
#ifndef PIE_ATOMIC_FILE_H
#define PIE_ATOMIC_FILE_H

#include "engine.h"

#include <stddef.h>

typedef struct pie__atomic_file {
    const char *path; /* the final name (borrowed) */
    char *tmp;        /* the temporary file's name; NULL when none is open */
    int fd;
} pie__atomic_file;

/* Create the temporary file `path`.tmp.XXXXXX next to `path` (close-on-exec),
 * so that a bad path is refused before any work. `path` must outlive f.
 * PIE_EINVAL for an empty path, a directory or a file that cannot be
 * created; PIE_ENOMEM. */
pie_status pie__atomic_open(pie_ctx *ctx, const char *path, pie__atomic_file *f);
/* Append n bytes; on failure the temporary file is removed (PIE_EIO). */
pie_status pie__atomic_write(pie_ctx *ctx, pie__atomic_file *f, const void *data, size_t n);
/* Give the file the umask's mode, sync it and rename it onto `path`; on
 * failure the temporary file is removed (PIE_EIO). */
pie_status pie__atomic_commit(pie_ctx *ctx, pie__atomic_file *f);
/* Remove the temporary file, if one is still open. */
void pie__atomic_abort(pie__atomic_file *f);

#endif
