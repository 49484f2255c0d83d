/** @brief MPI backend: chunks dealt cyclically to ranks, partials merged in chunk order. */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The model is SPMD: every rank runs the same program with the same
 * arguments, so every rank builds the same job and calls the same run
 * function; the job itself never travels. Inside pie__run_task:
 *
 *   1. Chunk c belongs to rank c mod R (static, cyclic). Chunks of one job
 *      cost about the same, and a cyclic deal also evens out a slow drift of
 *      the cost along the chunk range (the series' terms grow), so no rank
 *      has to hand out work and no message moves while chunks run.
 *   2. Each rank runs its share as a sub-task on a local backend (thread by
 *      default, or process, or serial) with `workers` workers, so one rank
 *      per node with W workers is as valid a layout as one rank per core.
 *      The local merge only appends each partial to a blob, in order.
 *   3. Every rank broadcasts a fixed header (status, records, bytes, error
 *      text) and then its blob, in pieces of at most 1 GiB (MPI counts are
 *      int), to every other rank.
 *   4. Every rank merges all partials in chunk order with the kernel's own
 *      merge. The merge is deterministic, so every rank holds the same
 *      result, bit for bit the one of the serial backend. Holding it on every
 *      rank (not only on rank 0) is what keeps the workloads' control flow
 *      the same on every rank (hex passes, the digits' Ziv retries) without
 *      teaching each workload about MPI; only rank 0 prints or writes.
 *
 * Failures: a chunk that fails on one rank is reported in that rank's header
 * and every rank returns the same status and message (the lowest failing
 * rank wins). A rank that dies is fail-stop: Open MPI's mpirun kills the job.
 *
 * MPI is initialised here, on the first run on this backend, if the program
 * has not done it (MPI_Init_thread, MPI_THREAD_SERIALIZED); it is then
 * finalised by pie_mpi_finalize() or at exit. A program that initialised MPI
 * itself keeps control of MPI_Finalize. All traffic goes over a duplicate of
 * MPI_COMM_WORLD made for each run, so it never mixes with the program's.
 */

#define PIECE ((size_t)1 << 30) /* largest single broadcast, in bytes */
#define ERRLEN 512              /* = sizeof ctx->last_error */

/* The rank (or the number of ranks) the launcher gave this process, read
 * from its environment: Open MPI, then PMIx, then MPICH/Hydra's PMI. */
static int env_rank(int want_size)
{
    static const char *const keys[2][3] = {{"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"},
                                           {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(keys[want_size][i]);
        char *end;
        long n = v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && n >= want_size && n < (1L << 30))
            return (int)n;
    }
    return want_size ? 1 : 0;
}

/* Chunks of the task that rank `rank` of `size` owns. */
static uint64_t share_count(uint64_t nchunks, uint64_t rank, uint64_t size)
{
    return rank < nchunks ? (nchunks - 1 - rank) / size + 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* One rank's share of the chunks, as a sub-task for a local backend.      */

typedef struct share {
    const pie__task *task;
    uint64_t first, stride, count;
    pie_kbuf blob; /* records: chunk id (u64 LE), length (u64 LE), bytes */
    pie_ctx *ctx;  /* the caller's, for progress */
} share;

static int share_run(const void *job, uint64_t i, pie_kbuf *out)
{
    const share *s = job;
    return s->task->ops->run_chunk(s->task->job, s->first + i * s->stride, out);
}

static int share_merge(void *acc, const void *job, uint64_t i, const unsigned char *p, size_t len)
{
    (void)job;
    share *s = acc;
    unsigned char head[16];
    pie_kput_u64(head, s->first + i * s->stride);
    pie_kput_u64(head + 8, (uint64_t)len);
    int k = pie_kbuf_append(&s->blob, head, sizeof head);
    return k != PIE_K_OK ? k : pie_kbuf_append(&s->blob, p, len);
}

static uint64_t share_max(const void *job, uint64_t i)
{
    const share *s = job;
    return s->task->ops->max_partial(s->task->job, s->first + i * s->stride);
}

static const pie_kernel_ops share_ops = {
    .name = "mpi-share", .run_chunk = share_run, .merge = share_merge, .max_partial = share_max};

/* Local progress, scaled to the whole task (every rank moves at about the
 * same pace); the last step is reported after the final merge. */
static void share_progress(void *user, uint64_t done, uint64_t total)
{
    share *s = user;
    pie_ctx *ctx = s->ctx;
    if (!ctx->progress || total == 0)
        return;
    uint64_t n = s->task->nchunks;
    uint64_t g = (uint64_t)((double)done / (double)total * (double)n);
    ctx->progress(ctx->progress_user, g < n ? g : n - 1, n);
}

pie_status pie_ctx_set_mpi_local_backend(pie_ctx *ctx, pie_backend backend)
{
    if (!ctx)
        return PIE_EINVAL;
    if (backend != PIE_BACKEND_SERIAL && backend != PIE_BACKEND_PROCESS &&
        backend != PIE_BACKEND_THREAD)
        return pie__fail(ctx, PIE_EINVAL,
                         "the local backend of an MPI rank must be serial, process or thread");
    if (!pie_backend_available(backend))
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s backend is not in this build",
                         pie_backend_name(backend));
    ctx->mpi_local = (int)backend + 1;
    return PIE_OK;
}

/* Run this rank's share on the local backend; fills s->blob. */
static pie_status run_share(pie_ctx *ctx, share *s, unsigned workers, pie__run_stats *local)
{
    *local = (pie__run_stats){0};
    if (s->count == 0)
        return PIE_OK;
    pie_ctx sub = *ctx;
    if (ctx->mpi_local)
        sub.backend = (pie_backend)(ctx->mpi_local - 1);
    else
        sub.backend = PIE_HAVE_OPENMP ? PIE_BACKEND_THREAD : PIE_BACKEND_PROCESS;
    if (workers <= 1)
        sub.backend = PIE_BACKEND_SERIAL; /* nothing to share out */
    sub.workers = workers;
    sub.progress = share_progress;
    sub.progress_user = s;
    pie__task t = {.ops = &share_ops, .job = s, .acc = s, .nchunks = s->count};
    pie_status st = pie__run_task(&sub, &t, local);
    if (st != PIE_OK)
        memcpy(ctx->last_error, sub.last_error, sizeof ctx->last_error);
    return st;
}

/* ---------------------------------------------------------------------- */

#if PIE_HAVE_MPI
#include <mpi.h>
#include <pthread.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Process-wide, set once under init_once: MPI itself is process-wide state. */
static int init_rc = MPI_SUCCESS; /* what MPI_Init_thread returned */
static int we_initialised;        /* libpie called MPI_Init_thread */
static pthread_mutex_t fin_lock = PTHREAD_MUTEX_INITIALIZER;

static void finalize_at_exit(void)
{
    pie_mpi_finalize();
}

static void init_mpi(void)
{
    int flag = 0;
    MPI_Initialized(&flag);
    if (flag)
        return; /* the program owns MPI */
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin) {
        init_rc = MPI_ERR_OTHER;
        return;
    }
    int provided = 0;
    init_rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (init_rc == MPI_SUCCESS) {
        we_initialised = 1;
        atexit(finalize_at_exit);
    }
}

static pie_status mpi_fail(pie_ctx *ctx, int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "error %d", rc);
    return pie__fail(ctx, PIE_ESYSTEM, "MPI: %s failed: %s", what, msg);
}

static pie_status ensure_mpi(pie_ctx *ctx)
{
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "MPI has already been finalized in this process");
    pthread_once(&init_once, init_mpi);
    if (init_rc != MPI_SUCCESS)
        return mpi_fail(ctx, init_rc, "MPI_Init_thread");
    int flag = 0;
    MPI_Initialized(&flag);
    return flag ? PIE_OK : pie__fail(ctx, PIE_ESYSTEM, "MPI is not initialised");
}

pie_status pie_mpi_finalize(void)
{
    pthread_mutex_lock(&fin_lock);
    int fin = 0, rc = MPI_SUCCESS;
    MPI_Finalized(&fin);
    if (we_initialised && !fin)
        rc = MPI_Finalize();
    pthread_mutex_unlock(&fin_lock);
    return rc == MPI_SUCCESS ? PIE_OK : PIE_ESYSTEM;
}

static int mpi_live(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

/* What each rank tells the others before its partials. */
typedef struct rank_head {
    uint64_t status;  /* pie_status of its share */
    uint64_t records; /* partials in its blob */
    uint64_t bytes;   /* length of its blob */
    uint64_t retries, rss, workers;
    char error[ERRLEN];
} rank_head;

/* Broadcast `len` bytes from `root` in pieces MPI's int counts can carry. */
static int bcast_bytes(unsigned char *buf, size_t len, int root, MPI_Comm comm)
{
    for (size_t off = 0; off < len; off += PIECE) {
        size_t n = len - off < PIECE ? len - off : PIECE;
        int rc = MPI_Bcast(buf + off, (int)n, MPI_BYTE, root, comm);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

/* Merge every chunk in order from the ranks' blobs. */
static pie_status merge_all(pie_ctx *ctx, const pie__task *task, unsigned char **blob,
                            const rank_head *heads, int size, uint64_t *merged)
{
    size_t *cur = calloc((size_t)size, sizeof *cur);
    if (!cur)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory merging the partials");
    pie_status st = PIE_OK;
    for (uint64_t c = 0; c < task->nchunks && st == PIE_OK; c++) {
        int r = (int)(c % (uint64_t)size);
        size_t end = (size_t)heads[r].bytes;
        if (end - cur[r] < 16) {
            st = pie__fail(ctx, PIE_ECORRUPT, "MPI: rank %d sent too few partials", r);
            break;
        }
        const unsigned char *p = blob[r] + cur[r];
        uint64_t id = pie_kget_u64(p), len = pie_kget_u64(p + 8);
        if (id != c || len > end - cur[r] - 16 || len > task->ops->max_partial(task->job, c)) {
            st = pie__fail(ctx, PIE_ECORRUPT, "MPI: rank %d sent a bad record for chunk %llu", r,
                           (unsigned long long)c);
            break;
        }
        int k = task->ops->merge(task->acc, task->job, c, p + 16, (size_t)len);
        if (k != PIE_K_OK)
            st = pie__fail(ctx, pie__from_kernel(k), "merging chunk %llu failed: %s",
                           (unsigned long long)c, pie_strerror(pie__from_kernel(k)));
        cur[r] += 16 + (size_t)len;
        *merged = c + 1;
        if (st == PIE_OK && ctx->progress && c + 1 == task->nchunks)
            ctx->progress(ctx->progress_user, c + 1, task->nchunks);
    }
    free(cur);
    return st;
}

/* Exchange heads and blobs, then merge. Every rank takes the same path. */
static pie_status exchange(pie_ctx *ctx, const pie__task *task, share *s, rank_head *mine,
                           MPI_Comm comm, int rank, int size, pie__run_stats *stats)
{
    rank_head *heads = calloc((size_t)size, sizeof *heads);
    unsigned char **blob = calloc((size_t)size, sizeof *blob);
    int ok = heads && blob, all_ok = 0, rc;
    /* Every rank must take part in every collective, so an allocation that
     * fails is agreed on before anything else moves. */
    rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
    if (rc != MPI_SUCCESS || !all_ok) {
        free(heads);
        free(blob);
        return rc != MPI_SUCCESS ? mpi_fail(ctx, rc, "MPI_Allreduce")
                                 : pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory on some rank");
    }
    rc = MPI_Allgather(mine, (int)sizeof *mine, MPI_BYTE, heads, (int)sizeof *mine, MPI_BYTE, comm);
    if (rc != MPI_SUCCESS) {
        free(heads);
        free(blob);
        return mpi_fail(ctx, rc, "MPI_Allgather");
    }
    for (int r = 0; r < size; r++) {
        blob[r] = r == rank ? s->blob.data : malloc(heads[r].bytes ? (size_t)heads[r].bytes : 1);
        ok &= blob[r] != NULL || heads[r].bytes == 0;
    }
    rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
    for (int r = 0; r < size && rc == MPI_SUCCESS && all_ok; r++)
        rc = bcast_bytes(blob[r], (size_t)heads[r].bytes, r, comm);

    pie_status st = PIE_OK;
    if (rc != MPI_SUCCESS)
        st = mpi_fail(ctx, rc, "MPI_Bcast");
    else if (!all_ok)
        st = pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory receiving the partials");
    for (int r = 0; r < size && st == PIE_OK; r++) {
        stats->retries += heads[r].retries;
        stats->worker_peak_rss_bytes += heads[r].rss;
        stats->workers += (unsigned)heads[r].workers;
        if (heads[r].status != PIE_OK) {
            heads[r].error[ERRLEN - 1] = '\0';
            st = pie__fail(ctx, (pie_status)heads[r].status, "rank %d: %s", r, heads[r].error);
        }
    }
    if (st == PIE_OK)
        st = merge_all(ctx, task, blob, heads, size, &stats->chunks_done);
    for (int r = 0; r < size; r++)
        if (r != rank)
            free(blob[r]);
    free(blob);
    free(heads);
    return st;
}

pie_status pie__backend_mpi(pie_ctx *ctx, const pie__task *task, unsigned workers,
                            pie__run_stats *stats)
{
    pie_status st = ensure_mpi(ctx);
    if (st != PIE_OK)
        return st;
    MPI_Comm comm;
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    if (rc != MPI_SUCCESS)
        return mpi_fail(ctx, rc, "MPI_Comm_dup");
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);

    share s = {.task = task,
               .first = (uint64_t)rank,
               .stride = (uint64_t)size,
               .count = share_count(task->nchunks, (uint64_t)rank, (uint64_t)size),
               .ctx = ctx};
    pie__run_stats local;
    pie_status mine_st = run_share(ctx, &s, workers, &local);
    rank_head mine = {.status = (uint64_t)mine_st,
                      .records = s.count,
                      .bytes = s.blob.len,
                      .retries = local.retries,
                      .rss = local.worker_peak_rss_bytes,
                      .workers = s.count ? local.workers : 0};
    if (mine_st != PIE_OK)
        snprintf(mine.error, sizeof mine.error, "%s", ctx->last_error);

    stats->workers = 0;
    st = exchange(ctx, task, &s, &mine, comm, rank, size, stats);
    if (stats->workers == 0)
        stats->workers = 1;
    pie_kbuf_free(&s.blob);
    MPI_Comm_free(&comm);
    return st;
}

int pie_mpi_rank(void)
{
    int r = 0;
    if (mpi_live() && MPI_Comm_rank(MPI_COMM_WORLD, &r) == MPI_SUCCESS)
        return r;
    return env_rank(0);
}

int pie_mpi_size(void)
{
    int n = 1;
    if (mpi_live() && MPI_Comm_size(MPI_COMM_WORLD, &n) == MPI_SUCCESS)
        return n;
    return env_rank(1);
}

#else /* !PIE_HAVE_MPI */

pie_status pie__backend_mpi(pie_ctx *ctx, const pie__task *task, unsigned workers,
                            pie__run_stats *stats)
{
    (void)task;
    (void)workers;
    (void)stats;
    (void)run_share;
    (void)share_count;
    return pie__fail(ctx, PIE_EUNSUPPORTED, "the mpi backend is not in this build");
}

pie_status pie_mpi_finalize(void)
{
    return PIE_OK;
}

int pie_mpi_rank(void)
{
    return env_rank(0);
}

int pie_mpi_size(void)
{
    return env_rank(1);
}

#endif
