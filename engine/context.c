/** @brief Contexts: the environment of a run, with bounds-checked setters and their getters. */
#include "engine.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

unsigned pie_online_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return (unsigned)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

pie_ctx *pie_ctx_create(void)
{
    pie_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->backend = PIE_BACKEND_PROCESS;
    ctx->isa = PIE_ISA_AUTO;
    ctx->phase = "";
    return ctx;
}

void pie_ctx_free(pie_ctx *ctx)
{
    free(ctx);
}

pie_status pie__fail(pie_ctx *ctx, pie_status status, const char *fmt, ...)
{
    if (ctx) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->last_error, sizeof ctx->last_error, fmt, ap);
        va_end(ap);
    }
    return status;
}

void pie__clear_error(pie_ctx *ctx)
{
    ctx->last_error[0] = '\0';
    ctx->warning[0] = '\0';
}

void pie__forget_error(pie_ctx *ctx)
{
    ctx->last_error[0] = '\0';
}

void pie__warn(pie_ctx *ctx, const char *fmt, ...)
{
    size_t n = strlen(ctx->warning);
    if (n > 0 && n + 2 < sizeof ctx->warning) {
        memcpy(ctx->warning + n, "; ", 3);
        n += 2;
    }
    if (n + 1 >= sizeof ctx->warning)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->warning + n, sizeof ctx->warning - n, fmt, ap);
    va_end(ap);
}

const char *pie_ctx_last_error(const pie_ctx *ctx)
{
    return ctx ? ctx->last_error : "";
}

const char *pie_ctx_last_warning(const pie_ctx *ctx)
{
    return ctx ? ctx->warning : "";
}

pie_status pie_ctx_set_workers(pie_ctx *ctx, unsigned workers)
{
    if (!ctx)
        return PIE_EINVAL;
    if (workers > PIE_MAX_WORKERS)
        return pie__fail(ctx, PIE_EINVAL, "workers must be at most %u (got %u)", PIE_MAX_WORKERS,
                         workers);
    ctx->workers = workers;
    return PIE_OK;
}

unsigned pie_ctx_get_workers(const pie_ctx *ctx)
{
    return ctx ? ctx->workers : 0;
}

unsigned pie__resolve_workers(const pie_ctx *ctx)
{
    if (pie_backend_flags(ctx->backend) & PIE_BACKEND_ONE_WORKER)
        return 1;
    return ctx->workers ? ctx->workers : pie_online_cpus();
}

pie_status pie_ctx_set_backend(pie_ctx *ctx, pie_backend backend)
{
    if (!ctx)
        return PIE_EINVAL;
    pie_status st = pie_backend_available(backend);
    if (st == PIE_EINVAL)
        return pie__fail(ctx, st, "unknown backend %d", (int)backend);
    if (st != PIE_OK)
        return pie__fail(ctx, st, "the %s backend is not in this build", pie_backend_name(backend));
    ctx->backend = backend;
    return PIE_OK;
}

pie_backend pie_ctx_get_backend(const pie_ctx *ctx)
{
    return ctx ? ctx->backend : PIE_BACKEND_PROCESS;
}

pie_status pie_ctx_set_isa(pie_ctx *ctx, pie_isa isa)
{
    if (!ctx)
        return PIE_EINVAL;
    if (!pie_isa_name(isa))
        return pie__fail(ctx, PIE_EINVAL, "unknown instruction-set variant %d", (int)isa);
    ctx->isa = isa;
    return PIE_OK;
}

pie_isa pie_ctx_get_isa(const pie_ctx *ctx)
{
    return ctx ? ctx->isa : PIE_ISA_AUTO;
}

/* The hook the backends call: adds the workload's phase for the user. */
static void report_chunks(void *user, uint64_t done, uint64_t total)
{
    pie_ctx *ctx = user;
    ctx->user_progress(ctx->user_progress_data, ctx->phase, done, total);
}

pie_status pie_ctx_set_progress(pie_ctx *ctx, pie_progress_fn fn, void *user)
{
    if (!ctx)
        return PIE_EINVAL;
    ctx->user_progress = fn;
    ctx->user_progress_data = user;
    ctx->progress = fn ? report_chunks : NULL;
    ctx->progress_user = fn ? ctx : NULL;
    return PIE_OK;
}

pie_progress_fn pie_ctx_get_progress(const pie_ctx *ctx, void **user)
{
    if (user)
        *user = ctx ? ctx->user_progress_data : NULL;
    return ctx ? ctx->user_progress : NULL;
}

void pie__phase(pie_ctx *ctx, const char *phase)
{
    ctx->phase = phase;
    if (ctx->progress) /* NULL also while a workload runs another inside a phase */
        ctx->user_progress(ctx->user_progress_data, phase, 0, 0);
}

pie_status pie_ctx_set_cancel_flag(pie_ctx *ctx, const volatile sig_atomic_t *flag)
{
    if (!ctx)
        return PIE_EINVAL;
    ctx->cancel = flag;
    return PIE_OK;
}

const volatile sig_atomic_t *pie_ctx_get_cancel_flag(const pie_ctx *ctx)
{
    return ctx ? ctx->cancel : NULL;
}

pie_status pie_ctx_set_chunk_timeout(pie_ctx *ctx, double seconds)
{
    if (!ctx)
        return PIE_EINVAL;
    if (!(seconds >= 0.0 && seconds <= 1e9)) /* also rejects NaN */
        return pie__fail(ctx, PIE_EINVAL, "chunk timeout must be between 0 and 1e9 seconds");
    ctx->chunk_timeout = seconds;
    return PIE_OK;
}

double pie_ctx_get_chunk_timeout(const pie_ctx *ctx)
{
    return ctx ? ctx->chunk_timeout : 0.0;
}

pie_status pie_ctx_set_mpi_local_backend(pie_ctx *ctx, pie_backend backend)
{
    if (!ctx)
        return PIE_EINVAL;
    /* Inside a rank: any backend that runs on its own in one process. */
    const unsigned not_local = PIE_BACKEND_NESTS | PIE_BACKEND_NEEDS_LAUNCHER;
    if (!pie_backend_name(backend) || (pie_backend_flags(backend) & not_local))
        return pie__fail(ctx, PIE_EINVAL,
                         "the local backend of an MPI rank must be serial, process or thread");
    if (pie_backend_available(backend) != PIE_OK)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s backend is not in this build",
                         pie_backend_name(backend));
    ctx->mpi_local = (int)backend + 1;
    return PIE_OK;
}

pie_backend pie_ctx_get_mpi_local_backend(const pie_ctx *ctx)
{
    if (ctx && ctx->mpi_local)
        return (pie_backend)(ctx->mpi_local - 1);
    return PIE_HAVE_OPENMP ? PIE_BACKEND_THREAD : PIE_BACKEND_PROCESS;
}

const char *pie_ctx_get_checkpoint_dir(const pie_ctx *ctx)
{
    return ctx && ctx->checkpoint_dir[0] ? ctx->checkpoint_dir : NULL;
}

pie_status pie_ctx_set_test_guard_bits(pie_ctx *ctx, unsigned bits)
{
    if (!ctx)
        return PIE_EINVAL;
    if (bits > 1u << 16)
        return pie__fail(ctx, PIE_EINVAL, "guard bits must be at most 65536 (got %u)", bits);
    ctx->guard_bits = bits;
    return PIE_OK;
}

unsigned pie_ctx_get_test_guard_bits(const pie_ctx *ctx)
{
    return ctx ? ctx->guard_bits : 0;
}

pie_status pie_ctx_set_test_corrupt(pie_ctx *ctx, pie_test_corrupt where)
{
    if (!ctx)
        return PIE_EINVAL;
    if ((unsigned)where > PIE_TEST_CORRUPT_TEXT)
        return pie__fail(ctx, PIE_EINVAL, "unknown fault %d", (int)where);
    ctx->test_corrupt = (int)where;
    return PIE_OK;
}

pie_test_corrupt pie_ctx_get_test_corrupt(const pie_ctx *ctx)
{
    return ctx ? (pie_test_corrupt)ctx->test_corrupt : PIE_TEST_CORRUPT_NONE;
}

double pie__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

pie__clock pie__clock_now(void)
{
    struct timespec ts;
    pie__clock c = {.wall = pie__now()};
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
        c.cpu = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    return c;
}

void pie__clock_add(pie__clock c, double *wall, double *cpu)
{
    pie__clock now = pie__clock_now();
    *wall += now.wall - c.wall;
    *cpu += now.cpu > c.cpu ? now.cpu - c.cpu : 0.0;
}
