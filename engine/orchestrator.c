/** @brief The orchestrator: pick the backend from a table, resolve the worker count, run the task.
 */
#include "checkpoint.h"
#include "engine.h"

static const pie__backend_fn backends[] = {
    [PIE_BACKEND_SERIAL] = pie__backend_serial,
    [PIE_BACKEND_PROCESS] = pie__backend_process,
    [PIE_BACKEND_THREAD] = pie__backend_thread,
    [PIE_BACKEND_MPI] = pie__backend_mpi,
};

pie_status pie__run_task(pie_ctx *ctx, const pie__task *task, pie__run_stats *stats)
{
    *stats = (pie__run_stats){0};
    if ((unsigned)ctx->backend >= sizeof backends / sizeof backends[0] || !backends[ctx->backend] ||
        !pie_backend_available(ctx->backend))
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s backend is not in this build",
                         pie_backend_name(ctx->backend) ? pie_backend_name(ctx->backend) : "?");
    if (pie__cancelled(ctx))
        return pie__fail(ctx, PIE_ECANCELED, "cancelled before the first chunk");
    /* With a checkpoint, the backend runs only the chunks the file lacks
     * (engine/checkpoint.c); without one, run is the task itself. */
    pie__ckpt *ck;
    pie__task run;
    pie_status st = PIE_OK;
    if (ctx->backend == PIE_BACKEND_MPI) { /* rank 0 keeps it itself (backend_mpi.c) */
        ck = NULL;
        run = *task;
    } else {
        st = pie__ckpt_begin(ctx, task, &ck, &run);
    }
    if (st != PIE_OK)
        return st;
    unsigned workers = ctx->workers ? ctx->workers : pie_online_cpus();
    if (ctx->backend == PIE_BACKEND_SERIAL)
        workers = 1;
    if (run.nchunks < workers)
        workers = run.nchunks ? (unsigned)run.nchunks : 1u;
    stats->workers = workers;
    if (run.nchunks > 0 || !ck)
        st = backends[ctx->backend](ctx, &run, workers, stats);
    return pie__ckpt_end(ctx, ck, st, stats);
}
