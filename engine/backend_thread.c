/** @brief Thread backend: an OpenMP team takes chunks from a shared counter; merges are ordered
 * under a lock. */
#include "engine.h"
#include "placement.h"

#if PIE_HAVE_OPENMP
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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
/* libgomp cannot fail: when it cannot create a team's thread (EAGAIN under
 * a process limit, `ulimit -u`; or no memory for its stack) it prints
 * "libgomp: Thread creation failed" and calls exit(1), inside the host
 * program. So before the region, probe_threads() creates the workers - 1
 * threads the team will need, all alive at once with the default stack
 * size, and joins them: if that fails, the run fails with PIE_ESYSTEM and
 * the OpenMP region is never entered. What remains (docs/faults.md): the
 * probe and the team are not atomic (another process of the same user may
 * take the last slot in between), and the threads libgomp keeps idle from
 * an earlier region count against the limit during the probe, so under a
 * limit that tight the probe may refuse a team libgomp could have formed
 * from its idle threads. */
typedef struct probe_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
} probe_gate;

static void *probe_wait(void *arg)
{
    probe_gate *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static pie_status probe_threads(pie_ctx *ctx, unsigned workers)
{
    if (workers < 2)
        return PIE_OK; /* a team of one runs in the calling thread */
    pthread_t *th = malloc((workers - 1) * sizeof *th);
    if (!th)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory for %u threads", workers);
    probe_gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    unsigned made = 0;
    int err = 0;
    while (made < workers - 1 && (err = pthread_create(&th[made], NULL, probe_wait, &g)) == 0)
        made++;
    pthread_mutex_lock(&g.lock);
    g.open = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
    for (unsigned i = 0; i < made; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_cond_destroy(&g.cond);
    pthread_mutex_destroy(&g.lock);
    if (made == workers - 1)
        return PIE_OK;
    return pie__fail(ctx, PIE_ESYSTEM,
                     "the thread backend could start only %u of the %u threads %u workers need "
                     "(pthread_create: %s; a limit on processes, ulimit -u, or on memory?); use "
                     "fewer workers or the process backend",
                     made, workers - 1, workers, strerror(err));
}

PIE__BACKEND_FN(pie__backend_thread);
PIE__BACKEND_FN(pie__backend_thread)
{
    pie_status probe = probe_threads(ctx, workers);
    if (probe != PIE_OK)
        return probe;
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
