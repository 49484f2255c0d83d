/** @brief Process backend, a session: workers that outlive a task, and a shared arena for jobs
 * made after their fork. */
#include "process_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Without a session every task forks its own workers, which inherit the job
 * with the fork. A run of many tasks (the Chudnovsky digits with their big
 * operations on the workers) pays that fork each time, and the parent then
 * takes a copy-on-write fault for every page it writes again: tens of
 * milliseconds a task once it holds a gigabyte. In a session the workers
 * are forked once, for the first task, and serve every task of the session.
 * They find the current task in a MAP_SHARED page that the parent rewrites
 * before it hands out the task's chunks (the request travels over the pipe
 * after the write, so a worker that reads it sees the new task). A job made
 * after the fork must live in the session's arena, a MAP_SHARED mapping
 * reserved with the session (untouched pages cost nothing); one made before
 * it, and never changed, is already in the workers' memory.
 *
 * A task that fails shuts its workers down as without a session; the next
 * task forks new ones. The fault hooks of a test build are set up by the
 * first task (which checks the targets) and kept for the session.
 */

#define ALIGN 64u

struct pie__proc_session {
    pie_ctx *ctx;
    pstate s;        /* the workers, kept between tasks */
    pie__task *task; /* in the shared mapping: the task the workers run */
    unsigned char *arena;
    size_t arena_len, arena_used;
    void *map;
    size_t map_len;
    int faults_ready;
    pie__run_stats stats; /* workers' rusage lands here when they are reaped */
};

pie_status pie__proc_session_begin(pie_ctx *ctx, unsigned workers, size_t arena_bytes)
{
    if (ctx->proc_session)
        return pie__fail(ctx, PIE_EINVAL, "a process session is already open");
    pie__proc_session *ps = calloc(1, sizeof *ps);
    worker *w = calloc(workers ? workers : 1, sizeof *w);
    size_t head = (sizeof(pie__task) + ALIGN - 1) / ALIGN * ALIGN;
    size_t len = head + (arena_bytes + ALIGN - 1) / ALIGN * ALIGN;
    void *map = MAP_FAILED;
    if (ps && w)
        map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (!ps || !w || map == MAP_FAILED) {
        int e = errno;
        free(ps);
        free(w);
        return pie__fail(ctx, PIE_ENOMEM, "a process session's shared mapping (%zu bytes): %s", len,
                         strerror(e));
    }
    for (unsigned k = 0; k < workers; k++)
        w[k].to_fd = w[k].from_fd = -1;
    ps->ctx = ctx;
    ps->map = map;
    ps->map_len = len;
    ps->task = map;
    ps->arena = (unsigned char *)map + head;
    ps->arena_len = len - head;
    ps->s = (pstate){.ctx = ctx, .task = ps->task, .w = w, .nw = workers, .stats = &ps->stats};
    ctx->proc_session = ps;
    return PIE_OK;
}

void pie__proc_session_release(pie_ctx *ctx)
{
    pie__proc_session *ps = ctx->proc_session;
    if (!ps || ctx->proc_leaving)
        return; /* one released session at a time: end the first */
    ctx->proc_session = NULL;
    ctx->proc_leaving = ps;
    pie__proc_release(&ps->s);
}

static uint64_t end_one(pie__proc_session *ps, double *worker_cpu)
{
    pstate *s = &ps->s;
    s->stats = &ps->stats;
    pie__proc_shutdown(s, 0);
    pie__fault_teardown(s->faults);
    uint64_t peak = ps->stats.worker_peak_rss_bytes;
    if (worker_cpu)
        *worker_cpu += ps->stats.worker_cpu_seconds;
    munmap(ps->map, ps->map_len);
    free(s->w);
    free(ps);
    return peak;
}

uint64_t pie__proc_session_end(pie_ctx *ctx, double *worker_cpu)
{
    uint64_t peak = 0;
    pie__proc_session *open = ctx->proc_session, *leaving = ctx->proc_leaving;
    ctx->proc_session = ctx->proc_leaving = NULL;
    if (open)
        peak = end_one(open, worker_cpu);
    if (leaving) {
        uint64_t p = end_one(leaving, worker_cpu);
        peak = p > peak ? p : peak;
    }
    return peak;
}

void *pie__proc_session_share(pie_ctx *ctx, size_t bytes)
{
    pie__proc_session *ps = ctx->proc_session;
    if (!ps)
        return NULL;
    size_t need = (bytes + ALIGN - 1) / ALIGN * ALIGN;
    if (need < bytes || need > ps->arena_len - ps->arena_used)
        return NULL;
    void *p = ps->arena + ps->arena_used;
    ps->arena_used += need;
    return p;
}

void pie__proc_session_share_reset(pie_ctx *ctx)
{
    if (ctx->proc_session)
        ctx->proc_session->arena_used = 0;
}

pie_status pie__proc_session_run(pie_ctx *ctx, const pie__task *task, unsigned workers,
                                 pie__run_stats *stats)
{
    pie__proc_session *ps = ctx->proc_session;
    pstate *s = &ps->s;
    if (!ps->faults_ready) {
        /* Test builds only: PIE_FAULT, parsed before the session's forks. */
        pie_status st = pie__fault_setup(ctx, task, ps->s.nw, &s->faults);
        if (st != PIE_OK)
            return st;
        ps->faults_ready = 1;
    }
    *ps->task = *task; /* before any request of this task is written */
    unsigned keep = s->nw;
    s->nw = workers < keep ? workers : keep;
    s->stats = stats;
    s->parent = getpid();
    pie_status st = pie__proc_run(s, 1);
    s->nw = keep;
    s->stats = &ps->stats;
    return st;
}
