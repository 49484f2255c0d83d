/** @brief MPI backend: chunks dealt in waves of one block per rank, partials merged in chunk order.
 */
#include "mpi_internal.h"

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
 *      per node with W workers is as valid a layout as one rank per core
 *      (engine/mpi_share.c).
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
 * Checkpoints (pie_ctx_set_checkpoint_dir): only rank 0 touches the file,
 * through engine/checkpoint.h's log (so any backend resumes it). It opens
 * it, broadcasts the saved partials, and appends each wave's new partials as
 * they are merged; the remaining chunks are numbered and dealt as above.
 *
 * MPI is initialised on the first run (engine/mpi_runtime.c). All traffic
 * goes over a duplicate of MPI_COMM_WORLD made for each run, so it never
 * mixes with the program's.
 */

#if PIE_HAVE_MPI
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest single broadcast, in bytes (MPI counts are int). A build with
 * -DPIE_MPI_PIECE=1000 exercises the pieces with small partials. */
#ifndef PIE_MPI_PIECE
#define PIE_MPI_PIECE ((size_t)1 << 30)
#endif
#define PIECE ((size_t)(PIE_MPI_PIECE))
#define ERRLEN 512 /* = sizeof ctx->last_error */

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

/* One run on this backend, as every rank sees it. */
typedef struct mpi_run {
    pie_ctx *ctx;
    const pie__task *task;
    unsigned workers;
    pie__run_stats *stats;
    MPI_Comm comm;
    int rank, size;
    int ckpt_on;
    pie__ckpt_log log;     /* open on rank 0 only */
    pie__ckpt_saved saved; /* on every rank */
    uint64_t *shares;      /* this wave's block per rank */
    double *rate;          /* each rank's chunks per second in its last wave */
    int adaptive;          /* rank 0: size blocks by rate */
} mpi_run;

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
/* The checkpoint: rank 0 keeps the log, every rank gets the saved chunks.  */

/* Every rank: rank 0 opens the checkpoint, then its status, the saved
 * chunks' table and the image are broadcast. */
static pie_status share_checkpoint(mpi_run *m)
{
    pie__ckpt_saved *s = &m->saved;
    rank_head h = {0};
    if (m->rank == 0) {
        pie_status st = pie__ckpt_log_open(m->ctx, m->task, &m->log, s);
        h.status = (uint64_t)st;
        h.records = s->n;
        h.bytes = s->image_len;
        if (st != PIE_OK)
            snprintf(h.error, sizeof h.error, "%s", m->ctx->last_error);
    }
    int rc = MPI_Bcast(&h, (int)sizeof h, MPI_BYTE, 0, m->comm);
    if (rc != MPI_SUCCESS)
        return pie__mpi_fail(m->ctx, rc, "MPI_Bcast");
    if (h.status != PIE_OK) {
        h.error[ERRLEN - 1] = '\0';
        return pie__fail(m->ctx, (pie_status)h.status, "%s", h.error);
    }
    if (m->rank != 0) {
        s->n = (size_t)h.records;
        s->image_len = (size_t)h.bytes;
        s->entry = malloc(s->n ? s->n * sizeof *s->entry : 1);
        s->image = malloc(s->image_len ? s->image_len : 1);
    }
    if (!all_agree((s->entry || !s->n) && (s->image || !s->image_len), m->comm))
        return pie__fail(m->ctx, PIE_ENOMEM, "MPI: out of memory sharing the checkpoint");
    rc = bcast_bytes(s->entry, s->n * sizeof *s->entry, 0, m->comm);
    if (rc == MPI_SUCCESS)
        rc = bcast_bytes(s->image, s->image_len, 0, m->comm);
    return rc == MPI_SUCCESS ? PIE_OK : pie__mpi_fail(m->ctx, rc, "MPI_Bcast");
}

/* Merge the saved chunks below `limit`. */
static pie_status merge_saved(mpi_run *m, uint64_t limit)
{
    int k = pie__ckpt_merge_saved(&m->saved, m->task, m->task->acc, limit);
    return k == PIE_K_OK ? PIE_OK : pie__ckpt_fail_merge(m->ctx, &m->log, k);
}

/* Rank 0's checkpoint writes, agreed on by every rank. */
static pie_status agree_io(mpi_run *m, pie_status st)
{
    int e = m->log.io_errno;
    if (MPI_Bcast(&e, 1, MPI_INT, 0, m->comm) != MPI_SUCCESS)
        return pie__fail(m->ctx, PIE_ESYSTEM, "MPI: MPI_Bcast failed");
    if (e && st == PIE_OK)
        return pie__ckpt_fail_append(m->ctx, &m->log, e);
    return st;
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

/* Merge rank r's block of the wave, remaining chunks from *j on, from its
 * blob (saved chunks in between); rank 0 appends each new partial to the
 * checkpoint. */
static pie_status merge_block(mpi_run *m, int r, uint64_t *j, const unsigned char *blob, size_t end)
{
    const pie__task *task = m->task;
    size_t cur = 0;
    for (uint64_t i = 0; i < m->shares[r]; i++, (*j)++) {
        uint64_t c = pie__ckpt_real_chunk(&m->saved, *j);
        if (end - cur < 16)
            return pie__fail(m->ctx, PIE_ECORRUPT, "MPI: rank %d sent too few partials", r);
        const unsigned char *p = blob + cur;
        uint64_t id = pie_kget_u64(p), len = pie_kget_u64(p + 8);
        if (id != c || len > end - cur - 16 || len > task->ops->max_partial(task->job, c))
            return pie__fail(m->ctx, PIE_ECORRUPT, "MPI: rank %d sent a bad record for chunk %llu",
                             r, (unsigned long long)c);
        pie_status st = merge_saved(m, c);
        if (st != PIE_OK)
            return st;
        int k = task->ops->merge(task->acc, task->job, c, p + 16, (size_t)len);
        if (k != PIE_K_OK)
            return pie__fail(m->ctx, pie__from_kernel(k), "merging chunk %llu failed: %s",
                             (unsigned long long)c, pie_strerror(pie__from_kernel(k)));
        if (m->rank == 0 && m->ckpt_on)
            pie__ckpt_log_append(&m->log, c, p + 16, (size_t)len); /* io_errno: agree_io */
        cur += 16 + (size_t)len;
    }
    return PIE_OK;
}

/* Sum the ranks' heads into the stats and rates; the lowest failing rank's
 * failure, or PIE_OK. */
static pie_status take_heads(mpi_run *m, rank_head *heads)
{
    pie__run_stats *stats = m->stats;
    for (int r = 0; r < m->size; r++) {
        stats->retries += heads[r].retries;
        if (heads[r].rss > stats->worker_peak_rss_bytes)
            stats->worker_peak_rss_bytes = heads[r].rss;
        if (heads[r].records)
            m->rate[r] = (double)heads[r].records / ((double)(heads[r].usec + 1) * 1e-6);
        if (heads[r].workers > stats->workers)
            stats->workers = (unsigned)heads[r].workers; /* per rank; times ranks at the end */
        if (heads[r].status != PIE_OK) {
            heads[r].error[ERRLEN - 1] = '\0';
            return pie__fail(m->ctx, (pie_status)heads[r].status, "rank %d: %s", r, heads[r].error);
        }
    }
    return PIE_OK;
}

/* Exchange heads and blobs of the wave starting at remaining chunk j0, then
 * merge it. Every rank takes the same path and returns the same status. */
static pie_status exchange(mpi_run *m, uint64_t j0, pie__mpi_share *s, rank_head *mine)
{
    int size = m->size;
    rank_head *heads = calloc((size_t)size, sizeof *heads);
    unsigned char **blob = calloc((size_t)size, sizeof *blob);
    if (!all_agree(heads && blob, m->comm)) {
        free(heads);
        free(blob);
        return pie__fail(m->ctx, PIE_ENOMEM, "MPI: out of memory on some rank");
    }
    int rc = MPI_Allgather(mine, (int)sizeof *mine, MPI_BYTE, heads, (int)sizeof *mine, MPI_BYTE,
                           m->comm);
    int ok = rc == MPI_SUCCESS;
    for (int r = 0; ok && r < size; r++) {
        blob[r] = r == m->rank ? s->blob.data : malloc(heads[r].bytes ? (size_t)heads[r].bytes : 1);
        ok &= blob[r] != NULL || heads[r].bytes == 0;
    }
    int all_ok = rc == MPI_SUCCESS && all_agree(ok, m->comm);
    for (int r = 0; r < size && rc == MPI_SUCCESS && all_ok; r++)
        rc = bcast_bytes(blob[r], (size_t)heads[r].bytes, r, m->comm);

    pie_status st = PIE_OK;
    if (rc != MPI_SUCCESS)
        st = pie__mpi_fail(m->ctx, rc, "MPI collective");
    else if (!all_ok)
        st = pie__fail(m->ctx, PIE_ENOMEM, "MPI: out of memory receiving the partials");
    if (st == PIE_OK)
        st = take_heads(m, heads);
    uint64_t j = j0;
    for (int r = 0; r < size && st == PIE_OK; r++)
        st = merge_block(m, r, &j, blob[r], (size_t)heads[r].bytes);
    for (int r = 0; r < size; r++)
        if (r != m->rank)
            free(blob[r]);
    free(blob);
    free(heads);
    return st;
}

/* Plan, run, exchange and merge the `wave` remaining chunks from j0 on. */
static pie_status run_wave(mpi_run *m, uint64_t j0, uint64_t wave)
{
    if (m->rank == 0)
        plan_wave(wave, m->size, m->rate, m->adaptive, m->shares);
    int rc = MPI_Bcast(m->shares, m->size, MPI_UINT64_T, 0, m->comm);
    if (rc != MPI_SUCCESS)
        return pie__mpi_fail(m->ctx, rc, "MPI_Bcast");
    uint64_t off = 0;
    for (int r = 0; r < m->rank; r++)
        off += m->shares[r];
    pie__mpi_share s = {
        .task = m->task, .saved = &m->saved, .first = j0 + off, .count = m->shares[m->rank]};
    pie__run_stats local;
    double t0 = pie__now();
    pie_status mine_st = pie__mpi_run_share(m->ctx, &s, m->workers, &local);
    rank_head mine = {.status = (uint64_t)mine_st,
                      .records = s.count,
                      .bytes = s.blob.len,
                      .retries = local.retries,
                      .rss = local.worker_peak_rss_bytes,
                      .workers = s.count ? local.workers : 0,
                      .usec = (uint64_t)((pie__now() - t0) * 1e6)};
    if (mine_st != PIE_OK)
        snprintf(mine.error, sizeof mine.error, "%s", m->ctx->last_error);
    pie_status st = exchange(m, j0, &s, &mine);
    pie_kbuf_free(&s.blob);
    if (m->ckpt_on)
        st = agree_io(m, st);
    m->stats->chunks_done = m->saved.next + j0 + wave;
    if (st == PIE_OK && m->ctx->progress)
        m->ctx->progress(m->ctx->progress_user, m->stats->chunks_done, m->task->nchunks);
    return st;
}

/* Run every wave, then merge the saved chunks after the last remaining one. */
static pie_status run_waves(mpi_run *m)
{
    pie_status st = PIE_OK;
    uint64_t remaining = m->task->nchunks - m->saved.n;
    uint64_t per = (uint64_t)m->size * (m->workers ? m->workers : 1);
    for (uint64_t j0 = 0, wave = per * FIRST_WAVE_PER_WORKER; st == PIE_OK && j0 < remaining;
         j0 += wave, wave = per * WAVE_PER_WORKER) {
        wave = remaining - j0 < wave ? remaining - j0 : wave;
        st = run_wave(m, j0, wave);
    }
    if (st == PIE_OK && m->ckpt_on) {
        uint64_t before = m->saved.next;
        st = merge_saved(m, UINT64_MAX);
        m->stats->chunks_done = m->task->nchunks;
        m->stats->chunks_resumed = m->saved.n;
        if (st == PIE_OK && m->ctx->progress && before < m->saved.n)
            m->ctx->progress(m->ctx->progress_user, m->task->nchunks, m->task->nchunks);
    }
    return st;
}

PIE__BACKEND_FN(pie__backend_mpi);
PIE__BACKEND_FN(pie__backend_mpi)
{
    pie_status st = pie__mpi_ensure(ctx);
    if (st != PIE_OK)
        return st;
    mpi_run m = {.ctx = ctx,
                 .task = task,
                 .workers = workers,
                 .stats = stats,
                 .ckpt_on = ctx->checkpoint_dir[0] != '\0',
                 .log = {.fd = -1}};
    int rc = MPI_Comm_dup(MPI_COMM_WORLD, &m.comm);
    if (rc != MPI_SUCCESS)
        return pie__mpi_fail(ctx, rc, "MPI_Comm_dup");
    MPI_Comm_rank(m.comm, &m.rank);
    MPI_Comm_size(m.comm, &m.size);
    if (m.ckpt_on)
        st = share_checkpoint(&m);
    m.shares = calloc((size_t)m.size, sizeof *m.shares);
    m.rate = calloc((size_t)m.size, sizeof *m.rate);
    if (!all_agree(m.shares && m.rate, m.comm) && st == PIE_OK)
        st = pie__fail(ctx, PIE_ENOMEM, "MPI: out of memory on some rank");
    const char *sched = m.rank == 0 ? getenv("PIE_MPI_SCHEDULE") : NULL;
    m.adaptive = !(sched && strcmp(sched, "static") == 0);
    stats->workers = 0;
    if (st == PIE_OK)
        st = run_waves(&m);
    free(m.shares);
    free(m.rate);
    /* Rank 0 alone holds the log: a file it cannot remove is not a failure,
     * or its status would differ from the other ranks'. */
    pie__ckpt_log_finish(&m.log, st == PIE_OK, ctx->checkpoint_dir);
    stats->workers = (stats->workers ? stats->workers : 1) * (unsigned)m.size;
    pie__ckpt_saved_free(&m.saved);
    MPI_Comm_free(&m.comm);
    return st;
}

#else /* !PIE_HAVE_MPI */

PIE__BACKEND_FN(pie__backend_mpi);
PIE__BACKEND_FN(pie__backend_mpi)
{
    (void)task;
    (void)workers;
    (void)stats;
    return pie__fail(ctx, PIE_EUNSUPPORTED, "the mpi backend is not in this build");
}

#endif
