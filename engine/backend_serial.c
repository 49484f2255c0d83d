/** @brief Serial backend: every chunk in the calling thread, merged as it is produced. */
#include "engine.h"

PIE__BACKEND_FN(pie__backend_serial);
PIE__BACKEND_FN(pie__backend_serial)
{
    (void)workers;
    pie__reorder r;
    pie__reorder_init(&r, task);
    pie_status st = PIE_OK;
    for (uint64_t c = 0; c < task->nchunks; c++) {
        if (pie__cancelled(ctx)) {
            st = pie__fail(ctx, PIE_ECANCELED, "cancelled after %llu of %llu chunks",
                           (unsigned long long)c, (unsigned long long)task->nchunks);
            break;
        }
        pie_kbuf partial = {0};
        int k = task->ops->run_chunk(task->job, c, &partial);
        if (k != PIE_K_OK) {
            pie_kbuf_free(&partial);
            st = pie__fail(ctx, pie__from_kernel(k), "chunk %llu failed: %s",
                           pie__chunk_id(task, c), pie_strerror(pie__from_kernel(k)));
            break;
        }
        st = pie__reorder_put(&r, c, &partial);
        if (st != PIE_OK) {
            pie__fail(ctx, st, "merging chunk %llu failed: %s", pie__chunk_id(task, c),
                      pie_strerror(st));
            break;
        }
        stats->chunks_done = c + 1;
        if (ctx->progress)
            ctx->progress(ctx->progress_user, c + 1, task->nchunks);
    }
    pie__reorder_free(&r);
    return st;
}
