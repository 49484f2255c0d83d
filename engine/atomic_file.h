/** @brief An output file that appears whole or not at all: a temporary file, then rename. */
#ifndef PIE_ATOMIC_FILE_H
#define PIE_ATOMIC_FILE_H

#include "engine.h"

#include <stddef.h>
#include <sys/stat.h>

/*
 * Like the shell's `>`, but all or nothing. A symlink is followed (its
 * target is what gets replaced); a regular file or a name that does not
 * exist yet is written to a temporary file `.pie.XXXXXX` in the target's
 * directory, synced and renamed over it, keeping the replaced file's mode
 * (and owner, where permitted; a new file gets 0666 & ~umask); anything
 * else (a FIFO, a device) is opened and written in place, as `>` would.
 *
 * pie__atomic_check runs before any work and creates nothing;
 * pie__atomic_open, when the data is ready, creates the temporary file, so
 * that the file exists only while it is written (an interruption by
 * SIGKILL in that window leaves it behind).
 */
typedef struct pie__atomic_file {
    const char *path; /* the name given (borrowed), for messages */
    char *target;     /* `path` with symlinks followed: what is replaced */
    char *tmp;        /* the temporary file's name; NULL when none exists */
    int fd;           /* -1 when nothing is open */
    int direct;       /* the target is not a regular file: written in place */
    int have_old;     /* the target exists as a regular file: `old` is its stat */
    struct stat old;
} pie__atomic_file;

/* Resolve `path` and refuse, before any work, what could not be written:
 * an empty name, a directory, a socket, a directory that does not take a
 * new file, a file or device we may not write, another user's file in a
 * sticky directory (the rename would fail), a name too long for its
 * directory. PIE_EINVAL with a message, or PIE_ENOMEM. Creates nothing;
 * pie__atomic_abort releases f in every case. `path` must outlive f. */
pie_status pie__atomic_check(pie_ctx *ctx, const char *path, pie__atomic_file *f);
/* Create the temporary file (or open the non-regular target). PIE_EIO; an
 * interrupted open (a FIFO waiting for its reader) gives PIE_ECANCELED when
 * the context's cancel flag is raised. */
pie_status pie__atomic_open(pie_ctx *ctx, pie__atomic_file *f);
/* Append n bytes; on failure the temporary file is removed (PIE_EIO). */
pie_status pie__atomic_write(pie_ctx *ctx, pie__atomic_file *f, const void *data, size_t n);
/* Give the file its mode (and owner), sync it and, unless the context's
 * cancel flag was raised by then (PIE_ECANCELED), rename it onto the
 * target; on failure the temporary file is removed (PIE_EIO). */
pie_status pie__atomic_commit(pie_ctx *ctx, pie__atomic_file *f);
/* Remove the temporary file, if one exists, and free what f holds. */
void pie__atomic_abort(pie__atomic_file *f);

#endif
