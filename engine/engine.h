/** @brief Internal engine interface: contexts, tasks, the backend table and the ordered reduction.
 */
#ifndef PIE_ENGINE_H
#define PIE_ENGINE_H

#include "pie.h"
#include "pie_kernel.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

/* Longest pin spec (placement.h's PIE_PIN_MAX), and the text of the CPUs
 * of a run's workers ("0,1,..."), with their NULs. */
#define PIE_PIN_TEXT 256u
#define PIE_CPUS_TEXT (PIE_MAX_WORKERS * 6u)
/* Most PIE_FAULT specs (test builds). */
#define PIE__MAX_FAULTS 4

/* Longest checkpoint directory name, with its NUL. */
#define PIE_CKPT_DIR_MAX 1024u

/* The backends' internal progress hook (chunks of the running phase). */
typedef void (*pie__progress_hook)(void *user, uint64_t chunks_done, uint64_t chunks_total);

typedef struct pie__proc_session pie__proc_session;

struct pie_ctx {
    unsigned workers; /* 0 = auto */
    pie_backend backend;
    pie_isa isa;
    /* Backends report through progress(progress_user, ...), which is
     * report_chunks (context.c) when the user set a callback: it adds the
     * phase the workload is in. */
    pie__progress_hook progress;
    void *progress_user;
    pie_progress_fn user_progress;
    void *user_progress_data;
    const char *phase;
    unsigned guard_bits; /* digits: first attempt's guard bits, 0 = default (tests) */
    const volatile sig_atomic_t *cancel;
    double chunk_timeout; /* seconds, 0 = none */
    int mpi_local;        /* mpi backend: local backend + 1 inside each rank, 0 = auto */
    char checkpoint_dir[PIE_CKPT_DIR_MAX]; /* "" = no checkpoint (engine/checkpoint.c) */
    char pin[PIE_PIN_TEXT];                /* placement spec; "" = none (engine/placement.c) */
    /* During a run (pie__run_task): the CPU of each worker when pinned (NULL:
     * not pinned), and where each worker ran (-1: unknown), which backends
     * fill in; after it, the text of the last run's CPUs. */
    const unsigned *run_pin;
    int *run_cpu;
    char worker_cpus[PIE_CPUS_TEXT];
    char last_error[512];
    char warning[512]; /* pie_ctx_last_warning(); "" = none */
    /* A run of several tasks (hex passes, digits attempts and verification)
     * is one run to PIE_FAULT (test builds, engine/fault_inject.c): each
     * spec fires once per run, and the first task checks the targets. */
    unsigned run_depth; /* > 0 inside pie_hex_run / pie_digits_run (they nest) */
    unsigned fault_fired[PIE__MAX_FAULTS];
    uint64_t fault_forks; /* forks so far in the run, for "forkfail" */
    int fault_checked;
    int test_corrupt; /* digits (Chudnovsky): a pie_test_corrupt fault to inject (tests) */
    /* Process backend: while a session is open, its workers serve every
     * task (engine/process_session.c); NULL: each task forks its own. */
    pie__proc_session *proc_session;
    /* A session whose workers were let go (pie__proc_session_release): they
     * exit while the run finishes; pie__proc_session_end reaps them. */
    pie__proc_session *proc_leaving;
};

/* One run of a kernel: what to compute and where the merged result goes. */
typedef struct pie__task {
    const pie_kernel_ops *ops;
    const void *job;
    void *acc;
    uint64_t nchunks;
    /* The job's identity for checkpoints: every input that changes a
     * partial's bytes, as text (e.g. "samples 1000 seed 7"). NULL: the task
     * cannot be checkpointed. */
    const char *fingerprint;
    /* For messages: the job's own id of chunk c when the backend runs a
     * renumbered subset (a resumed checkpoint); NULL: c itself. */
    uint64_t (*chunk_id)(const void *job, uint64_t c);
    /* Keep the checkpoint when the task succeeds: a workload of several
     * tasks (hex passes) removes them once the whole run has succeeded. */
    int keep_checkpoint;
    /* A step inside a run, never saved even when the context has a
     * checkpoint directory (Chudnovsky's big operations: their inputs
     * exist only in this process). */
    int transient;
    /* The merges are real work (big integers): a lone worker on the process
     * backend waits for each before its next chunk, so that the two never
     * compute at once and -j 1 is one CPU. Cheap merges (sums) leave it
     * two chunks ahead, never waiting. */
    int heavy_merge;
} pie__task;

/* The id to name chunk c by in messages (and fault injection). */
static inline unsigned long long pie__chunk_id(const pie__task *t, uint64_t c)
{
    return (unsigned long long)(t->chunk_id ? t->chunk_id(t->job, c) : c);
}

/* What a backend reports back besides the merged result. */
typedef struct pie__run_stats {
    unsigned workers;
    uint64_t chunks_done;
    uint64_t retries;
    /* Sum over the worker processes of their peak resident set (process
     * backend, from wait4); 0 for backends that run in this process. */
    uint64_t worker_peak_rss_bytes;
    /* Their CPU time, user and system (process backend, from wait4). */
    double worker_cpu_seconds;
    /* Chunks merged from a checkpoint instead of being run (included in
     * chunks_done). */
    uint64_t chunks_resumed;
} pie__run_stats;

/* A backend runs every chunk of a task and merges the partials in order.
 * It returns PIE_OK, or a failure after stopping and reaping whatever it
 * started. */
typedef pie_status (*pie__backend_fn)(pie_ctx *ctx, const pie__task *task, unsigned workers,
                                      pie__run_stats *stats);

/* Declares, and followed by a body defines, a backend's run function. The
 * backend table (backends.c) declares every backend's with it, and each
 * backend's file declares its own just before the body, so adding a backend
 * touches no header but pie.h. */
#define PIE__BACKEND_FN(name)                                                                      \
    pie_status name(pie_ctx *ctx, const pie__task *task, unsigned workers, pie__run_stats *stats)

/* Internal backend capability: the backend keeps the checkpoint itself. */
#define PIE__BACKEND_OWN_CHECKPOINT (1u << 16)
#define PIE__BACKEND_PUBLIC_FLAGS 0xffffu

/* One row of the backend table (backends.c). */
typedef struct pie__backend_desc {
    const char *name;
    unsigned flags; /* PIE_BACKEND_* and PIE__BACKEND_* bits */
    int built;      /* compiled into this library */
    pie__backend_fn run;
} pie__backend_desc;

/* The row of a backend, or NULL for an unknown value. */
const pie__backend_desc *pie__backend_desc_of(pie_backend backend);

/* The phase a workload enters, for progress reports (a static string). The
 * user's callback is told once, with done = total = 0. */
void pie__phase(pie_ctx *ctx, const char *phase);

/* Allocate a zeroed result of `size` bytes, released by pie_result_free,
 * which first calls `destroy` (if not NULL) on it to free what it points
 * to. NULL when out of memory. */
void *pie__result_new(size_t size, void (*destroy)(void *result));

/* Copy two strings into storage the result owns (freed by pie_result_free;
 * a second call replaces the first's): returns a's copy, *b_copy gets b's
 * ("" both when out of memory). For the pin spec and worker CPUs. */
const char *pie__result_keep(void *result, const char *a, const char *b, const char **b_copy);
/* Record the context's placement and its last run's CPUs in a result. */
#define PIE__RESULT_PLACEMENT(result, ctx)                                                         \
    ((result)->pin = pie__result_keep((result), pie_ctx_get_pin(ctx), (ctx)->worker_cpus,          \
                                      &(result)->worker_cpus))

/* The context's worker count with "auto" resolved (1 on a one-worker
 * backend), before any cap by the number of chunks. */
unsigned pie__resolve_workers(const pie_ctx *ctx);

/* Run a task on the context's backend with its worker count (resolving
 * "auto"; never more workers than chunks). Fills stats. */
pie_status pie__run_task(pie_ctx *ctx, const pie__task *task, pie__run_stats *stats);

/* A process-backend session (engine/process_session.c): the tasks run until
 * pie__proc_session_end share `workers` workers, forked for the first task,
 * and a shared arena of `arena_bytes` (reserved, not committed), where a job
 * made after that fork must live (pie__proc_session_share; reset between
 * tasks with pie__proc_session_share_reset). End returns the workers' summed
 * peak RSS and adds their CPU seconds to *worker_cpu (when not NULL). Release lets the workers go
 * without waiting for them (their exit and the kernel's freeing of their memory overlap what the
 * caller does next; later tasks fork their own); End then reaps them. */
pie_status pie__proc_session_begin(pie_ctx *ctx, unsigned workers, size_t arena_bytes);
void pie__proc_session_release(pie_ctx *ctx);
uint64_t pie__proc_session_end(pie_ctx *ctx, double *worker_cpu);
void *pie__proc_session_share(pie_ctx *ctx, size_t bytes);
void pie__proc_session_share_reset(pie_ctx *ctx);

/* Record a failure description on the context and return `status`. */
pie_status pie__fail(pie_ctx *ctx, pie_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clear the error and the warning (a run's entry point does, first). */
void pie__clear_error(pie_ctx *ctx);
/* Clear the error only, keeping an earlier warning of this run (a failure
 * that the run got over, such as a worker that could not be replaced). */
void pie__forget_error(pie_ctx *ctx);
/* Record a problem that does not fail the run (pie_ctx_last_warning); a
 * later warning of the same run is appended after "; ". */
void pie__warn(pie_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Map a kernel status (PIE_K_*) to a pie_status. */
pie_status pie__from_kernel(int kstatus);

/* A workload run of several tasks begins and ends (see pie_ctx.run_depth). */
static inline void pie__run_enter(pie_ctx *ctx)
{
    if (ctx->run_depth++ == 0) {
        memset(ctx->fault_fired, 0, sizeof ctx->fault_fired);
        ctx->fault_forks = 0;
        ctx->fault_checked = 0;
    }
}
static inline void pie__run_leave(pie_ctx *ctx)
{
    ctx->run_depth--;
}

/* Whether the context's cancel flag is raised. */
static inline int pie__cancelled(const pie_ctx *ctx)
{
    /* An atomic load: worker threads poll the flag while another thread or
     * a signal handler raises it. */
    return ctx->cancel && __atomic_load_n(ctx->cancel, __ATOMIC_RELAXED);
}

/* Read a caller's options struct into `out`, which holds the defaults: the
 * caller's first `size` bytes (its struct may be an older, shorter one)
 * replace them. PIE_EINVAL for NULL or a size below `min_size` (the fields
 * of the first version) or above `out_size` (a newer pie.h than this
 * library knows: its extra fields would be ignored). */
static inline pie_status pie__options_read(void *out, size_t out_size, const void *in,
                                           size_t min_size)
{
    if (!in)
        return PIE_EINVAL;
    size_t size;
    memcpy(&size, in, sizeof size);
    if (size < min_size || size > out_size)
        return PIE_EINVAL;
    memcpy(out, in, size);
    return PIE_OK;
}

/* Monotonic clock in seconds. */
double pie__now(void);

/* A phase's start: the monotonic clock and this process's CPU time (all its
 * threads, user and system), in seconds. */
typedef struct pie__clock {
    double wall, cpu;
} pie__clock;
pie__clock pie__clock_now(void);
/* Add the wall and CPU seconds since c to *wall and *cpu. */
void pie__clock_add(pie__clock c, double *wall, double *cpu);

/* ------------------------------------------------------------------------ */
/* Ordered reduction: partials arrive in any order and are merged in chunk  */
/* order as soon as the prefix is complete.                                 */

typedef struct pie__pending pie__pending;

typedef struct pie__reorder {
    const pie__task *task;
    uint64_t next;      /* next chunk to merge */
    pie__pending *head; /* pending partials, sorted by chunk id */
    uint64_t npending;
} pie__reorder;

void pie__reorder_init(pie__reorder *r, const pie__task *task);
/* Take ownership of `partial` (its data is freed or merged) for chunk `chunk`,
 * then merge every partial that has become contiguous. Returns the kernel's
 * merge status mapped to pie_status. */
pie_status pie__reorder_put(pie__reorder *r, uint64_t chunk, pie_kbuf *partial);
/* Free anything still pending. */
void pie__reorder_free(pie__reorder *r);

#endif
