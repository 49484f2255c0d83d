/** @brief Process backend, chunk queue: next chunk, retries first, failures counted per chunk. */
#include "process_backend.h"

#include <stdlib.h>

/* A chunk that fails this many times ends the run. */
#define MAX_ATTEMPTS 3

pie_status pie__proc_next_chunk(pstate *s, uint64_t *c)
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

int pie__proc_push_retry(pstate *s, uint64_t c)
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

/* A worker reported that the kernel failed on chunk c with k_status: run it
 * again, unless that was its last attempt. */
pie_status pie__proc_chunk_failed(pstate *s, uint64_t c, int k_status)
{
    unsigned n = note_failure(s, c);
    if (n == 0 || n >= MAX_ATTEMPTS)
        return pie__fail(s->ctx, n ? pie__from_kernel(k_status) : PIE_ENOMEM,
                         "chunk %llu failed %u times: %s", pie__chunk_id(s->task, c), n,
                         pie_strerror(pie__from_kernel(k_status)));
    s->stats->retries++;
    return pie__proc_push_retry(s, c) == 0 ? PIE_OK : PIE_ENOMEM;
}

/* A worker is lost: `cause` says why. Requeue its chunks and replace it.
 * `grace`: how long it may take to end by itself (see pie__proc_reap). */
pie_status pie__proc_lose_worker(pstate *s, unsigned k, const char *cause, double grace)
{
    worker *w = &s->w[k];
    char why[128] = "";
    pid_t pid = w->pid;
    int code = pie__proc_reap(s, k, grace, why, sizeof why);
    for (int i = 0; i < w->ninflight; i++) {
        uint64_t c = w->inflight[i];
        if (i == 0) { /* only the chunk it was computing counts as failed */
            unsigned n = note_failure(s, c);
            if (n == 0)
                return pie__fail(s->ctx, PIE_ENOMEM, "out of memory while recovering a worker");
            /* A chunk that ran out of memory every time does not fit: that
             * is PIE_ENOMEM, not a faulty worker. */
            if (n >= MAX_ATTEMPTS)
                return pie__fail(s->ctx, code == PIE_PROC_EXIT_NOMEM ? PIE_ENOMEM : PIE_EWORKER,
                                 "chunk %llu failed %u times; last: worker %u (pid %ld) %s%s%s",
                                 pie__chunk_id(s->task, c), n, k, (long)pid, cause,
                                 why[0] ? ", " : "", why);
        }
        if (pie__proc_push_retry(s, c) != 0)
            return pie__fail(s->ctx, PIE_ENOMEM, "out of memory while recovering a worker");
        s->stats->retries++;
    }
    w->ninflight = 0;
    return pie__proc_respawn(s, k);
}
