/** @brief Checkpoints: merged partials appended to a CRC-framed log and reloaded on resume. */
#ifndef PIE_CHECKPOINT_H
#define PIE_CHECKPOINT_H

#include "engine.h"

#include <stddef.h>
#include <stdint.h>

/*
 * File DIR/pie-<64-bit hash of the job>.ckpt:
 *   0  "PIECKPT\n"            8 bytes
 *   8  u32 format version (1)
 *  12  u32 fingerprint length L (at most PIE_CKPT_MAX_FINGERPRINT)
 *  16  fingerprint, L bytes   (pie version, kernel, chunks, the job's own text)
 *  16+L u32 CRC-32C of bytes 0 .. 16+L-1
 * then wire frames (wire.h) of type PIE_FRAME_PARTIAL: chunk id, the
 * partial's bytes, CRC. Frames are appended in merge order as chunks are
 * merged. A reader trusts nothing: a header that fails its CRC or names
 * another job makes the whole file foreign (every chunk is recomputed); a
 * frame that fails any check is skipped and the reader resynchronises on the
 * next frame magic; a chunk id out of range or seen before is skipped.
 *
 * Two users share the log below (engine/checkpoint_log.c): pie__ckpt_begin /
 * pie__ckpt_end (engine/checkpoint.c), which wrap a task for the serial,
 * process and thread backends, and the mpi backend, where rank 0 keeps the
 * log and broadcasts the saved chunks (a pie__ckpt_saved is plain data).
 */

#define PIE_CKPT_MAGIC "PIECKPT\n"
#define PIE_CKPT_VERSION 1u
#define PIE_CKPT_MAX_FINGERPRINT 4096u

/* ---------------------------------------------------------------------- */
/* The format, in memory (no I/O)                                          */

/* What a scan of a checkpoint image found. */
typedef struct pie__ckpt_scan {
    int header; /* 1: valid and ours; 0: missing or corrupt; -1: another job's */
    uint64_t frames_ok;
    uint64_t frames_bad; /* frames (or stretches of bytes) skipped as corrupt */
} pie__ckpt_scan;

/* Called for each valid frame, in file order; a non-zero return stops the scan. */
typedef int (*pie__ckpt_chunk_fn)(void *user, uint64_t chunk, const unsigned char *partial,
                                  size_t len);
/* Bound on a chunk's partial (the kernel's max_partial). */
typedef uint64_t (*pie__ckpt_bound_fn)(void *user, uint64_t chunk);

/* Scan a checkpoint image in memory. `fingerprint` is the job's; frames are
 * only reported when the header is valid and matches. Returns what the
 * callback returned, or 0. Pure: no I/O, no allocation. */
int pie__ckpt_scan_image(const unsigned char *buf, size_t len, const char *fingerprint,
                         uint64_t nchunks, pie__ckpt_bound_fn bound, pie__ckpt_chunk_fn fn,
                         void *user, pie__ckpt_scan *scan);

/* Serialise the header for `fingerprint` into out (at least 20 + L bytes);
 * returns its length. */
size_t pie__ckpt_header(unsigned char *out, const char *fingerprint);

/* ---------------------------------------------------------------------- */
/* The chunks a checkpoint held when it was opened                          */

/* One saved chunk: its partial is image[off .. off + len). Offsets, not
 * pointers, so that the table can be broadcast as bytes. */
typedef struct pie__ckpt_entry {
    uint64_t chunk;
    uint64_t off, len;
} pie__ckpt_entry;

typedef struct pie__ckpt_saved {
    unsigned char *image; /* the file as loaded */
    size_t image_len;
    pie__ckpt_entry *entry; /* sorted by chunk, no duplicates */
    size_t n;
    size_t next; /* the first saved chunk not merged yet */
} pie__ckpt_saved;

/* The real id of remaining chunk j: the j-th chunk id not saved. */
uint64_t pie__ckpt_real_chunk(const pie__ckpt_saved *s, uint64_t j);
/* Merge into acc, with task's kernel, the saved chunks not merged yet whose
 * ids are below `limit`. Returns PIE_K_OK or the kernel's failure. */
int pie__ckpt_merge_saved(pie__ckpt_saved *s, const pie__task *task, void *acc, uint64_t limit);
/* Frees what s holds and empties it (accepts an empty one). */
void pie__ckpt_saved_free(pie__ckpt_saved *s);

/* ---------------------------------------------------------------------- */
/* The log file                                                             */

typedef struct pie__ckpt_log {
    char path[PIE_CKPT_DIR_MAX + 64];
    char tmp[PIE_CKPT_DIR_MAX + 96];
    int fd;       /* open for appends; -1 when not open */
    int io_errno; /* an append failed (later appends do nothing) */
    double last_sync;
} pie__ckpt_log;

/* Name the task's checkpoint in ctx->checkpoint_dir (created if missing),
 * load the valid chunks it holds into *saved, and rewrite it (a temporary
 * file renamed over it) with only those; it stays open for appends. On
 * failure log->fd is -1 and *saved is empty. */
pie_status pie__ckpt_log_open(pie_ctx *ctx, const pie__task *task, pie__ckpt_log *log,
                              pie__ckpt_saved *saved);
/* Append chunk's partial; synced about once a second. Returns 0, or -1 with
 * log->io_errno set (now or by an earlier failure). */
int pie__ckpt_log_append(pie__ckpt_log *log, uint64_t chunk, const unsigned char *p, size_t len);
/* The run ended: when it succeeded (`done`) remove the file and, if now
 * empty, `dir`; otherwise sync the file for a later resume. Closes it.
 * Returns 0, or -1 with errno when the file could not be removed. Does
 * nothing on a log that is not open. */
int pie__ckpt_log_finish(pie__ckpt_log *log, int done, const char *dir);
/* Remove the checkpoint a task kept (keep_checkpoint) in `dir`, and `dir`
 * if now empty. Returns 0 (also when there is none), or -1 with errno. */
int pie__ckpt_log_remove(const char *dir, const pie__task *task);

/* The failures both users report in the same words. */
pie_status pie__ckpt_fail_merge(pie_ctx *ctx, const pie__ckpt_log *log, int kstatus);
pie_status pie__ckpt_fail_append(pie_ctx *ctx, const pie__ckpt_log *log, int err);

/* ---------------------------------------------------------------------- */
/* A task wrapped so that the backend runs only the chunks not saved        */

typedef struct pie__ckpt pie__ckpt;

/* If the context has a checkpoint directory: open (or create) the task's
 * checkpoint, load the chunks it holds, and fill *run with the task to run
 * instead (it merges saved chunks from the file and appends newly merged
 * ones). Without a directory, *run = *task and *out = NULL. */
pie_status pie__ckpt_begin(pie_ctx *ctx, const pie__task *task, pie__ckpt **out, pie__task *run);
/* After the run `st` of the wrapped task: merges the saved chunks still
 * pending; on success removes the checkpoint, otherwise keeps it for a later
 * resume. Adds the chunks merged from the file to stats->chunks_done and
 * stats->chunks_resumed. Returns `st`, or the checkpoint's own failure.
 * Frees ck (accepts NULL). */
pie_status pie__ckpt_end(pie_ctx *ctx, pie__ckpt *ck, pie_status st, pie__run_stats *stats);
/* After the whole run succeeded: remove the checkpoint `task` kept; a
 * failure to is a warning (pie_ctx_last_warning). */
void pie__ckpt_drop(pie_ctx *ctx, const pie__task *task);

#endif
