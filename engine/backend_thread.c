/** @brief Thread backend: an OpenMP team takes chunks from a shared counter; merges are ordered
 * under a lock. */
#include "engine.h"
#include "placement.h"

#if PIE_HAVE_OPENMP
#include <omp.h>
#include <stdatomic.h>

/*
 * Chunks are handed out by an atomic counter (dynamic scheduling without
 * OpenMP's loop machinery, so a cancel or a failure can stop the team at the
 * next chunk). Finished partials go through the same ordered reduction as the
 * other backends, under a critical section, so the merge order, and hence
 * the result, is the same whatever the number of threads.
 *
 * Fork safety: libgomp's thread pool does not survive fork(), and a child
 * that enters an OpenMP region after its parent used one can hang. The
 * process backend's workers never enter an OpenMP region (kernels are
 * single-threaded), which is what makes using both backends in one program
 * safe; tests/test_fork_after_openmp.c checks it.
 */
PIE__BACKEND_FN(pie__backend_thread);
PIE__BACKEND_FN(pie__backend_thread)
{
    pie__reorder r;
    pie__reorder_init(&r, task);
    atomic_uint_fast64_t next = 0;
    atomic_int failed = 0; /* first failure wins; stops the team */
    pie_status st = PIE_OK;
    uint64_t done = 0;

#pragma omp parallel num_threads((int)workers) default(none)                                       \
    shared(ctx, task, r, next, failed, st, done)
    {
        unsigned char saved[128]; /* this thread's affinity before the run */
        pie__thread_pin_enter(ctx, omp_get_thread_num(), saved, sizeof saved);
        for (;;) {
            if (atomic_load(&failed))
                break;
            if (pie__cancelled(ctx)) {
                int expected = 0;
                if (atomic_compare_exchange_strong(&failed, &expected, 1)) {
#pragma omp critical(pie_thread_merge)
                    st = pie__fail(ctx, PIE_ECANCELED, "cancelled after %llu of %llu chunks",
                                   (unsigned long long)done, (unsigned long long)task->nchunks);
                }
                break;
            }
            uint64_t c = atomic_fetch_add(&next, 1);
            if (c >= task->nchunks)
                break;
            pie_kbuf partial = {0};
            int k = task->ops->run_chunk(task->job, c, &partial);
#pragma omp critical(pie_thread_merge)
            {
                if (k != PIE_K_OK) {
                    pie_kbuf_free(&partial);
                    if (!atomic_exchange(&failed, 1))
                        st = pie__fail(ctx, pie__from_kernel(k), "chunk %llu failed: %s",
                                       pie__chunk_id(task, c), pie_strerror(pie__from_kernel(k)));
                } else if (!atomic_load(&failed)) {
                    pie_status m = pie__reorder_put(&r, c, &partial);
                    if (m != PIE_OK) {
                        atomic_store(&failed, 1);
                        st = pie__fail(ctx, m, "merging chunk %llu failed: %s",
                                       pie__chunk_id(task, c), pie_strerror(m));
                    } else {
                        done++;
                        if (ctx->progress)
                            ctx->progress(ctx->progress_user, r.next, task->nchunks);
                    }
                } else {
                    pie_kbuf_free(&partial);
                }
            }
        }
        pie__thread_pin_leave(ctx, omp_get_thread_num(), saved, sizeof saved);
    }
    stats->chunks_done = r.next;
    pie__reorder_free(&r);
    return st;
}
#else
PIE__BACKEND_FN(pie__backend_thread);
PIE__BACKEND_FN(pie__backend_thread)
{
    (void)task;
    (void)workers;
    (void)stats;
    return pie__fail(ctx, PIE_EUNSUPPORTED, "the thread backend needs OpenMP, not in this build");
}
#endif
