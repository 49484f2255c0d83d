/** @brief The orchestrator: pick the backend from a table, resolve the worker count, run the task. */
#include "engine.h"

static const pie__backend_fn backends[] = {
    [PIE_BACKEND_SERIAL] = pie__backend_serial,
    [PIE_BACKEND_PROCESS] = pie__backend_process,
    [PIE_BACKEND_THREAD] = pie__backend_thread,
};

pie_status pie__run_task(pie_ctx *ctx, const pie__task *task, pie__run_stats *stats)
{
    *stats = (pie__run_stats){0};
    if ((unsigned)ctx->backend >= sizeof backends / sizeof backends[0] ||
        !backends[ctx->backend] || !pie_backend_available(ctx->backend))
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s backend is not in this build",
                         pie_backend_name(ctx->backend) ? pie_backend_name(ctx->backend) : "?");
    unsigned workers = ctx->workers ? ctx->workers : pie_online_cpus();
    if (ctx->backend == PIE_BACKEND_SERIAL)
        workers = 1;
    if (task->nchunks < workers)
        workers = task->nchunks ? (unsigned)task->nchunks : 1u;
    stats->workers = workers;
    if (pie__cancelled(ctx))
        return pie__fail(ctx, PIE_ECANCELED, "cancelled before the first chunk");
    return backends[ctx->backend](ctx, task, workers, stats);
}
