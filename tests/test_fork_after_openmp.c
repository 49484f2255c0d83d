/** @brief Thread and process backends in one program, alternately and from threads: never a hang.
 */
#include "test_fault_util.h"

#include <pthread.h>

/*
 * libgomp's thread pool does not survive fork(): a child that enters an
 * OpenMP region after its parent used one can hang. pie's process workers
 * never enter OpenMP (engine/backend_thread.c), so a program may use both
 * backends in any order. Here: thread, process, thread, process, on mc and
 * hex, the same bytes each time, and process runs started from a thread
 * while the main thread's OpenMP pool exists. A watchdog (alarm) turns a
 * hang into a failure instead of a stuck test.
 */

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL: hang (watchdog fired)\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(1);
    _exit(1);
}

static uint64_t mc_inside(pie_backend b)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 2 * PIE_MC_CHUNK_SAMPLES + 3;
    o.seed = 42;
    pie_mc_result *r;
    pie_ctx_set_backend(ctx, b);
    pie_ctx_set_workers(ctx, 2);
    pie_status st = pie_mc_run(ctx, &o, &r);
    CHECKF(st == PIE_OK, "mc on %s: %s", pie_backend_name(b), pie_ctx_last_error(ctx));
    uint64_t inside = r ? r->inside : 0;
    pie_result_free(r);
    pie_ctx_free(ctx);
    return inside;
}

static void hex_digits(pie_backend b, char out[16])
{
    pie_ctx *ctx = pie_ctx_create();
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = 50000;
    o.count = 8;
    pie_hex_result *r;
    pie_ctx_set_backend(ctx, b);
    pie_ctx_set_workers(ctx, 2);
    pie_status st = pie_hex_run(ctx, &o, &r);
    CHECKF(st == PIE_OK, "hex on %s: %s", pie_backend_name(b), pie_ctx_last_error(ctx));
    memcpy(out, st == PIE_OK ? r->hex : "?", st == PIE_OK ? 9 : 2); /* 8 digits and NUL */
    pie_result_free(r);
    pie_ctx_free(ctx);
}

static void *process_run(void *arg)
{
    *(uint64_t *)arg = mc_inside(PIE_BACKEND_PROCESS);
    return NULL;
}

int main(void)
{
    test_begin("test_fork_after_openmp");
    if (pie_backend_available(PIE_BACKEND_THREAD) != PIE_OK) {
        printf("SKIP: no thread backend (built without OpenMP)\n");
        return 77;
    }
    tf_become_subreaper();
    signal(SIGALRM, on_alarm);
    alarm(60);
    double t0 = tf_now();
    uint64_t ref = mc_inside(PIE_BACKEND_SERIAL);
    char href[16], h[16];
    hex_digits(PIE_BACKEND_SERIAL, href);
    static const pie_backend order[] = {PIE_BACKEND_THREAD,  PIE_BACKEND_PROCESS,
                                        PIE_BACKEND_THREAD,  PIE_BACKEND_PROCESS,
                                        PIE_BACKEND_PROCESS, PIE_BACKEND_THREAD};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        CHECKF(mc_inside(order[i]) == ref, "mc run %zu on %s differs", i,
               pie_backend_name(order[i]));
        hex_digits(order[i], h);
        CHECKF(strcmp(h, href) == 0, "hex run %zu on %s: %s vs %s", i, pie_backend_name(order[i]),
               h, href);
        CHECKF(tf_no_children_now(), "run %zu: a child is left", i);
    }
    /* A process run from another thread while this thread's OpenMP pool is
     * alive, and one interleaved with a thread run here. */
    uint64_t got = 0;
    pthread_t t;
    pthread_create(&t, NULL, process_run, &got);
    CHECKF(mc_inside(PIE_BACKEND_THREAD) == ref, "thread run beside a process run");
    pthread_join(t, NULL);
    CHECKF(got == ref, "process run from a thread differs");
    alarm(0);
    CHECKF(tf_leftover_children(0.5) == 0, "processes left behind");
    printf("%.1f s\n", tf_now() - t0);
    return test_finish();
}
