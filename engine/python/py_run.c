/** @brief A libpie run off the GIL: a helper thread runs it while the caller's thread waits,
 * turns a signal into the run's cancel flag and calls the progress callable. */
#include "py_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

/*
 * Why a helper thread: the caller's thread must stay in Python's hands while
 * the run goes on. Python runs its signal handlers only in the main thread,
 * between bytecodes, so a thread blocked inside pie_mc_run would see Ctrl-C
 * only when the run ends. Instead the caller waits on a condition variable
 * in 20 ms ticks and calls PyErr_CheckSignals() between them: the host's own
 * SIGINT handler (Python's, or Jupyter's) stays installed, nothing is
 * replaced, and KeyboardInterrupt raises the cancel flag that the library
 * polls (the process backend every 50 ms). The same ticks call the progress
 * callable on the caller's thread, where a Python exception can propagate.
 *
 * The helper touches no Python object and holds no GIL. It starts with every
 * signal blocked, so that the process's signals go to threads that handle
 * them; the library unblocks them in the workers it forks. Workers are tied
 * to the helper (PR_SET_PDEATHSIG fires when the thread that forked exits),
 * so the helper lives until the run has reaped them, which every run
 * function does before it returns.
 */

#define TICK_NS 20000000L       /* how often the waiting thread wakes */
#define PROGRESS_INTERVAL_S 0.1 /* the progress callable's minimum period */

typedef struct run_state {
    pie_ctx *ctx;
    piepy_job_fn fn;
    const void *options;
    volatile sig_atomic_t cancel;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* Under lock: */
    int finished;
    void *result;
    pie_status status;
    /* Progress over the whole run, under lock. A workload may count several
     * phases (digits: series, division, radix conversion...) or passes (hex)
     * from 0 each; they are laid end to end, so that done never goes down
     * and total only grows when a new phase starts. */
    uint64_t done, total;
    uint64_t offset, phase_done, phase_total;
    char phase[32];
    /* What the progress callable was last given (the waiting thread's own). */
    int shown;
    uint64_t shown_done, shown_total;
} run_state;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The library's progress callback: on the helper thread, or on one OpenMP
 * worker at a time (never concurrently). */
static void on_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    run_state *s = user;
    pthread_mutex_lock(&s->lock);
    if (s->phase[0] && (strncmp(phase, s->phase, sizeof s->phase - 1) != 0 || done < s->phase_done))
        s->offset += s->phase_total; /* a new phase or pass starts */
    snprintf(s->phase, sizeof s->phase, "%s", phase ? phase : "?");
    s->phase_done = done;
    s->phase_total = total;
    s->done = s->offset + done;
    s->total = s->offset + total;
    pthread_mutex_unlock(&s->lock);
}

static void *run_thread(void *arg)
{
    run_state *s = arg;
    void *result = NULL;
    pie_status st = s->fn(s->ctx, s->options, &result);
    pthread_mutex_lock(&s->lock);
    s->result = result;
    s->status = st;
    s->finished = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Wait one tick or until the run finishes; whether it has. Called without
 * the GIL. */
static int wait_tick(run_state *s)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += TICK_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->finished && pthread_cond_timedwait(&s->cond, &s->lock, &until) != ETIMEDOUT)
        ;
    int finished = s->finished;
    pthread_mutex_unlock(&s->lock);
    return finished;
}

static void read_progress(run_state *s, uint64_t *done, uint64_t *total)
{
    pthread_mutex_lock(&s->lock);
    *done = s->done;
    *total = s->total;
    pthread_mutex_unlock(&s->lock);
}

/* progress(done, total); -1 with the exception set if it raised. */
static int call_progress(PyObject *progress, uint64_t done, uint64_t total)
{
    PyObject *r =
        PyObject_CallFunction(progress, "KK", (unsigned long long)done, (unsigned long long)total);
    if (!r)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* A pending exception kept aside while the run stops. */
typedef struct stash {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc;
#else
    PyObject *type, *value, *tb;
#endif
    int set;
} stash;

static void stash_take(stash *k)
{
#if PY_VERSION_HEX >= 0x030C0000
    k->exc = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&k->type, &k->value, &k->tb);
#endif
    k->set = 1;
}

static void stash_restore(stash *k)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(k->exc);
#else
    PyErr_Restore(k->type, k->value, k->tb);
#endif
}

static int start_thread(pthread_t *tid, run_state *s)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the helper inherits this mask */
    int rc = pthread_create(tid, NULL, run_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errno = rc;
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

/* The waiting loop: returns when the helper has finished. A signal or a
 * failing progress call is stashed in *k and cancels the run. */
static void wait_for_run(run_state *s, PyObject *progress, stash *k)
{
    double last_call = now_s();
    for (;;) {
        int finished;
        Py_BEGIN_ALLOW_THREADS finished = wait_tick(s);
        Py_END_ALLOW_THREADS if (finished) return;
        if (k->set)
            continue; /* cancelling: wait for the workers to be reaped */
        if (PyErr_CheckSignals() < 0) {
            stash_take(k);
            s->cancel = 1;
            continue;
        }
        if (progress == NULL || now_s() - last_call < PROGRESS_INTERVAL_S)
            continue;
        uint64_t done, total;
        read_progress(s, &done, &total);
        if (s->shown && done == s->shown_done && total == s->shown_total)
            continue;
        last_call = now_s();
        s->shown = 1;
        s->shown_done = done;
        s->shown_total = total;
        if (call_progress(progress, done, total) < 0) {
            stash_take(k);
            s->cancel = 1;
        }
    }
}

int piepy_run(pie_ctx *ctx, piepy_job_fn fn, const void *options, PyObject *progress, void **result,
              pie_status *status)
{
    *result = NULL;
    if (progress == Py_None)
        progress = NULL;
    run_state s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.fn = fn;
    s.options = options;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s.cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&s.lock, NULL);
    pie_ctx_set_cancel_flag(ctx, &s.cancel);
    pie_ctx_set_progress(ctx, on_progress, &s);

    stash k = {0};
    pthread_t tid;
    int rc = start_thread(&tid, &s);
    if (rc == 0) {
        wait_for_run(&s, progress, &k);
        pthread_join(tid, NULL);
    }
    pie_ctx_set_progress(ctx, NULL, NULL);
    pie_ctx_set_cancel_flag(ctx, NULL);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.lock);
    if (rc != 0)
        return -1;
    if (k.set) {
        pie_result_free(s.result);
        stash_restore(&k);
        return -1;
    }
    /* The last call: done == total, unless the last tick showed just that. */
    int last_shown = s.shown && s.shown_done == s.total && s.shown_total == s.total;
    if (progress && s.status == PIE_OK && !last_shown &&
        call_progress(progress, s.total, s.total) < 0) {
        pie_result_free(s.result);
        return -1;
    }
    *result = s.result;
    *status = s.status;
    return 0;
}
