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
 *   1. The chunks to run are taken in waves (2, then 16, x workers x R
 *      chunks), each cut into one block per rank. Rank 0 sizes the blocks
 *      from each rank's speed in the previous wave and broadcasts them: a
 *      slow or busy node gets less, and no rank hands out work or polls for
 *      requests while chunks run (the first wave, and PIE_MPI_SCHEDULE=static,
 *      use equal blocks). Waves bound the memory the partials take, report
 *      progress, and let a checkpoint grow.
 *   2. Each rank runs its share as a sub-task on a local backend (thread by
 *      default, or process, or serial) with `workers` workers, so one rank
 *      per node with W workers is as valid a layout as one rank per core.
 *      The local merge only appends each partial to a blob, in order.
 *   3. Every rank sends a fixed header (status, records, bytes, error text)
 *      to all (MPI_Allgather), then broadcasts its blob in pieces of at most
 *      1 GiB (MPI counts are int), so no partial size has a 2 GiB limit.
 *   4. Every rank merges the wave's partials in chunk order with the
 *      kernel's own merge. The merge is deterministic, so every rank holds
 *      the same result, bit for bit the serial backend's. Holding it on every
 *      rank (not only on rank 0) is what keeps the workloads' control flow
 *      the same on every rank (hex passes, the digits' Ziv retries) without
 *      teaching each workload about MPI; only rank 0 prints or writes.
 *
 * Failures: a chunk that fails on one rank is reported in that rank's header
 * and every rank returns the same status and message (the lowest failing
 * rank wins). A rank that dies is fail-stop: Open MPI's mpirun kills the job.
 *
 * Checkpoints (pie_ctx_set_checkpoint_dir): only rank 0 touches the file. It
 * loads it (engine/checkpoint.c's format and name, so any backend resumes
 * it), broadcasts the saved partials, and appends each wave's new partials as
 * they are merged; the remaining chunks are numbered and dealt as above.
 *
 * MPI is initialised here, on the first run on this backend, if the program
 * has not done it (MPI_Init_thread, MPI_THREAD_SERIALIZED); it is then
 * finalised by pie_mpi_finalize() or at exit. A program that initialised MPI
 * itself keeps control of MPI_Finalize. All traffic goes over a duplicate of
 * MPI_COMM_WORLD made for each run, so it never mixes with the program's.
 */

/* Largest single broadcast, in bytes (MPI counts are int). A build with
 * -DPIE_MPI_PIECE=1000 exercises the pieces with small partials. */
#ifndef PIE_MPI_PIECE
#define PIE_MPI_PIECE ((size_t)1 << 30)
#endif
#define PIECE ((size_t)(PIE_MPI_PIECE))
#define ERRLEN 512 /* = sizeof ctx->last_error */

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

/* ---------------------------------------------------------------------- */
/* Which chunks still run: all of them, or those a checkpoint lacks.       */

typedef struct saved {
    uint64_t chunk;
    uint64_t off, len; /* the partial's bytes in the checkpoint image */
} saved;

typedef struct plan {
    const pie__task *task;
    const saved *sv; /* sorted by chunk, no duplicates */
    size_t nsv;
    const unsigned char *image;
} plan;

/* The real id of remaining chunk j: the j-th chunk id not in sv. With
 * s_i = sv[i].chunk - i nondecreasing, it is j + #{i : s_i <= j}. */
static uint64_t real_chunk(const plan *p, uint64_t j)
{
    size_t lo = 0, hi = p->nsv;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->sv[mid].chunk - mid <= j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return j + lo;
}

/* ---------------------------------------------------------------------- */
/* One rank's share of a wave, as a sub-task for a local backend.          */

typedef struct share {
    const plan *plan;
    uint64_t first, stride, count; /* remaining-chunk indices first + i * stride */
    pie_kbuf blob;                 /* records: chunk id (u64 LE), length (u64 LE), bytes */
} share;

static uint64_t share_chunk(const share *s, uint64_t i)
{
    return real_chunk(s->plan, s->first + i * s->stride);
}

static int share_run(const void *job, uint64_t i, pie_kbuf *out)
{
    const share *s = job;
    const pie__task *t = s->plan->task;
    return t->ops->run_chunk(t->job, share_chunk(s, i), out);
}

static int share_merge(void *acc, const void *job, uint64_t i, const unsigned char *p, size_t len)
{
    (void)job;
    share *s = acc;
    unsigned char head[16];
    pie_kput_u64(head, share_chunk(s, i));
    pie_kput_u64(head + 8, (uint64_t)len);
    int k = pie_kbuf_append(&s->blob, head, sizeof head);
    return k != PIE_K_OK ? k : pie_kbuf_append(&s->blob, p, len);
}

static uint64_t share_max(const void *job, uint64_t i)
{
    const share *s = job;
    const pie__task *t = s->plan->task;
    return t->ops->max_partial(t->job, share_chunk(s, i));
}

static const pie_kernel_ops share_ops = {
    .name = "mpi-share", .run_chunk = share_run, .merge = share_merge, .max_partial = share_max};

pie_status pie_ctx_set_mpi_local_backend(pie_ctx *ctx, pie_backend backend)
{
    if (!ctx)
        return PIE_EINVAL;
    if (backend != PIE_BACKEND_SERIAL && backend != PIE_BACKEND_PROCESS &&
        backend != PIE_BACKEND_THREAD)
        return pie__fail(ctx, PIE_EINVAL,
                         "the local backend of an MPI rank must be serial, process or thread");
    if (pie_backend_available(backend) != PIE_OK)
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
    sub.progress = NULL;          /* progress is counted in merged waves */
    sub.checkpoint_dir[0] = '\0'; /* rank 0 keeps the checkpoint of the whole task */
    pie__task t = {.ops = &share_ops, .job = s, .acc = s, .nchunks = s->count};
    pie_status st = pie__run_task(&sub, &t, local);
    if (st != PIE_OK)
        memcpy(ctx->last_error, sub.last_error, sizeof ctx->last_error);
    return st;
}

/* ---------------------------------------------------------------------- */

#if PIE_HAVE_MPI
#include "checkpoint.h"
#include "sysio.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

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

pie_status pie_mpi_init(void)
{
    return ensure_mpi(NULL) == PIE_OK ? PIE_OK : PIE_ESYSTEM;
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

/* What a rank tells the others: before each wave's partials, and (rank 0)
 * before the checkpoint's. */
typedef struct rank_head {
    uint64_t status;  /* pie_status of its share (or of opening the checkpoint) */
    uint64_t records; /* partials in its blob (saved chunks) */
    uint64_t bytes;   /* length of its blob (the checkpoint image) */
    uint64_t retries, rss, workers;
    uint64_t usec; /* time its share took */
    char error[ERRLEN];
} rank_head;

/* Broadcast `len` bytes from `root` in pieces MPI's int counts can carry. */
static int bcast_bytes(void *buf, size_t len, int root, MPI_Comm comm)
{
    for (size_t off = 0; off < len; off += PIECE) {
        size_t n = len - off < PIECE ? len - off : PIECE;
        int rc = MPI_Bcast((unsigned char *)buf + off, (int)n, MPI_BYTE, root, comm);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

/* Whether every rank says yes (every rank must take part in every
 * collective, so a local failure is agreed on before anything else moves). */
static int all_agree(int ok, MPI_Comm comm)
{
    int all = 0;
    return MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm) == MPI_SUCCESS && all;
}

/* ---------------------------------------------------------------------- */
/* Rank 0's checkpoint: the file format of engine/checkpoint.c (same name,
 * header, frames), so a run on any backend resumes it. Loaded by rank 0 and
 * broadcast; new partials are appended by rank 0 as waves are merged.      */

typedef struct mpi_ckpt {
    int on;
    char path[PIE_CKPT_DIR_MAX + 64];
    char tmp[PIE_CKPT_DIR_MAX + 96];
    int fd;
    int io_errno;
    double last_sync;
    unsigned char *image;
    size_t image_len;
    saved *sv;
    size_t nsv, cap, next; /* next: the first saved chunk not merged yet */
} mpi_ckpt;

typedef struct scan_ctx {
    mpi_ckpt *ck;
    const pie__task *task;
} scan_ctx;

static uint64_t scan_bound(void *user, uint64_t chunk)
{
    const scan_ctx *sc = user;
    return sc->task->ops->max_partial(sc->task->job, chunk);
}

static int scan_collect(void *user, uint64_t chunk, const unsigned char *p, size_t len)
{
    mpi_ckpt *ck = ((scan_ctx *)user)->ck;
    if (ck->nsv == ck->cap) {
        size_t cap = ck->cap ? 2 * ck->cap : 64;
        saved *n = realloc(ck->sv, cap * sizeof *n);
        if (!n)
            return 1;
        ck->sv = n;
        ck->cap = cap;
    }
    ck->sv[ck->nsv++] = (saved){chunk, (uint64_t)(p - ck->image), len};
    return 0;
}

static int by_chunk(const void *a, const void *b)
{
    const saved *x = a, *y = b;
    if (x->chunk != y->chunk)
        return x->chunk < y->chunk ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off; /* the earlier frame first */
}

static void ckpt_free(mpi_ckpt *ck)
{
    if (ck->fd >= 0)
        close(ck->fd);
    free(ck->image);
    free(ck->sv);
}

/* Rank 0: name, load, scan and rewrite the checkpoint (as engine/checkpoint.c
 * does: a temporary file renamed over the old one), keep it open to append. */
static pie_status ckpt_open(pie_ctx *ctx, const pie__task *task, mpi_ckpt *ck)
{
    if (!task->fingerprint)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s workload cannot be checkpointed",
                         task->ops->name);
    char fp[PIE_CKPT_MAX_FINGERPRINT + 1];
    int n = snprintf(fp, sizeof fp, "pie %s; kernel %s; chunks %llu; %s", PIE_VERSION_STRING,
                     task->ops->name, (unsigned long long)task->nchunks, task->fingerprint);
    if (n < 0 || (size_t)n >= sizeof fp)
        return pie__fail(ctx, PIE_ENOMEM, "the job's fingerprint is too long");
    uint32_t h1 = pie__crc32c(0, fp, (size_t)n), h2 = pie__crc32c(0x9e3779b9u, fp, (size_t)n);
    snprintf(ck->path, sizeof ck->path, "%s/pie-%08x%08x.ckpt", ctx->checkpoint_dir, (unsigned)h1,
             (unsigned)h2);
    snprintf(ck->tmp, sizeof ck->tmp, "%s.tmp%ld", ck->path, (long)getpid());
    struct stat st;
    if (mkdir(ctx->checkpoint_dir, 0777) != 0 && errno != EEXIST)
        return pie__fail(ctx, PIE_EIO, "cannot create checkpoint directory %s: %s",
                         ctx->checkpoint_dir, strerror(errno));
    if (stat(ctx->checkpoint_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pie__fail(ctx, PIE_EIO, "checkpoint path %s is not a directory",
                         ctx->checkpoint_dir);
    int fd = open(ck->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT)
        return pie__fail(ctx, PIE_EIO, "opening checkpoint %s: %s", ck->path, strerror(errno));
    if (fd >= 0) {
        off_t size = lseek(fd, 0, SEEK_END);
        ck->image = size >= 0 ? malloc((size_t)size + 1) : NULL;
        size_t got = 0;
        if (ck->image && lseek(fd, 0, SEEK_SET) == 0) {
            ssize_t r;
            while (got < (size_t)size &&
                   (r = pie__read_some(fd, ck->image + got, (size_t)size - got)) > 0)
                got += (size_t)r;
        }
        close(fd);
        if (!ck->image)
            return pie__fail(ctx, PIE_ENOMEM, "out of memory loading checkpoint %s", ck->path);
        ck->image_len = got;
        scan_ctx sc = {ck, task};
        pie__ckpt_scan scan;
        if (pie__ckpt_scan_image(ck->image, ck->image_len, fp, task->nchunks, scan_bound,
                                 scan_collect, &sc, &scan) != 0)
            return pie__fail(ctx, PIE_ENOMEM, "out of memory loading checkpoint %s", ck->path);
        if (ck->nsv > 1)
            qsort(ck->sv, ck->nsv, sizeof *ck->sv, by_chunk);
        size_t o = 0;
        for (size_t i = 0; i < ck->nsv; i++)
            if (o == 0 || ck->sv[i].chunk != ck->sv[o - 1].chunk)
                ck->sv[o++] = ck->sv[i];
        ck->nsv = o;
    }
    ck->fd = open(ck->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (ck->fd < 0)
        return pie__fail(ctx, PIE_EIO, "creating checkpoint %s: %s", ck->tmp, strerror(errno));
    unsigned char hdr[PIE_CKPT_MAX_FINGERPRINT + 32];
    int rc = pie__write_all(ck->fd, hdr, pie__ckpt_header(hdr, fp));
    for (size_t i = 0; rc == 0 && i < ck->nsv; i++)
        rc = pie__wire_send(ck->fd, PIE_FRAME_PARTIAL, ck->sv[i].chunk, ck->image + ck->sv[i].off,
                            ck->sv[i].len);
    if (rc == 0)
        rc = fsync(ck->fd);
    if (rc == 0)
        rc = rename(ck->tmp, ck->path);
    if (rc != 0) {
        int e = errno;
        unlink(ck->tmp);
        return pie__fail(ctx, PIE_EIO, "writing checkpoint %s: %s", ck->path, strerror(e));
    }
    ck->last_sync = pie__now();
    return PIE_OK;
}

/* Every rank: rank 0 opens the checkpoint, then its status, the saved
 * chunks' table and the image are broadcast. */
static pie_status ckpt_share(pie_ctx *ctx, const pie__task *task, mpi_ckpt *ck, int rank,
                             MPI_Comm comm)
{
    rank_head h = {0};
    if (rank == 0) {
        pie_status st = ckpt_open(ctx, task, ck);
        h.status = (uint64_t)st;
        h.records = ck->nsv;
        h.bytes = ck->image_len;
        if (st != PIE_OK)
            snprintf(h.error, sizeof h.error, "%s", ctx->last_error);
    }
    int rc = MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, comm);
    if (rc != MPI_SUCCESS)
        return mpi_fail(ctx, rc, "MPI_Bcast");
    if (h.status != PIE_OK) {
        h.error[ERRLEN - 1] = '\0';
        return pie__fail(ctx, (pie_status)h.status, "%s", h.error);
    }
    if (rank != 0) {
        ck->nsv = (size_t)h.records;
        ck->image_len = (size_t)h.bytes;
        ck->sv = malloc(ck->nsv ? ck->nsv * sizeof *ck->sv : 1);
        ck->image = malloc(ck->image_len ? ck->image_len : 1);
    }
    if (!all_agree((ck->sv || !ck->nsv) && (ck->image || !ck->image_len), comm))
        return pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory sharing the checkpoint");
    rc = bcast_bytes(ck->sv, ck->nsv * sizeof *ck->sv, 0, comm);
    if (rc == MPI_SUCCESS)
        rc = bcast_bytes(ck->image, ck->image_len, 0, comm);
    return rc == MPI_SUCCESS ? PIE_OK : mpi_fail(ctx, rc, "MPI_Bcast");
}

/* Merge saved chunks below `limit`. */
static pie_status merge_saved(pie_ctx *ctx, const pie__task *task, mpi_ckpt *ck, uint64_t limit)
{
    while (ck->next < ck->nsv && ck->sv[ck->next].chunk < limit) {
        const saved *s = &ck->sv[ck->next];
        int k =
            task->ops->merge(task->acc, task->job, s->chunk, ck->image + s->off, (size_t)s->len);
        if (k != PIE_K_OK)
            return pie__fail(ctx, pie__from_kernel(k),
                             "a chunk saved in checkpoint %s does not merge: %s (delete the file)",
                             ck->path, pie_strerror(pie__from_kernel(k)));
        ck->next++;
    }
    return PIE_OK;
}

/* ---------------------------------------------------------------------- */
/* Waves. The remaining chunks run in waves: a first one of 2 x workers x  */
/* ranks chunks, then 16 x workers x ranks. A wave is cut into one block   */
/* per rank. Rank 0 sizes the blocks from each rank's speed in the last    */
/* wave (chunks per second), so a slow or busy node gets less and nobody   */
/* waits long for it; with PIE_MPI_SCHEDULE=static in rank 0's environment */
/* the blocks are equal. Rank 0 broadcasts the sizes, so the ranks never   */
/* disagree. Waves bound the memory partials take and let a checkpoint    */
/* grow while the job runs.                                                */

#define FIRST_WAVE_PER_WORKER 2
#define WAVE_PER_WORKER 16

/* Rank 0: cut n chunks into blocks, block[r] chunks for rank r. */
static void plan_wave(uint64_t n, int size, const double *rate, int adaptive, uint64_t *block)
{
    double total = 0;
    int known = 1;
    for (int r = 0; r < size; r++) {
        known &= rate[r] > 0;
        total += rate[r];
    }
    if (!adaptive || !known || n < (uint64_t)size) {
        for (int r = 0; r < size; r++)
            block[r] = n / (uint64_t)size + ((uint64_t)r < n % (uint64_t)size);
        return;
    }
    uint64_t sum = 0;
    int fastest = 0;
    for (int r = 0; r < size; r++) {
        block[r] = (uint64_t)((double)n * rate[r] / total);
        block[r] = block[r] ? block[r] : 1; /* every rank keeps being measured */
        sum += block[r];
        fastest = rate[r] > rate[fastest] ? r : fastest;
    }
    if (sum < n)
        block[fastest] += n - sum;
    while (sum > n) { /* the ones pushed it over: take from the largest */
        int g = 0;
        for (int r = 1; r < size; r++)
            g = block[r] > block[g] ? r : g;
        uint64_t take = sum - n < block[g] - 1 ? sum - n : block[g] - 1;
        block[g] -= take;
        sum -= take;
    }
}

/* Merge wave [j0, j0 + sum of block) in chunk order from the ranks' blobs
 * (saved chunks in between); rank 0 appends each new partial to the
 * checkpoint. */
static pie_status merge_wave(pie_ctx *ctx, const plan *pl, mpi_ckpt *ck, uint64_t j0,
                             const uint64_t *block, unsigned char **blob, const rank_head *heads,
                             int size, int rank)
{
    const pie__task *task = pl->task;
    pie_status st = PIE_OK;
    uint64_t j = j0;
    for (int r = 0; r < size && st == PIE_OK; r++) {
        size_t cur = 0, end = (size_t)heads[r].bytes;
        for (uint64_t i = 0; i < block[r] && st == PIE_OK; i++, j++) {
            uint64_t c = real_chunk(pl, j);
            if (end - cur < 16) {
                st = pie__fail(ctx, PIE_ECORRUPT, "MPI: rank %d sent too few partials", r);
                break;
            }
            const unsigned char *p = blob[r] + cur;
            uint64_t id = pie_kget_u64(p), len = pie_kget_u64(p + 8);
            if (id != c || len > end - cur - 16 || len > task->ops->max_partial(task->job, c)) {
                st = pie__fail(ctx, PIE_ECORRUPT, "MPI: rank %d sent a bad record for chunk %llu",
                               r, (unsigned long long)c);
                break;
            }
            st = merge_saved(ctx, task, ck, c);
            if (st != PIE_OK)
                break;
            int k = task->ops->merge(task->acc, task->job, c, p + 16, (size_t)len);
            if (k != PIE_K_OK)
                st = pie__fail(ctx, pie__from_kernel(k), "merging chunk %llu failed: %s",
                               (unsigned long long)c, pie_strerror(pie__from_kernel(k)));
            if (st == PIE_OK && rank == 0 && ck->on && !ck->io_errno &&
                pie__wire_send(ck->fd, PIE_FRAME_PARTIAL, c, p + 16, len) != 0)
                ck->io_errno = errno ? errno : EIO;
            cur += 16 + (size_t)len;
        }
    }
    if (rank == 0 && ck->on && !ck->io_errno && pie__now() - ck->last_sync > 1.0) {
        fdatasync(ck->fd);
        ck->last_sync = pie__now();
    }
    return st;
}

/* Exchange heads and blobs of one wave, then merge it. Every rank takes the
 * same path and returns the same status. */
static pie_status exchange(pie_ctx *ctx, const plan *pl, mpi_ckpt *ck, uint64_t j0,
                           const uint64_t *shares, share *s, rank_head *mine, MPI_Comm comm,
                           int rank, int size, double *rate, pie__run_stats *stats)
{
    rank_head *heads = calloc((size_t)size, sizeof *heads);
    unsigned char **blob = calloc((size_t)size, sizeof *blob);
    if (!all_agree(heads && blob, comm)) {
        free(heads);
        free(blob);
        return pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory on some rank");
    }
    int rc =
        MPI_Allgather(mine, (int)sizeof *mine, MPI_BYTE, heads, (int)sizeof *mine, MPI_BYTE, comm);
    int ok = rc == MPI_SUCCESS;
    for (int r = 0; ok && r < size; r++) {
        blob[r] = r == rank ? s->blob.data : malloc(heads[r].bytes ? (size_t)heads[r].bytes : 1);
        ok &= blob[r] != NULL || heads[r].bytes == 0;
    }
    int all_ok = rc == MPI_SUCCESS && all_agree(ok, comm);
    for (int r = 0; r < size && rc == MPI_SUCCESS && all_ok; r++)
        rc = bcast_bytes(blob[r], (size_t)heads[r].bytes, r, comm);

    pie_status st = PIE_OK;
    if (rc != MPI_SUCCESS)
        st = mpi_fail(ctx, rc, "MPI collective");
    else if (!all_ok)
        st = pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory receiving the partials");
    for (int r = 0; r < size && st == PIE_OK; r++) {
        stats->retries += heads[r].retries;
        if (heads[r].rss > stats->worker_peak_rss_bytes)
            stats->worker_peak_rss_bytes = heads[r].rss;
        if (heads[r].records)
            rate[r] = (double)heads[r].records / ((double)(heads[r].usec + 1) * 1e-6);
        if (heads[r].workers > stats->workers)
            stats->workers = (unsigned)heads[r].workers; /* per rank; times ranks below */
        if (heads[r].status != PIE_OK) {
            heads[r].error[ERRLEN - 1] = '\0';
            st = pie__fail(ctx, (pie_status)heads[r].status, "rank %d: %s", r, heads[r].error);
        }
    }
    if (st == PIE_OK)
        st = merge_wave(ctx, pl, ck, j0, shares, blob, heads, size, rank);
    for (int r = 0; r < size; r++)
        if (r != rank)
            free(blob[r]);
    free(blob);
    free(heads);
    return st;
}

/* Rank 0's checkpoint writes, agreed on by every rank. */
static pie_status agree_io(pie_ctx *ctx, mpi_ckpt *ck, pie_status st, MPI_Comm comm)
{
    int e = ck->io_errno;
    if (MPI_Bcast(&e, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
        return pie__fail(ctx, PIE_ESYSTEM, "MPI: MPI_Bcast failed");
    if (e && st == PIE_OK)
        return pie__fail(ctx, PIE_EIO, "appending to checkpoint %s: %s", ck->path, strerror(e));
    return st;
}

PIE__BACKEND_FN(pie__backend_mpi);
PIE__BACKEND_FN(pie__backend_mpi)
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

    mpi_ckpt ck = {.on = ctx->checkpoint_dir[0] != '\0', .fd = -1};
    if (ck.on)
        st = ckpt_share(ctx, task, &ck, rank, comm);
    plan pl = {.task = task, .sv = ck.sv, .nsv = ck.nsv, .image = ck.image};
    uint64_t remaining = task->nchunks - (st == PIE_OK ? ck.nsv : 0);
    uint64_t per = (uint64_t)size * (workers ? workers : 1);
    uint64_t *shares = calloc((size_t)size, sizeof *shares);
    double *rate = calloc((size_t)size, sizeof *rate);
    if (!all_agree(shares && rate, comm) && st == PIE_OK)
        st = pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory on some rank");
    const char *sched = rank == 0 ? getenv("PIE_MPI_SCHEDULE") : NULL;
    int adaptive = !(sched && strcmp(sched, "static") == 0);
    stats->workers = 0;
    for (uint64_t j0 = 0, wave = per * FIRST_WAVE_PER_WORKER; st == PIE_OK && j0 < remaining;
         j0 += wave, wave = per * WAVE_PER_WORKER) {
        wave = remaining - j0 < wave ? remaining - j0 : wave;
        if (rank == 0)
            plan_wave(wave, size, rate, adaptive, shares);
        rc = MPI_Bcast(shares, size, MPI_UINT64_T, 0, comm);
        if (rc != MPI_SUCCESS) {
            st = mpi_fail(ctx, rc, "MPI_Bcast");
            break;
        }
        uint64_t off = 0;
        for (int r = 0; r < rank; r++)
            off += shares[r];
        share s = {.plan = &pl, .first = j0 + off, .stride = 1, .count = shares[rank]};
        pie__run_stats local;
        double t0 = pie__now();
        pie_status mine_st = run_share(ctx, &s, workers, &local);
        rank_head mine = {.status = (uint64_t)mine_st,
                          .records = s.count,
                          .bytes = s.blob.len,
                          .retries = local.retries,
                          .rss = local.worker_peak_rss_bytes,
                          .workers = s.count ? local.workers : 0,
                          .usec = (uint64_t)((pie__now() - t0) * 1e6)};
        if (mine_st != PIE_OK)
            snprintf(mine.error, sizeof mine.error, "%s", ctx->last_error);
        st = exchange(ctx, &pl, &ck, j0, shares, &s, &mine, comm, rank, size, rate, stats);
        pie_kbuf_free(&s.blob);
        if (ck.on)
            st = agree_io(ctx, &ck, st, comm);
        stats->chunks_done = ck.next + j0 + wave;
        if (st == PIE_OK && ctx->progress)
            ctx->progress(ctx->progress_user, stats->chunks_done, task->nchunks);
    }
    free(shares);
    free(rate);
    if (st == PIE_OK && ck.on) {
        uint64_t before = ck.next;
        st = merge_saved(ctx, task, &ck, UINT64_MAX);
        stats->chunks_done = task->nchunks;
        stats->chunks_resumed = ck.nsv;
        if (st == PIE_OK && ctx->progress && before < ck.nsv)
            ctx->progress(ctx->progress_user, task->nchunks, task->nchunks);
    }
    if (rank == 0 && ck.on && ck.fd >= 0) {
        if (st == PIE_OK) {
            unlink(ck.path);
            rmdir(ctx->checkpoint_dir); /* only if now empty */
        } else {
            fdatasync(ck.fd); /* kept for a resume */
        }
    }
    stats->workers = (stats->workers ? stats->workers : 1) * (unsigned)size;
    ckpt_free(&ck);
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

pie_status pie_mpi_init(void)
{
    return PIE_EUNSUPPORTED;
}

PIE__BACKEND_FN(pie__backend_mpi);
PIE__BACKEND_FN(pie__backend_mpi)
{
    (void)task;
    (void)workers;
    (void)stats;
    (void)run_share;
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
