/** @brief Process backend: one worker's chunks never run while this process merges heavily. */
#include "test_fault_util.h"

/*
 * With one worker, -j 1, a run uses one CPU on every backend: for a task
 * with heavy merges (pie__task.heavy_merge, Chudnovsky's series) the process
 * backend sends the worker its next chunk only once this process has merged
 * the last one. Each chunk records when it ran (CLOCK_MONOTONIC is the same
 * clock in every process), each merge when it ran and it takes 20 ms; one
 * worker's chunk k+1 must start after merge k ended. With two workers, or
 * with cheap merges (the worker kept two chunks ahead), a chunk does run
 * during a merge, which shows the check sees an overlap where there is one.
 */

#define NCHUNKS 8

typedef struct span {
    double start, end;
} span;

typedef struct spans {
    span chunk[NCHUNKS];
    span merge[NCHUNKS];
} spans;

static void spin(double seconds)
{
    double end = tf_now() + seconds;
    while (tf_now() < end) {
    }
}

static void put_f64(unsigned char *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    pie_kput_u64(b, u);
}

static double get_f64(const unsigned char *b)
{
    uint64_t u = pie_kget_u64(b);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int timed_run(const void *job, uint64_t chunk, pie_kbuf *out)
{
    (void)job;
    unsigned char b[16];
    put_f64(b, tf_now());
    spin(0.005);
    put_f64(b + 8, tf_now());
    (void)chunk;
    return pie_kbuf_append(out, b, sizeof b);
}

static int timed_merge(void *acc, const void *job, uint64_t chunk, const unsigned char *p,
                       size_t len)
{
    (void)job;
    spans *s = acc;
    if (len != 16 || chunk >= NCHUNKS)
        return PIE_K_ECORRUPT;
    s->chunk[chunk] = (span){get_f64(p), get_f64(p + 8)};
    s->merge[chunk].start = tf_now();
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    s->merge[chunk].end = tf_now();
    return PIE_K_OK;
}

static uint64_t timed_max(const void *job, uint64_t chunk)
{
    (void)job;
    (void)chunk;
    return 16;
}

static const pie_kernel_ops timed_ops = {"timed", timed_run, timed_merge, timed_max};

/* The chunks that started before the previous chunk's merge ended, or -1. */
static int overlaps(unsigned workers, int heavy)
{
    spans s = {0};
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_PROCESS);
    pie_ctx_set_workers(ctx, workers);
    pie__task task = {.ops = &timed_ops, .acc = &s, .nchunks = NCHUNKS, .heavy_merge = heavy};
    pie__run_stats stats;
    pie_status st = pie__run_task(ctx, &task, &stats);
    CHECKF(st == PIE_OK, "%u workers: %s (%s)", workers, pie_status_name(st),
           pie_ctx_last_error(ctx));
    pie_ctx_free(ctx);
    if (st != PIE_OK)
        return -1;
    int n = 0;
    for (int k = 1; k < NCHUNKS; k++)
        if (s.chunk[k].start < s.merge[k - 1].end)
            n++;
    return n;
}

int main(void)
{
    test_begin("test_one_worker");
    tf_become_subreaper();
    int one = overlaps(1, 1);
    CHECKF(one == 0, "one worker: %d of %d chunks started while the last was being merged", one,
           NCHUNKS - 1);
    int two = overlaps(2, 1);
    CHECKF(two > 0, "two workers: no chunk ran during a merge (%d)", two);
    int cheap = overlaps(1, 0);
    CHECKF(cheap > 0, "one worker, cheap merges: no chunk ran during a merge (%d)", cheap);
    CHECKF(tf_leftover_children(2.0) == 0, "a process was left behind");
    return test_finish();
}
