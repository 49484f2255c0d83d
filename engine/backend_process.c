/** @brief Process backend: forked workers, framed pipes, poll(), lost chunks run again. */
#include "engine.h"
#include "fault_hooks.h"
#include "process_backend.h"
#include "sysio.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <gmp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The parent hands chunk ids to each worker over its own pipe (at most DEPTH
 * outstanding, so a worker never waits for the next id), reads framed
 * partials back through a non-blocking pipe under poll(), and merges them in
 * chunk order. A worker that dies, sends a frame that fails its checks, or
 * (with a chunk timeout) makes no progress is killed, reaped and replaced;
 * its chunks go back to the front of the queue. Because a chunk is a pure
 * function of (job, chunk id), the re-run gives the same bytes. A chunk that
 * fails MAX_ATTEMPTS times ends the run.
 *
 * Workers are reaped by pid, never with waitpid(-1): the host program may
 * have children of its own.
 */

#define DEPTH 2
#define MAX_ATTEMPTS 3
#define POLL_MS 50
/* How long a worker whose pipe closed may take to exit by itself. */
#define EXIT_GRACE 0.2

typedef struct worker {
    pid_t pid; /* 0: no process in this slot */
    int to_fd;
    int from_fd;
    uint64_t inflight[DEPTH]; /* FIFO; inflight[0] is the chunk being computed */
    int ninflight;
    double head_since; /* when inflight[0] became the worker's current chunk */
    pie__frame_reader rd;
} worker;

typedef struct failure {
    uint64_t chunk;
    unsigned count;
} failure;

typedef struct pstate {
    pie_ctx *ctx;
    const pie__task *task;
    worker *w;
    unsigned nw;
    pid_t parent;
    uint64_t next_fresh;
    uint64_t *retry; /* chunks to run again, served before fresh ones */
    size_t nretry, cap_retry;
    failure *fail;
    size_t nfail, cap_fail;
    pie__reorder r;
    pie__run_stats *stats;
    pie__faults *faults; /* test builds' PIE_FAULT; NULL otherwise */
} pstate;

/* ---------------------------------------------------------------------- */
/* Worker side                                                              */

static uint64_t request_bound(void *user, uint16_t type, uint64_t chunk)
{
    (void)user;
    (void)type;
    (void)chunk;
    return 0; /* chunk requests carry no payload */
}

/* GMP aborts the whole process when an allocation fails. In a worker that
 * would still only kill the worker, but through abort() and a core dump, with
 * GMP's message on stderr; these hooks make it a quiet _exit with a code the
 * parent names ("ran out of memory"), and the chunk runs again elsewhere.
 * Only workers install them: the parent's GMP behaviour is the host's. */
static void *worker_gmp_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        _exit(PIE_PROC_EXIT_NOMEM);
    return p;
}

static void *worker_gmp_realloc(void *old, size_t old_size, size_t n)
{
    (void)old_size;
    void *p = realloc(old, n);
    if (!p && n)
        _exit(PIE_PROC_EXIT_NOMEM);
    return p;
}

static void worker_gmp_free(void *p, size_t size)
{
    (void)size;
    free(p);
}

static _Noreturn void worker_main(const pstate *s, unsigned slot, int in, int out)
{
    const pie__task *task = s->task;
    mp_set_memory_functions(worker_gmp_alloc, worker_gmp_realloc, worker_gmp_free);
    pie__frame_reader rd = {0};
    pie_kbuf part = {0};
    uint64_t nth = 0;
    for (;;) {
        int rc = in >= 0 ? pie__frame_read(in, &rd, request_bound, NULL) : PIE_WIRE_IO;
        if (rc == PIE_WIRE_EOF)
            _exit(0); /* the parent closed our pipe: the run is over */
        if (in < 0)   /* fault injection closed it: stay, so the parent's write fails */
            for (;;)
                pause();
        if (rc != PIE_WIRE_OK || rd.h.type != PIE_FRAME_CHUNK)
            _exit(PIE_PROC_EXIT_PROTOCOL);
        uint64_t c = rd.h.chunk;
        pie__frame_reader_reset(&rd);
        nth++;
        pie__fault_in_worker(s->faults, task, slot, c, nth, &in, out);
        part.len = 0;
        int k = task->ops->run_chunk(task->job, c, &part);
        int sent;
        if (k == PIE_K_OK) {
            sent = pie__wire_send(out, PIE_FRAME_PARTIAL, c, part.data, part.len);
        } else {
            unsigned char st[4] = {(unsigned char)k, 0, 0, 0};
            sent = pie__wire_send(out, PIE_FRAME_FAILED, c, st, sizeof st);
        }
        if (sent != 0)
            _exit(PIE_PROC_EXIT_SEND);
    }
}

/* ---------------------------------------------------------------------- */
/* Parent side                                                              */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static pie_status spawn(pstate *s, unsigned k)
{
    worker *w = &s->w[k];
    int req[2], res[2];
    if (pipe2(req, O_CLOEXEC) != 0)
        return pie__fail(s->ctx, PIE_ESYSTEM, "pipe: %s", strerror(errno));
    if (pipe2(res, O_CLOEXEC) != 0) {
        int e = errno;
        close(req[0]);
        close(req[1]);
        return pie__fail(s->ctx, PIE_ESYSTEM, "pipe: %s", strerror(e));
    }
    /* Block every signal across fork so that no handler of the host program
     * runs in the child before the child has reset the dispositions. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* A test build's "forkfail" makes the fork fail here (errno EAGAIN). */
    pid_t pid = pie__fault_before_fork(s->faults) == 0 ? fork() : -1;
    if (pid == 0) {
        /* Child. Handlers inherited from the host would run host code here:
         * restore the defaults. SIGINT is ignored: on Ctrl-C the parent
         * decides (it cancels, kills and reaps us), so a terminal's SIGINT to
         * the whole process group cannot race with that. */
        for (int sig = 1; sig < NSIG; sig++) {
            struct sigaction sa;
            if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN &&
                sa.sa_handler != SIG_DFL) {
                sa.sa_handler = SIG_DFL;
                sa.sa_flags = 0;
                sigaction(sig, &sa, NULL);
            }
        }
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
        /* Die with the parent; the getppid() check closes the race where the
         * parent died before prctl took effect. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != s->parent)
            _exit(0);
        /* Other workers' pipe ends would keep their pipes open (no EOF for the
         * parent when that worker dies): close them. */
        for (unsigned j = 0; j < s->nw; j++) {
            if (j == k)
                continue;
            if (s->w[j].to_fd >= 0)
                close(s->w[j].to_fd);
            if (s->w[j].from_fd >= 0)
                close(s->w[j].from_fd);
        }
        close(req[1]);
        close(res[0]);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        worker_main(s, k, req[0], res[1]);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(req[0]);
    close(res[1]);
    if (pid < 0) {
        close(req[1]);
        close(res[0]);
        return pie__fail(s->ctx, PIE_ESYSTEM, "fork: %s", strerror(fork_errno));
    }
    pie__set_nonblock(res[0], 1);
    w->pid = pid;
    w->to_fd = req[1];
    w->from_fd = res[0];
    w->ninflight = 0;
    pie__frame_reader_reset(&w->rd);
    return PIE_OK;
}

/* Spawn worker k; a failed fork or pipe (EAGAIN under a process limit,
 * EMFILE) is not fatal while another worker lives: the run carries on with
 * fewer workers and the slot stays empty. */
static pie_status respawn(pstate *s, unsigned k)
{
    pie_status st = spawn(s, k);
    if (st != PIE_ESYSTEM)
        return st;
    for (unsigned j = 0; j < s->nw; j++) {
        if (s->w[j].pid > 0) {
            pie__clear_error(s->ctx);
            return PIE_OK;
        }
    }
    char why[256];
    snprintf(why, sizeof why, "%s", pie_ctx_last_error(s->ctx));
    return pie__fail(s->ctx, st, "no worker left to run the job: %s", why);
}

static void account_rusage(pstate *s, const struct rusage *ru)
{
    /* ru_maxrss is in KiB on Linux. */
    s->stats->worker_peak_rss_bytes += (uint64_t)ru->ru_maxrss * 1024u;
}

static const char *exit_meaning(int code)
{
    switch (code) {
    case PIE_PROC_EXIT_PROTOCOL:
        return " (bad request from the parent)";
    case PIE_PROC_EXIT_SEND:
        return " (could not send its result)";
    case PIE_PROC_EXIT_NOMEM:
        return " (ran out of memory)";
    default:
        return "";
    }
}

static void describe_status(int status, char *why, size_t whylen)
{
    if (WIFSIGNALED(status))
        snprintf(why, whylen, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(why, whylen, "exited with code %d%s", WEXITSTATUS(status),
                 exit_meaning(WEXITSTATUS(status)));
}

/* Reap worker k. A worker that has not ended yet gets `grace` seconds to do
 * so (a closed pipe usually means it is exiting: its status says why), then
 * SIGKILL. `why` (if not NULL) receives how it ended, or "" if we killed it. */
static void reap(pstate *s, unsigned k, double grace, char *why, size_t whylen)
{
    worker *w = &s->w[k];
    close_fd(&w->to_fd);
    close_fd(&w->from_fd);
    if (why && whylen)
        why[0] = '\0';
    if (w->pid <= 0)
        return;
    int status = 0, killed = 0;
    struct rusage ru;
    double deadline = pie__now() + grace;
    pid_t r;
    for (;;) {
        r = wait4(w->pid, &status, killed ? 0 : WNOHANG, &ru);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 0)
            break; /* reaped, or an error (not our child any more) */
        if (pie__now() >= deadline) {
            kill(w->pid, SIGKILL);
            killed = 1;
        } else {
            struct timespec ts = {0, 2000000}; /* 2 ms; ends as soon as the child does */
            nanosleep(&ts, NULL);
        }
    }
    if (r == w->pid) {
        account_rusage(s, &ru);
        if (why && !killed)
            describe_status(status, why, whylen);
    }
    w->pid = 0;
}

static pie_status next_chunk(pstate *s, uint64_t *c)
{
    if (s->nretry) {
        /* Serve the lowest retried chunk first: it holds up the ordered merge. */
        size_t best = 0;
        for (size_t i = 1; i < s->nretry; i++)
            if (s->retry[i] < s->retry[best])
                best = i;
        *c = s->retry[best];
        s->retry[best] = s->retry[--s->nretry];
        return PIE_OK;
    }
    if (s->next_fresh < s->task->nchunks) {
        *c = s->next_fresh++;
        return PIE_OK;
    }
    return PIE_EINVAL; /* nothing left to hand out */
}

static int push_retry(pstate *s, uint64_t c)
{
    if (s->nretry == s->cap_retry) {
        size_t cap = s->cap_retry ? 2 * s->cap_retry : 16;
        uint64_t *p = realloc(s->retry, cap * sizeof *p);
        if (!p)
            return -1;
        s->retry = p;
        s->cap_retry = cap;
    }
    s->retry[s->nretry++] = c;
    return 0;
}

/* Count one more failure of chunk c; returns the new count (0 on ENOMEM). */
static unsigned note_failure(pstate *s, uint64_t c)
{
    for (size_t i = 0; i < s->nfail; i++)
        if (s->fail[i].chunk == c)
            return ++s->fail[i].count;
    if (s->nfail == s->cap_fail) {
        size_t cap = s->cap_fail ? 2 * s->cap_fail : 16;
        failure *p = realloc(s->fail, cap * sizeof *p);
        if (!p)
            return 0;
        s->fail = p;
        s->cap_fail = cap;
    }
    s->fail[s->nfail++] = (failure){c, 1};
    return 1;
}

/* A worker is lost: `cause` says why. Requeue its chunks and replace it.
 * `grace`: how long it may take to end by itself (see reap). */
static pie_status lose_worker(pstate *s, unsigned k, const char *cause, double grace)
{
    worker *w = &s->w[k];
    char why[128] = "";
    pid_t pid = w->pid;
    reap(s, k, grace, why, sizeof why);
    for (int i = 0; i < w->ninflight; i++) {
        uint64_t c = w->inflight[i];
        if (i == 0) { /* only the chunk it was computing counts as failed */
            unsigned n = note_failure(s, c);
            if (n == 0)
                return pie__fail(s->ctx, PIE_ENOMEM, "out of memory while recovering a worker");
            if (n >= MAX_ATTEMPTS)
                return pie__fail(s->ctx, PIE_EWORKER,
                                 "chunk %llu failed %u times; last: worker %u (pid %ld) %s%s%s",
                                 pie__chunk_id(s->task, c), n, k, (long)pid, cause,
                                 why[0] ? ", " : "", why);
        }
        if (push_retry(s, c) != 0)
            return pie__fail(s->ctx, PIE_ENOMEM, "out of memory while recovering a worker");
        s->stats->retries++;
    }
    w->ninflight = 0;
    return respawn(s, k);
}

static pie_status service(pstate *s, unsigned k);

/* Keep worker k supplied with up to `depth` (at most DEPTH) chunks. */
static pie_status feed(pstate *s, unsigned k, int depth)
{
    worker *w = &s->w[k];
    while (w->pid > 0 && w->ninflight < depth) {
        uint64_t c;
        if (next_chunk(s, &c) != PIE_OK)
            return PIE_OK;
        if (pie__wire_send(w->to_fd, PIE_FRAME_CHUNK, c, NULL, 0) != 0) {
            /* The worker is gone (EPIPE): give the chunk back (it counts as
             * a retry: it goes to another worker), then replace the worker. */
            if (push_retry(s, c) != 0)
                return pie__fail(s->ctx, PIE_ENOMEM, "out of memory");
            s->stats->retries++;
            /* What it sent before it went (a truncated frame, then its exit
             * status) says more than EPIPE does: read that first. */
            pid_t pid = w->pid;
            pie_status st = service(s, k);
            if (st == PIE_OK && w->pid == pid)
                st = lose_worker(s, k, "stopped reading its requests (EPIPE)", EXIT_GRACE);
            if (st != PIE_OK)
                return st;
            continue;
        }
        if (w->ninflight == 0)
            w->head_since = pie__now();
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
        return lose_worker(s, k, "sent a frame for a chunk it was not given", 0.0);
    }
    memmove(w->inflight, w->inflight + 1, (size_t)(w->ninflight - 1) * sizeof w->inflight[0]);
    w->ninflight--;
    w->head_since = pie__now();
    if (h.type == PIE_FRAME_FAILED) {
        int k_status = w->rd.payload.len == 4 ? w->rd.payload.data[0] : PIE_K_ECORRUPT;
        pie__frame_reader_reset(&w->rd);
        unsigned n = note_failure(s, h.chunk);
        if (n == 0 || n >= MAX_ATTEMPTS)
            return pie__fail(s->ctx, n ? pie__from_kernel(k_status) : PIE_ENOMEM,
                             "chunk %llu failed %u times: %s", pie__chunk_id(s->task, h.chunk), n,
                             pie_strerror(pie__from_kernel(k_status)));
        s->stats->retries++;
        return push_retry(s, h.chunk) == 0 ? PIE_OK : PIE_ENOMEM;
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
        return lose_worker(s, k, cause, ending ? EXIT_GRACE : 0.0);
    }
}

static pie_status check_hung(pstate *s, double now)
{
    if (s->ctx->chunk_timeout <= 0)
        return PIE_OK;
    for (unsigned k = 0; k < s->nw; k++) {
        worker *w = &s->w[k];
        if (w->pid > 0 && w->ninflight > 0 && now - w->head_since > s->ctx->chunk_timeout) {
            char cause[96];
            snprintf(cause, sizeof cause, "made no progress for %.3g s", s->ctx->chunk_timeout);
            pie_status st = lose_worker(s, k, cause, 0.0);
            if (st != PIE_OK)
                return st;
        }
    }
    return PIE_OK;
}

static pie_status run_loop(pstate *s, struct pollfd *pfd)
{
    while (s->r.next < s->task->nchunks) {
        if (pie__cancelled(s->ctx))
            return pie__fail(s->ctx, PIE_ECANCELED, "cancelled after %llu of %llu chunks",
                             (unsigned long long)s->r.next, (unsigned long long)s->task->nchunks);
        /* Every worker gets its first chunk before any gets a second: with
         * as many chunks as workers, filling worker 0 to DEPTH first would
         * leave a worker idle and double the run time. */
        for (int depth = 1; depth <= DEPTH; depth++) {
            for (unsigned k = 0; k < s->nw; k++) {
                pie_status st = feed(s, k, depth);
                if (st != PIE_OK)
                    return st;
            }
        }
        for (unsigned k = 0; k < s->nw; k++) {
            pfd[k].fd = s->w[k].pid > 0 ? s->w[k].from_fd : -1;
            pfd[k].events = POLLIN;
            pfd[k].revents = 0;
        }
        int n = poll(pfd, s->nw, POLL_MS);
        if (n < 0 && errno != EINTR)
            return pie__fail(s->ctx, PIE_ESYSTEM, "poll: %s", strerror(errno));
        for (unsigned k = 0; n > 0 && k < s->nw; k++) {
            if (pfd[k].revents) {
                pie_status st = service(s, k);
                if (st != PIE_OK)
                    return st;
            }
        }
        pie_status st = check_hung(s, pie__now());
        if (st != PIE_OK)
            return st;
    }
    return PIE_OK;
}

/* Orderly shutdown: close the request pipes (workers exit on EOF), give them
 * a moment, then kill whatever is left, and reap everyone. */
static void shutdown_workers(pstate *s, int force)
{
    for (unsigned k = 0; k < s->nw; k++)
        close_fd(&s->w[k].to_fd);
    if (!force) {
        double deadline = pie__now() + 1.0;
        for (unsigned k = 0; k < s->nw; k++) {
            worker *w = &s->w[k];
            while (w->pid > 0) {
                int status;
                struct rusage ru;
                pid_t r = wait4(w->pid, &status, WNOHANG, &ru);
                if (r == w->pid) {
                    account_rusage(s, &ru);
                    w->pid = 0;
                } else if (r < 0 && errno != EINTR) {
                    w->pid = 0;
                } else if (pie__now() > deadline) {
                    break;
                } else {
                    struct timespec ts = {0, 1000000};
                    nanosleep(&ts, NULL);
                }
            }
        }
    }
    for (unsigned k = 0; k < s->nw; k++) {
        reap(s, k, 0.0, NULL, 0);
        pie__frame_reader_free(&s->w[k].rd);
    }
}

pie_status pie__backend_process(pie_ctx *ctx, const pie__task *task, unsigned workers,
                                pie__run_stats *stats)
{
    pstate s = {.ctx = ctx, .task = task, .nw = workers, .parent = getpid(), .stats = stats};
    s.w = calloc(workers, sizeof *s.w);
    struct pollfd *pfd = calloc(workers, sizeof *pfd);
    if (!s.w || !pfd) {
        free(s.w);
        free(pfd);
        return pie__fail(ctx, PIE_ENOMEM, "out of memory for %u workers", workers);
    }
    for (unsigned k = 0; k < workers; k++)
        s.w[k].to_fd = s.w[k].from_fd = -1;
    /* Test builds only: PIE_FAULT, parsed before any fork (fault_hooks.h). */
    pie_status st = pie__fault_setup(ctx, &s.faults);
    if (st != PIE_OK) {
        free(s.w);
        free(pfd);
        return st;
    }
    pie__reorder_init(&s.r, task);

    /* Start every worker; the run needs at least one (see respawn). */
    pie_status fork_failed = PIE_OK;
    unsigned alive = 0;
    for (unsigned k = 0; k < workers && st == PIE_OK; k++) {
        pie_status e = spawn(&s, k);
        if (e == PIE_OK)
            alive++;
        else if (e == PIE_ESYSTEM)
            fork_failed = e;
        else
            st = e;
    }
    if (st == PIE_OK && alive == 0)
        st = fork_failed; /* its message is on the context */
    else if (st == PIE_OK && fork_failed != PIE_OK)
        pie__clear_error(ctx);
    if (st == PIE_OK)
        st = run_loop(&s, pfd);
    shutdown_workers(&s, st != PIE_OK);

    stats->chunks_done = s.r.next;
    pie__reorder_free(&s.r);
    pie__fault_teardown(s.faults);
    free(s.retry);
    free(s.fail);
    free(s.w);
    free(pfd);
    return st;
}
