/** @brief Process backend internals: one run's state and the calls its files share. */
#ifndef PIE_PROCESS_BACKEND_H
#define PIE_PROCESS_BACKEND_H

#include "engine.h"
#include "fault_hooks.h"
#include "wire.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * backend_process.c  the entry point and the poll loop: feed, read, merge
 * process_spawn.c    fork a worker, replace it, reap it, shut all down
 * process_worker.c   what a worker runs after the fork
 * process_queue.c    which chunk goes next; failures counted, chunks requeued
 * process_session.c  workers kept across the tasks of a run, a shared arena
 */

/* Chunks outstanding per worker, so that a worker never waits for the next
 * id (but a lone worker of a task with heavy merges: backend_process.c). */
#define PIE_PROC_DEPTH 2

/* Exit codes a worker uses to tell the parent why it stopped (the reaper
 * turns them back into words). */
enum { PIE_PROC_EXIT_PROTOCOL = 70, PIE_PROC_EXIT_SEND = 71, PIE_PROC_EXIT_NOMEM = 72 };

typedef struct worker {
    pid_t pid; /* 0: no process in this slot */
    int to_fd;
    int from_fd;
    uint64_t inflight[PIE_PROC_DEPTH]; /* FIFO; inflight[0] is the chunk being computed */
    int ninflight;
    double head_since; /* when inflight[0] became the worker's current chunk (s->vclock) */
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
    /* The chunk timeout's clock: monotonic time minus the gaps in which the
     * parent itself did not run (a stopped job, see backend_process.c). */
    double vclock, last_tick;
} pstate;

/* backend_process.c: one task on s's workers (those missing forked);
 * keep: leave them running after a success (a session). */
pie_status pie__proc_run(pstate *s, int keep);

/* process_session.c: the task on the session's workers. */
pie_status pie__proc_session_run(pie_ctx *ctx, const pie__task *task, unsigned workers,
                                 pie__run_stats *stats);

/* process_spawn.c */
/* Fork worker k with its pipes; fails only with PIE_ESYSTEM (message on the context). */
pie_status pie__proc_spawn(pstate *s, unsigned k);
pie_status pie__proc_respawn(pstate *s, unsigned k);
/* Returns the worker's exit code if it exited by itself, else -1. */
int pie__proc_reap(pstate *s, unsigned k, double grace, char *why, size_t whylen);
void pie__proc_shutdown(pstate *s, int force);
/* Close the request pipes: the workers exit on EOF; nobody waits here. */
void pie__proc_release(pstate *s);

/* process_worker.c */
_Noreturn void pie__proc_worker_main(const pstate *s, unsigned slot, int in, int out);

/* process_queue.c */
pie_status pie__proc_next_chunk(pstate *s, uint64_t *c);
int pie__proc_push_retry(pstate *s, uint64_t c);
pie_status pie__proc_chunk_failed(pstate *s, uint64_t c, int k_status);
pie_status pie__proc_lose_worker(pstate *s, unsigned k, const char *cause, double grace);

#endif
