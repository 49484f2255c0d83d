/** @brief Helpers for the fault tests: a toy kernel, child-process accounting, checks. */
#ifndef PIE_TEST_FAULT_UTIL_H
#define PIE_TEST_FAULT_UTIL_H

#include "engine.h"
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int tf_runs;

static inline double tf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Make this process the reaper of every orphan below it, so that a worker
 * that outlived its parent shows up here and "no process left behind" can be
 * checked with waitpid(-1). */
static inline void tf_become_subreaper(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("prctl(PR_SET_CHILD_SUBREAPER)");
        exit(1);
    }
}

/* The pids of this process's children, alive or zombie (from
 * /proc/self/task/<tid>/children, every thread). Returns how many. */
static inline int tf_children(pid_t *pids, int max)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        long v;
        while (n < max && fscanf(f, "%ld", &v) == 1)
            pids[n++] = (pid_t)v;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Wait up to `seconds` for every descendant to end and reap it; returns how
 * many were still alive at the deadline (they are then killed and reaped).
 * With tf_become_subreaper, a worker that outlived its parent lands here, so
 * 0 means nothing was left behind and nothing stays <defunct>. */
static inline int tf_leftover_children(double seconds)
{
    double deadline = tf_now() + seconds;
    for (;;) {
        int status;
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r > 0)
            continue;
        if (r < 0 && errno == ECHILD)
            return 0;
        if (tf_now() > deadline)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    pid_t pids[256];
    int n = tf_children(pids, 256);
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    while (waitpid(-1, NULL, 0) > 0)
        ;
    return n > 0 ? n : 1;
}

/* No child at all right now (the library reaped its workers before returning). */
static inline int tf_no_children_now(void)
{
    pid_t pids[8];
    return tf_children(pids, 8) == 0;
}

/* ---------------------------------------------------------------------- */
/* A toy kernel: cheap chunks, order-sensitive merge, partials of varying   */
/* length, so a lost, duplicated or reordered chunk changes the result.    */

typedef struct tf_job {
    uint64_t nchunks;
    uint64_t salt;
    unsigned spin; /* busy iterations per chunk, to make chunks take a little time */
} tf_job;

typedef struct tf_acc {
    uint64_t h;
    uint64_t next; /* the chunk the merge expects */
    int bad;
} tf_acc;

static inline uint64_t tf_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static inline int tf_run(const void *job, uint64_t chunk, pie_kbuf *out)
{
    const tf_job *j = job;
    tf_runs++; /* counts only chunks run in this process (serial, thread) */
    if (chunk >= j->nchunks)
        return PIE_K_EINVAL;
    uint64_t v = tf_mix(chunk ^ j->salt);
    for (unsigned i = 0; i < j->spin; i++)
        v = tf_mix(v);
    size_t n = 1 + (size_t)(tf_mix(chunk) % 5);
    for (size_t i = 0; i < n; i++) {
        unsigned char b[8];
        pie_kput_u64(b, v + i);
        if (pie_kbuf_append(out, b, 8) != PIE_K_OK)
            return PIE_K_ENOMEM;
    }
    return PIE_K_OK;
}

static inline int tf_merge(void *acc, const void *job, uint64_t chunk, const unsigned char *p,
                           size_t len)
{
    (void)job;
    tf_acc *a = acc;
    if (chunk != a->next || len == 0 || len % 8 != 0) {
        a->bad = 1;
        return PIE_K_ECORRUPT;
    }
    a->next++;
    for (size_t i = 0; i < len; i += 8)
        a->h = tf_mix(a->h * 31 + pie_kget_u64(p + i));
    return PIE_K_OK;
}

static inline uint64_t tf_max(const void *job, uint64_t chunk)
{
    (void)job;
    (void)chunk;
    return 40;
}

static const pie_kernel_ops tf_ops = {"toy", tf_run, tf_merge, tf_max};

/* Run the toy job on ctx; *acc receives the result. */
static inline pie_status tf_run_job(pie_ctx *ctx, const tf_job *job, tf_acc *acc,
                                    pie__run_stats *stats)
{
    char fp[64];
    snprintf(fp, sizeof fp, "toy %llu %llu", (unsigned long long)job->nchunks,
             (unsigned long long)job->salt);
    *acc = (tf_acc){0, 0, 0};
    pie__task task = {.ops = &tf_ops, .job = job, .acc = acc, .nchunks = job->nchunks};
    task.fingerprint = fp;
    pie__clear_error(ctx);
    return pie__run_task(ctx, &task, stats);
}

/* The reference: the toy job merged serially in this process. */
static inline uint64_t tf_reference(const tf_job *job)
{
    tf_acc acc = {0, 0, 0};
    for (uint64_t c = 0; c < job->nchunks; c++) {
        pie_kbuf b = {0};
        tf_run(job, c, &b);
        tf_merge(&acc, job, c, b.data, b.len);
        pie_kbuf_free(&b);
    }
    return acc.h;
}

#endif
