/** @brief Process and thread backends under a stopped job, a silent worker and a process limit. */
#include "test_child.h"

#include <pthread.h>
#include <sys/resource.h>

/*
 * Each case runs in a child process with a deadline (test_child.h), so a
 * hang fails the case instead of the test:
 *   - stopped job: Ctrl-Z (SIGTSTP to the process group) twice during a run
 *     with a chunk timeout; the time stopped is nobody's fault: no worker is
 *     killed as hung;
 *   - epipe:w0#1:all (fault-injection builds): a worker that stops reading
 *     its requests but stays alive, with no chunk timeout, ends the run
 *     cleanly instead of hanging it;
 *   - thread backend under RLIMIT_NPROC (as nobody when root): the run
 *     fails with PIE_ESYSTEM instead of libgomp's exit(1) inside the library.
 */

/* ---------------------------------------------------------------------- */
/* A job whose chunks take wall time without CPU (a slow I/O-bound chunk). */

static int sleep_run(const void *job, uint64_t chunk, pie_kbuf *out)
{
    const double *seconds = job;
    double end = tf_now() + *seconds;
    while (tf_now() < end) { /* a stop and SIGCONT do not shorten the sleep */
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    unsigned char b[8];
    pie_kput_u64(b, chunk * 7 + 1);
    return pie_kbuf_append(out, b, sizeof b);
}

static int sleep_merge(void *acc, const void *job, uint64_t chunk, const unsigned char *p,
                       size_t len)
{
    (void)job;
    uint64_t *sum = acc;
    if (len != 8 || pie_kget_u64(p) != chunk * 7 + 1)
        return PIE_K_ECORRUPT;
    *sum += pie_kget_u64(p);
    return PIE_K_OK;
}

static uint64_t sleep_max(const void *job, uint64_t chunk)
{
    (void)job;
    (void)chunk;
    return 8;
}

static const pie_kernel_ops sleep_ops = {"sleep", sleep_run, sleep_merge, sleep_max};

/* 6 chunks of 0.4 s on 2 workers, chunk timeout 0.8 s: about 1.2 s, plus
 * the stops. Before the fix the first stop of 1 s made every worker "hung". */
static int stopped_job_case(void *arg)
{
    (void)arg;
    signal(SIGTSTP, SIG_DFL);
    double seconds = 0.4;
    uint64_t sum = 0;
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    pie_ctx_set_chunk_timeout(ctx, 0.8);
    pie__task task = {.ops = &sleep_ops, .job = &seconds, .acc = &sum, .nchunks = 6};
    pie__run_stats stats;
    pie_status st = pie__run_task(ctx, &task, &stats);
    CHECKF(st == PIE_OK && stats.retries == 0,
           "stopped job: %s, %llu chunks re-run (%s); the time stopped counted",
           pie_status_name(st), (unsigned long long)stats.retries, pie_ctx_last_error(ctx));
    CHECK(st != PIE_OK || sum == 6 * 1 + 7 * 15);
    pie_ctx_free(ctx);
    return test_failures() ? TC_FAIL : TC_PASS;
}

static void stop_twice(pid_t pid)
{
    struct timespec start = {0, 150000000}, stopped = {1, 0}, between = {0, 200000000};
    nanosleep(&start, NULL);
    for (int i = 0; i < 2; i++) {
        kill(-pid, SIGTSTP);
        nanosleep(&stopped, NULL);
        kill(-pid, SIGCONT);
        nanosleep(&between, NULL);
    }
}

/* ---------------------------------------------------------------------- */

static int injection_built(void)
{
    pie_ctx *ctx = pie_ctx_create();
    tf_job job = {2, 1, 0};
    tf_acc acc;
    pie__run_stats stats;
    setenv("PIE_FAULT", "no-such-fault:1", 1);
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    pie_ctx_free(ctx);
    return st == PIE_EINVAL;
}

/* Worker 0 closes its request pipe at its first chunk, every time, and
 * stays alive; no chunk timeout. Before the fix the run hung at its end. */
static int silent_worker_case(void *arg)
{
    const char *spec = arg;
    tf_job job = {12, 9, 0};
    tf_acc acc;
    pie__run_stats stats;
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    setenv("PIE_FAULT", spec, 1);
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    const char *msg = pie_ctx_last_error(ctx);
    /* With :all every new worker 0 stops reading at its first chunk (and
     * still answers that one): the run may get through on the retries or
     * end with a chunk that failed 3 times; either way it ends. */
    if (strstr(spec, ":all"))
        CHECKF(st == PIE_OK ? acc.h == tf_reference(&job)
                            : st == PIE_EWORKER && strstr(msg, "stopped reading its requests"),
               "%s: %s (%s)", spec, pie_status_name(st), msg);
    else
        CHECKF(st == PIE_OK && acc.h == tf_reference(&job) && stats.retries >= 1,
               "%s: %s (%s), %llu retries", spec, pie_status_name(st), msg,
               (unsigned long long)stats.retries);
    CHECKF(tf_no_children_now(), "%s: a worker is left", spec);
    pie_ctx_free(ctx);
    return test_failures() ? TC_FAIL : TC_PASS;
}

/* ---------------------------------------------------------------------- */

static void *noop(void *arg)
{
    return arg;
}

/* With RLIMIT_NPROC at 1 no thread can be created (root is exempt: the
 * case runs as nobody). libgomp would print and exit(1); the library must
 * fail the run instead, and a team of one still works. */
static int thread_limit_case(void *arg)
{
    (void)arg;
    if (pie_backend_available(PIE_BACKEND_THREAD) != PIE_OK)
        return TC_SKIP;
    struct rlimit one = {1, 1};
    if (tc_drop_root() != 0 || setrlimit(RLIMIT_NPROC, &one) != 0)
        return TC_SKIP;
    pthread_t th;
    if (pthread_create(&th, NULL, noop, NULL) == 0) {
        pthread_join(th, NULL);
        return TC_SKIP; /* the limit is not enforced here */
    }
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_THREAD);
    pie_ctx_set_workers(ctx, 4);
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 4 * PIE_MC_CHUNK_SAMPLES; /* 4 chunks */
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, &o, &r);
    CHECKF(st == PIE_ESYSTEM && strstr(pie_ctx_last_error(ctx), "thread"),
           "thread backend, 4 workers, no thread possible: %s (%s)", pie_status_name(st),
           pie_ctx_last_error(ctx));
    pie_result_free(r);
    pie_ctx_set_workers(ctx, 1);
    st = pie_mc_run(ctx, &o, &r);
    CHECKF(st == PIE_OK, "thread backend, 1 worker: %s (%s)", pie_status_name(st),
           pie_ctx_last_error(ctx));
    pie_result_free(r);
    pie_ctx_free(ctx);
    return test_failures() ? TC_FAIL : TC_PASS;
}

int main(void)
{
    test_begin("test_robust_engine");
    tf_become_subreaper();
    double t0 = tf_now();
    TC_EXPECT_PASS("stopped job (Ctrl-Z twice) with a chunk timeout",
                   tc_run(stopped_job_case, NULL, 20, stop_twice));
    if (injection_built()) {
        TC_EXPECT_PASS("epipe:w0#1:all without a chunk timeout",
                       tc_run(silent_worker_case, "epipe:w0#1:all", 10, NULL));
        TC_EXPECT_PASS("epipe:w0#1 without a chunk timeout",
                       tc_run(silent_worker_case, "epipe:w0#1", 10, NULL));
    } else {
        printf("skip epipe: built without -DPIE_FAULT_INJECTION=ON\n");
    }
    TC_EXPECT_PASS("thread backend under RLIMIT_NPROC=1",
                   tc_run(thread_limit_case, NULL, 20, NULL));
    CHECKF(tf_leftover_children(2.0) == 0, "a process was left behind");
    printf("%.1f s\n", tf_now() - t0);
    return test_finish();
}
