/** @brief Checkpoint and resume: a task wrapped so the backend runs only the chunks not saved. */
#include "checkpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * How a checkpointed run works. pie__ckpt_begin loads the chunks the file
 * holds ("saved") and hands the backend a task made of the other chunks
 * only, renumbered 0 .. n-1 (so no backend needs to know about checkpoints,
 * and a saved chunk never reaches a worker). The wrapped merge interleaves:
 * before merging remaining chunk j (real id r), it merges, from the file's
 * bytes, every saved chunk below r; after merging r it appends r's partial to
 * the log. pie__ckpt_end merges the saved chunks above the last remaining one
 * and, when the run succeeded, removes the file. The merge order is exactly
 * 0, 1, 2, ... as without a checkpoint, so the result is bit-identical.
 */

struct pie__ckpt {
    pie__task inner;
    pie__ckpt_log log;
    pie__ckpt_saved saved;
};

static uint64_t wrapped_id(const void *job, uint64_t j)
{
    const pie__ckpt *ck = job;
    return pie__ckpt_real_chunk(&ck->saved, j);
}

static int wrapped_run(const void *job, uint64_t j, pie_kbuf *out)
{
    const pie__ckpt *ck = job;
    return ck->inner.ops->run_chunk(ck->inner.job, pie__ckpt_real_chunk(&ck->saved, j), out);
}

static uint64_t wrapped_max(const void *job, uint64_t j)
{
    const pie__ckpt *ck = job;
    return ck->inner.ops->max_partial(ck->inner.job, pie__ckpt_real_chunk(&ck->saved, j));
}

static int wrapped_merge(void *acc, const void *job, uint64_t j, const unsigned char *p, size_t len)
{
    /* Merges run in the calling process, one at a time (the kernel contract),
     * so the checkpoint may change here: the object is ours, not const. */
    pie__ckpt *ck = (pie__ckpt *)job;
    uint64_t r = pie__ckpt_real_chunk(&ck->saved, j);
    int k = pie__ckpt_merge_saved(&ck->saved, &ck->inner, acc, r);
    if (k == PIE_K_OK)
        k = ck->inner.ops->merge(acc, ck->inner.job, r, p, len);
    if (k == PIE_K_OK && pie__ckpt_log_append(&ck->log, r, p, len) != 0)
        k = PIE_K_EINVAL; /* pie__ckpt_end turns this into PIE_EIO */
    return k;
}

pie_status pie__ckpt_begin(pie_ctx *ctx, const pie__task *task, pie__ckpt **out, pie__task *run)
{
    static const pie_kernel_ops wrapped_ops = {"checkpoint", wrapped_run, wrapped_merge,
                                               wrapped_max};
    *out = NULL;
    *run = *task;
    if (!ctx->checkpoint_dir[0])
        return PIE_OK;
    pie__ckpt *ck = calloc(1, sizeof *ck);
    if (!ck)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    ck->inner = *task;
    pie_status st = pie__ckpt_log_open(ctx, task, &ck->log, &ck->saved);
    if (st != PIE_OK) {
        free(ck);
        return st;
    }
    run->ops = &wrapped_ops;
    run->job = ck;
    run->nchunks = task->nchunks - ck->saved.n;
    run->chunk_id = wrapped_id;
    *out = ck;
    return PIE_OK;
}

pie_status pie__ckpt_end(pie_ctx *ctx, pie__ckpt *ck, pie_status st, pie__run_stats *stats)
{
    if (!ck)
        return st;
    if (st == PIE_OK) {
        int k = pie__ckpt_merge_saved(&ck->saved, &ck->inner, ck->inner.acc, UINT64_MAX);
        if (k != PIE_K_OK)
            st = pie__ckpt_fail_merge(ctx, &ck->log, k);
    }
    stats->chunks_done += ck->saved.next;
    stats->chunks_resumed += ck->saved.next;
    if (ck->log.io_errno)
        st = pie__ckpt_fail_append(ctx, &ck->log, ck->log.io_errno);
    /* The result is complete by now: a checkpoint that cannot be removed
     * (its directory became read-only) must not throw it away. It is left
     * behind, harmless (a later run of the same job finds every chunk in it),
     * and the caller is told (pie_ctx_last_warning). A hex pass keeps its
     * file until the whole run succeeds (keep_checkpoint). */
    if (pie__ckpt_log_finish(&ck->log, st == PIE_OK && !ck->inner.keep_checkpoint,
                             ctx->checkpoint_dir) != 0)
        pie__warn(ctx, "could not remove checkpoint %s: %s", ck->log.path, strerror(errno));
    pie__ckpt_saved_free(&ck->saved);
    free(ck);
    return st;
}

void pie__ckpt_drop(pie_ctx *ctx, const pie__task *task)
{
    if (ctx->checkpoint_dir[0] && task->fingerprint &&
        pie__ckpt_log_remove(ctx->checkpoint_dir, task) != 0)
        pie__warn(ctx, "could not remove the checkpoint in %s: %s", ctx->checkpoint_dir,
                  strerror(errno));
}

pie_status pie_ctx_set_checkpoint_dir(pie_ctx *ctx, const char *dir)
{
    if (!ctx)
        return PIE_EINVAL;
    if (!dir) {
        ctx->checkpoint_dir[0] = '\0';
        return PIE_OK;
    }
    size_t n = strlen(dir);
    if (n == 0)
        return pie__fail(ctx, PIE_EINVAL, "the checkpoint directory is empty");
    if (n >= PIE_CKPT_DIR_MAX)
        return pie__fail(ctx, PIE_EINVAL, "the checkpoint directory name is longer than %u bytes",
                         PIE_CKPT_DIR_MAX - 1);
    memcpy(ctx->checkpoint_dir, dir, n + 1);
    return PIE_OK;
}
