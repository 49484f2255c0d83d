/** @brief One MPI rank's share of a wave, run as a sub-task on the rank's local backend. */
#include "mpi_internal.h"

#include <string.h>

#if PIE_HAVE_MPI

/* The share's chunk i is remaining chunk first + i, whose real id skips the
 * chunks a checkpoint holds. The local merge only appends each partial to
 * the blob, in order; the kernel's merge runs after the exchange. */

static uint64_t share_chunk(const pie__mpi_share *s, uint64_t i)
{
    return pie__ckpt_real_chunk(s->saved, s->first + i);
}

static int share_run(const void *job, uint64_t i, pie_kbuf *out)
{
    const pie__mpi_share *s = job;
    const pie__task *t = s->task;
    return t->ops->run_chunk(t->job, share_chunk(s, i), out);
}

static int share_merge(void *acc, const void *job, uint64_t i, const unsigned char *p, size_t len)
{
    (void)job;
    pie__mpi_share *s = acc;
    unsigned char head[16];
    pie_kput_u64(head, share_chunk(s, i));
    pie_kput_u64(head + 8, (uint64_t)len);
    int k = pie_kbuf_append(&s->blob, head, sizeof head);
    return k != PIE_K_OK ? k : pie_kbuf_append(&s->blob, p, len);
}

static uint64_t share_max(const void *job, uint64_t i)
{
    const pie__mpi_share *s = job;
    const pie__task *t = s->task;
    return t->ops->max_partial(t->job, share_chunk(s, i));
}

static const pie_kernel_ops share_ops = {
    .name = "mpi-share", .run_chunk = share_run, .merge = share_merge, .max_partial = share_max};

pie_status pie__mpi_run_share(pie_ctx *ctx, pie__mpi_share *s, unsigned workers,
                              pie__run_stats *local)
{
    *local = (pie__run_stats){0};
    if (s->count == 0)
        return PIE_OK;
    pie_ctx sub = *ctx;
    sub.backend = pie_ctx_get_mpi_local_backend(ctx);
    if (workers <= 1)
        sub.backend = PIE_BACKEND_SERIAL; /* nothing to share out */
    sub.workers = workers;
    sub.progress = NULL;          /* progress is counted in merged waves */
    sub.checkpoint_dir[0] = '\0'; /* rank 0 keeps the checkpoint of the whole task */
    pie__task t = {.ops = &share_ops, .job = s, .acc = s, .nchunks = s->count};
    pie_status st = pie__run_task(&sub, &t, local);
    memcpy(ctx->worker_cpus, sub.worker_cpus, sizeof ctx->worker_cpus); /* this rank's workers */
    if (st != PIE_OK)
        memcpy(ctx->last_error, sub.last_error, sizeof ctx->last_error);
    return st;
}

#endif
