/** @brief Contexts, option setters with bounds checks, status strings and names. */
#include "cpu.h"
#include "engine.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

const char *pie_version(void)
{
    return PIE_VERSION_STRING;
}

unsigned pie_version_number(void)
{
    return PIE_VERSION_NUMBER;
}

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    [PIE_OK] = {"OK", "success"},
    [PIE_EINVAL] = {"EINVAL", "invalid argument"},
    [PIE_ENOMEM] = {"ENOMEM", "not enough memory"},
    [PIE_EUNSUPPORTED] = {"EUNSUPPORTED", "not supported by this build or CPU"},
    [PIE_ESYSTEM] = {"ESYSTEM", "an operating-system call failed"},
    [PIE_EWORKER] = {"EWORKER", "a chunk failed on every retry"},
    [PIE_ECORRUPT] = {"ECORRUPT", "data failed its integrity check"},
    [PIE_ECANCELED] = {"ECANCELED", "cancelled"},
    [PIE_EIO] = {"EIO", "input/output error"},
    [PIE_EVERIFY] = {"EVERIFY", "result failed its independent check"},
};

#define NSTATUS (sizeof status_table / sizeof status_table[0])

const char *pie_strerror(pie_status status)
{
    if ((unsigned)status < NSTATUS && status_table[status].text)
        return status_table[status].text;
    return "unknown status";
}

const char *pie_status_name(pie_status status)
{
    if ((unsigned)status < NSTATUS && status_table[status].name)
        return status_table[status].name;
    return "UNKNOWN";
}

static const char *const backend_names[] = {"serial", "process", "thread", "mpi"};
static const char *const isa_names[] = {"auto", "scalar", "avx2", "avx512", "aesni"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The index of `name` in `names`, or -1. */
static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

const char *pie_backend_name(pie_backend backend)
{
    if ((unsigned)backend < sizeof backend_names / sizeof backend_names[0])
        return backend_names[backend];
    return NULL;
}

pie_status pie_backend_from_name(const char *name, pie_backend *out)
{
    int i = name_index(backend_names, NELEM(backend_names), name);
    if (i < 0)
        return PIE_EINVAL;
    *out = (pie_backend)i;
    return PIE_OK;
}

int pie_backend_available(pie_backend backend)
{
    switch (backend) {
    case PIE_BACKEND_SERIAL:
    case PIE_BACKEND_PROCESS:
        return 1;
    case PIE_BACKEND_THREAD:
        return PIE_HAVE_OPENMP;
    case PIE_BACKEND_MPI:
        return PIE_HAVE_MPI;
    default:
        return 0;
    }
}

const char *pie_isa_name(pie_isa isa)
{
    if ((unsigned)isa < sizeof isa_names / sizeof isa_names[0])
        return isa_names[isa];
    return NULL;
}

pie_status pie_isa_from_name(const char *name, pie_isa *out)
{
    int i = name_index(isa_names, NELEM(isa_names), name);
    if (i < 0)
        return PIE_EINVAL;
    *out = (pie_isa)i;
    return PIE_OK;
}

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
}

const char *pie_ctx_last_error(const pie_ctx *ctx)
{
    return ctx ? ctx->last_error : "";
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

pie_status pie_ctx_set_backend(pie_ctx *ctx, pie_backend backend)
{
    if (!ctx || !pie_backend_name(backend))
        return ctx ? pie__fail(ctx, PIE_EINVAL, "unknown backend %d", (int)backend) : PIE_EINVAL;
    if (!pie_backend_available(backend))
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s backend is not in this build",
                         pie_backend_name(backend));
    ctx->backend = backend;
    return PIE_OK;
}

pie_status pie_ctx_set_seed(pie_ctx *ctx, uint64_t seed)
{
    if (!ctx)
        return PIE_EINVAL;
    ctx->seed = seed;
    return PIE_OK;
}

pie_status pie_ctx_set_isa(pie_ctx *ctx, pie_isa isa)
{
    if (!ctx)
        return PIE_EINVAL;
    pie_status st = pie_isa_check(isa);
    if (st == PIE_EINVAL)
        return pie__fail(ctx, st, "unknown instruction-set variant %d", (int)isa);
    if (st != PIE_OK)
        return pie__fail(ctx, st, "the %s kernel is %s", pie_isa_name(isa),
                         pie__isa_built(isa) ? "not supported by this CPU"
                                             : "not built into this library");
    ctx->isa = isa;
    return PIE_OK;
}

pie_status pie_ctx_set_progress(pie_ctx *ctx, pie_progress_fn fn, void *user)
{
    if (!ctx)
        return PIE_EINVAL;
    ctx->progress = fn;
    ctx->progress_user = user;
    return PIE_OK;
}

pie_status pie_ctx_set_cancel_flag(pie_ctx *ctx, const volatile sig_atomic_t *flag)
{
    if (!ctx)
        return PIE_EINVAL;
    ctx->cancel = flag;
    return PIE_OK;
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

pie_status pie__from_kernel(int kstatus)
{
    switch (kstatus) {
    case PIE_K_OK:
        return PIE_OK;
    case PIE_K_ENOMEM:
        return PIE_ENOMEM;
    case PIE_K_ECORRUPT:
        return PIE_ECORRUPT;
    default:
        return PIE_EINVAL;
    }
}

double pie__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
