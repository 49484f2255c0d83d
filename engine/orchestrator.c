/** @brief The orchestrator: pick the backend from its table, resolve the worker count, run the
 * task. */
#include "checkpoint.h"
#include "engine.h"
#include "placement.h"

pie_status pie__run_task(pie_ctx *ctx, const pie__task *task, pie__run_stats *stats)
{
    *stats = (pie__run_stats){0};
    const pie__backend_desc *be = pie__backend_desc_of(ctx->backend);
    if (!be || !be->built)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s backend is not in this build",
                         be ? be->name : "?");
    if (pie__cancelled(ctx))
        return pie__fail(ctx, PIE_ECANCELED, "cancelled before the first chunk");
    /* With a checkpoint, the backend runs only the chunks the file lacks
     * (engine/checkpoint.c); without one, run is the task itself. */
    pie__ckpt *ck = NULL;
    pie__task run = *task;
    pie_status st = PIE_OK;
    if (!(be->flags & PIE__BACKEND_OWN_CHECKPOINT) && !task->transient)
        st = pie__ckpt_begin(ctx, task, &ck, &run);
    if (st != PIE_OK)
        return st;
    unsigned workers = pie__resolve_workers(ctx);
    if (run.nchunks < workers)
        workers = run.nchunks ? (unsigned)run.nchunks : 1u;
    stats->workers = workers;
    pie__placement pl;
    st = pie__placement_begin(ctx, be->flags, workers, &pl);
    if (st == PIE_OK && (run.nchunks > 0 || !ck))
        st = be->run(ctx, &run, workers, stats);
    pie__placement_end(ctx, &pl);
    return pie__ckpt_end(ctx, ck, st, stats);
}
