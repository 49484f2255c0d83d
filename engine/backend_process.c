/** @brief Process backend: forked workers, framed pipes, poll(), lost chunks run again. */
#include "placement.h"
#include "process_backend.h"
#include "wire.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The parent hands chunk ids to each worker over its own pipe (at most
 * PIE_PROC_DEPTH outstanding, so a worker never waits for the next id), reads framed
 * partials back through a non-blocking pipe under poll(), and merges them in
 * chunk order. A worker that dies, sends a frame that fails its checks, or
 * (with a chunk timeout) makes no progress is killed, reaped and replaced;
 * its chunks go back to the front of the queue. Because a chunk is a pure
 * function of (job, chunk id), the re-run gives the same bytes. A chunk that
 * fails 3 times ends the run (process_queue.c).
 *
 * The parent also polls each request pipe's write end: a worker that closed
 * its end of it (it stopped reading, whether or not it is still alive)
 * shows POLLERR there at once, so it is lost even when the parent has no
 * request left to send it (no EPIPE would ever tell), and no timeout is
 * needed to notice it.
 */

#define POLL_MS 50
/* How long a worker whose pipe closed may take to exit by itself. */
#define EXIT_GRACE 0.2
/* A loop iteration (poll, reads, merges) longer than its poll timeout plus
 * this means the parent did not run meanwhile: see tick(). */
#define GAP_SLACK 0.25

static pie_status service(pstate *s, unsigned k);

/* Keep worker k supplied with up to `depth` (at most PIE_PROC_DEPTH) chunks. */
static pie_status feed(pstate *s, unsigned k, int depth)
{
    worker *w = &s->w[k];
    while (w->pid > 0 && w->ninflight < depth) {
        uint64_t c;
        if (pie__proc_next_chunk(s, &c) != PIE_OK)
            return PIE_OK;
        if (pie__wire_send(w->to_fd, PIE_FRAME_CHUNK, c, NULL, 0) != 0) {
            /* The worker is gone (EPIPE): give the chunk back (it counts as
             * a retry: it goes to another worker), then replace the worker. */
            if (pie__proc_push_retry(s, c) != 0)
                return pie__fail(s->ctx, PIE_ENOMEM, "out of memory");
            s->stats->retries++;
            /* What it sent before it went (a truncated frame, then its exit
             * status) says more than EPIPE does: read that first. */
            pid_t pid = w->pid;
            pie_status st = service(s, k);
            if (st == PIE_OK && w->pid == pid)
                st =
                    pie__proc_lose_worker(s, k, "stopped reading its requests (EPIPE)", EXIT_GRACE);
            if (st != PIE_OK)
                return st;
            continue;
        }
        if (w->ninflight == 0)
            w->head_since = s->vclock;
        w->inflight[w->ninflight++] = c;
    }
    return PIE_OK;
}

static uint64_t partial_bound(void *user, uint16_t type, uint64_t chunk)
{
    pstate *s = user;
    if (type == PIE_FRAME_FAILED)
        return 4;
    if (type != PIE_FRAME_PARTIAL || chunk >= s->task->nchunks)
        return 0;
    return s->task->ops->max_partial(s->task->job, chunk);
}

/* Handle one complete frame from worker k. */
static pie_status on_frame(pstate *s, unsigned k)
{
    worker *w = &s->w[k];
    pie__frame_hdr h = w->rd.h;
    if (w->ninflight == 0 || h.chunk != w->inflight[0] ||
        (h.type != PIE_FRAME_PARTIAL && h.type != PIE_FRAME_FAILED)) {
        pie__frame_reader_reset(&w->rd);
        return pie__proc_lose_worker(s, k, "sent a frame for a chunk it was not given", 0.0);
    }
    memmove(w->inflight, w->inflight + 1, (size_t)(w->ninflight - 1) * sizeof w->inflight[0]);
    w->ninflight--;
    w->head_since = s->vclock;
    if (h.type == PIE_FRAME_FAILED) {
        int k_status = w->rd.payload.len == 4 ? w->rd.payload.data[0] : PIE_K_ECORRUPT;
        pie__frame_reader_reset(&w->rd);
        return pie__proc_chunk_failed(s, h.chunk, k_status);
    }
    pie_kbuf partial = w->rd.payload; /* take the buffer; the reader gets a fresh one */
    w->rd.payload = (pie_kbuf){0};
    pie__frame_reader_reset(&w->rd);
    uint64_t before = s->r.next;
    pie_status st = pie__reorder_put(&s->r, h.chunk, &partial);
    if (st != PIE_OK) {
        /* The chunk that failed is the one the merge stopped at (this frame
         * may have released a run of pending ones), unless this frame was a
         * duplicate of a merged chunk. */
        uint64_t bad = h.chunk < before ? h.chunk : s->r.next;
        return pie__fail(s->ctx, st, "merging chunk %llu failed: %s", pie__chunk_id(s->task, bad),
                         pie_strerror(st));
    }
    s->stats->chunks_done = s->r.next;
    if (s->ctx->progress)
        s->ctx->progress(s->ctx->progress_user, s->r.next, s->task->nchunks);
    return PIE_OK;
}

/* Drain whatever worker k has sent. */
static pie_status service(pstate *s, unsigned k)
{
    for (;;) {
        worker *w = &s->w[k];
        if (w->pid <= 0)
            return PIE_OK;
        int rc = pie__frame_read(w->from_fd, &w->rd, partial_bound, s);
        if (rc == PIE_WIRE_AGAIN)
            return PIE_OK;
        if (rc == PIE_WIRE_OK) {
            pie_status st = on_frame(s, k);
            if (st != PIE_OK)
                return st;
            continue;
        }
        if (rc == PIE_WIRE_NOMEM)
            return pie__fail(s->ctx, PIE_ENOMEM, "out of memory receiving a partial");
        char cause[96];
        if (rc == PIE_WIRE_EOF)
            snprintf(cause, sizeof cause, "closed its pipe");
        else
            snprintf(cause, sizeof cause, "sent a bad frame (%s)", pie__wire_result_name(rc));
        pie__frame_reader_reset(&w->rd);
        /* EOF (clean or mid-frame) means the worker is ending: let its exit
         * status say why. A bad frame means it is confused: kill it now. */
        int ending = rc == PIE_WIRE_EOF || rc == PIE_WIRE_TRUNCATED || rc == PIE_WIRE_IO;
        return pie__proc_lose_worker(s, k, cause, ending ? EXIT_GRACE : 0.0);
    }
}

/* Advance the chunk timeout's clock. A job stopped by Ctrl-Z (SIGTSTP to
 * the process group; SIGCONT on `fg`) stops its workers and this process
 * alike: that time is nobody's fault and must not count. The parent cannot
 * see a stop, but it sees its effect: one iteration of the loop took far
 * longer than its poll timeout. Such an iteration is credited with the poll
 * timeout only. A worker that hangs (busy, blocked or stopped alone) still
 * ages while the parent runs, so it is still found. Long merges in the
 * parent are credited the same way, which only makes the timeout more
 * lenient (a worker may have been blocked writing to the busy parent). */
static void tick(pstate *s)
{
    double now = pie__now(), dt = now - s->last_tick;
    s->last_tick = now;
    if (dt > POLL_MS / 1000.0 + GAP_SLACK)
        dt = POLL_MS / 1000.0;
    if (dt > 0)
        s->vclock += dt;
}

static pie_status check_hung(pstate *s)
{
    if (s->ctx->chunk_timeout <= 0)
        return PIE_OK;
    for (unsigned k = 0; k < s->nw; k++) {
        worker *w = &s->w[k];
        if (w->pid > 0 && w->ninflight > 0 && s->vclock - w->head_since > s->ctx->chunk_timeout) {
            char cause[96];
            snprintf(cause, sizeof cause, "made no progress for %.3g s", s->ctx->chunk_timeout);
            pie_status st = pie__proc_lose_worker(s, k, cause, 0.0);
            if (st != PIE_OK)
                return st;
        }
    }
    return PIE_OK;
}

/* Act on what poll() reported for worker k: its results (pfd[k]) and its
 * request pipe (pfd[nw + k]: POLLERR once the worker closed its end). */
static pie_status on_poll(pstate *s, unsigned k, const struct pollfd *pfd)
{
    pid_t pid = s->w[k].pid;
    if (pfd[k].revents) {
        pie_status st = service(s, k);
        if (st != PIE_OK)
            return st;
    }
    if (!(pfd[s->nw + k].revents & (POLLERR | POLLHUP)) || s->w[k].pid != pid || pid <= 0)
        return PIE_OK;
    /* Read whatever it sent before it stopped reading, as feed() does. */
    pie_status st = service(s, k);
    if (st == PIE_OK && s->w[k].pid == pid)
        st = pie__proc_lose_worker(s, k, "stopped reading its requests (closed its request pipe)",
                                   0.0);
    return st;
}

static pie_status feed_all(pstate *s)
{
    /* Every worker gets its first chunk before any gets a second: with
     * as many chunks as workers, filling worker 0 to PIE_PROC_DEPTH first would
     * leave a worker idle and double the run time. A lone worker of a task
     * with heavy merges gets one chunk at a time: its next one is sent after
     * this process has merged the last, so the two never compute at once and
     * a run of one worker uses one CPU, as on the serial and thread backends. */
    const int max_depth = s->nw == 1 && s->task->heavy_merge ? 1 : PIE_PROC_DEPTH;
    for (int depth = 1; depth <= max_depth; depth++) {
        for (unsigned k = 0; k < s->nw; k++) {
            pie_status st = feed(s, k, depth);
            if (st != PIE_OK)
                return st;
        }
    }
    return PIE_OK;
}

/* pfd: 2 * nw entries, results pipes then request pipes. */
static pie_status run_loop(pstate *s, struct pollfd *pfd)
{
    s->last_tick = pie__now();
    while (s->r.next < s->task->nchunks) {
        if (pie__cancelled(s->ctx))
            return pie__fail(s->ctx, PIE_ECANCELED, "cancelled after %llu of %llu chunks",
                             (unsigned long long)s->r.next, (unsigned long long)s->task->nchunks);
        pie_status st = feed_all(s);
        if (st != PIE_OK)
            return st;
        for (unsigned k = 0; k < s->nw; k++) {
            int alive = s->w[k].pid > 0;
            pfd[k] = (struct pollfd){.fd = alive ? s->w[k].from_fd : -1, .events = POLLIN};
            /* No events asked: POLLERR (no reader left) is always reported. */
            pfd[s->nw + k] = (struct pollfd){.fd = alive ? s->w[k].to_fd : -1, .events = 0};
        }
        int n = poll(pfd, 2 * (nfds_t)s->nw, POLL_MS);
        if (n < 0 && errno != EINTR)
            return pie__fail(s->ctx, PIE_ESYSTEM, "poll: %s", strerror(errno));
        for (unsigned k = 0; n > 0 && k < s->nw; k++) {
            st = on_poll(s, k, pfd);
            if (st != PIE_OK)
                return st;
        }
        tick(s);
        st = check_hung(s);
        if (st != PIE_OK)
            return st;
    }
    return PIE_OK;
}

pie_status pie__proc_run(pstate *s, int keep)
{
    pie_ctx *ctx = s->ctx;
    const unsigned workers = s->nw;
    struct pollfd *pfd = calloc(2 * (size_t)workers, sizeof *pfd);
    if (!pfd)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory for %u workers", workers);
    s->next_fresh = 0;
    s->vclock = s->last_tick = 0;
    pie__reorder_init(&s->r, s->task);
    /* Start every worker (a session's are running already, but for those
     * lost in a failed task); the run needs at least one (see
     * pie__proc_respawn). */
    pie_status st = PIE_OK;
    unsigned alive = 0;
    for (unsigned k = 0; k < workers; k++) {
        worker *w = &s->w[k];
        w->ninflight = 0;
        pie__frame_reader_reset(&w->rd);
        if (w->pid > 0 || pie__proc_spawn(s, k) == PIE_OK)
            alive++;
    }
    if (alive == 0)
        st = PIE_ESYSTEM; /* the last failure's message is on the context */
    else if (alive < workers)
        pie__forget_error(ctx); /* not a failure: the run goes on with fewer workers */
    s->stats->workers = alive;  /* the count that ran, not the count asked for */
    if (st == PIE_OK)
        st = run_loop(s, pfd);
    if (!keep || st != PIE_OK)
        pie__proc_shutdown(s, st != PIE_OK);
    else /* kept for the next task: where each ran, as shutdown notes it */
        for (unsigned k = 0; k < workers; k++)
            pie__proc_note_cpu(ctx, k, s->w[k].pid);
    s->stats->chunks_done = s->r.next;
    pie__reorder_free(&s->r);
    free(s->retry);
    free(s->fail);
    s->retry = NULL;
    s->fail = NULL;
    s->nretry = s->cap_retry = s->nfail = s->cap_fail = 0;
    free(pfd);
    return st;
}

PIE__BACKEND_FN(pie__backend_process);
PIE__BACKEND_FN(pie__backend_process)
{
    if (ctx->proc_session) /* workers kept from the session's earlier tasks */
        return pie__proc_session_run(ctx, task, workers, stats);
    pstate s = {.ctx = ctx, .task = task, .nw = workers, .parent = getpid(), .stats = stats};
    s.w = calloc(workers, sizeof *s.w);
    if (!s.w)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory for %u workers", workers);
    for (unsigned k = 0; k < workers; k++)
        s.w[k].to_fd = s.w[k].from_fd = -1;
    /* Test builds only: PIE_FAULT, parsed before any fork (fault_hooks.h). */
    pie_status st = pie__fault_setup(ctx, task, workers, &s.faults);
    if (st == PIE_OK)
        st = pie__proc_run(&s, 0);
    pie__fault_teardown(s.faults);
    free(s.w);
    return st;
}
