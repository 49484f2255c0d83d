/** @brief `pie bench scaling`: one timed run, the interleaved rounds and the derived figures. */
#include "cli_util.h"
#include "scaling.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int bench_backend_like(const bench *b, unsigned want, unsigned avoid)
{
    for (unsigned i = 0; i < b->nbackends; i++) {
        unsigned f = pie_backend_flags(b->backends[i]);
        if ((f & want) == want && !(f & avoid))
            return (int)b->backends[i];
    }
    return -1;
}

pie_backend bench_reference_backend(void)
{
    for (int i = 0; i < PIE_BACKEND_COUNT; i++)
        if (bench_one_worker((pie_backend)i) && pie_backend_available((pie_backend)i) == PIE_OK)
            return (pie_backend)i;
    return PIE_BACKEND_SERIAL; /* every build has it */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(const double *v, unsigned n)
{
    if (n == 0)
        return NAN;
    double s[BENCH_MAX_REPEATS * 2];
    if (n > sizeof s / sizeof s[0])
        n = sizeof s / sizeof s[0];
    memcpy(s, v, n * sizeof *v);
    qsort(s, n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

const bench_point *bench_find(const bench *b, const char *exp, pie_backend be, unsigned w)
{
    for (size_t i = 0; i < b->npts; i++)
        if (strcmp(b->pts[i].experiment, exp) == 0 && b->pts[i].backend == be &&
            b->pts[i].workers == w)
            return &b->pts[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Progress: one line on stderr, redrawn in place on a terminal, one line   */
/* per finished point otherwise.                                            */

void bench_progress(bench *b, const char *what, int force)
{
    if (!b->progress)
        return;
    double now = pie_cli_now();
    int tty = isatty(STDERR_FILENO);
    if (!force && now - b->last_draw < (tty ? 0.2 : 2.0))
        return;
    b->last_draw = now;
    double pct = b->runs_total ? 100.0 * (double)b->runs_done / (double)b->runs_total : 0.0;
    if (pct > 100.0)
        pct = 100.0;
    fprintf(stderr, "%spie bench: %-8s %-40.40s %5.1f%% %6.1fs%s", tty ? "\r" : "",
            b->phase ? b->phase : "", what, pct, now - b->start, tty ? " " : "\n");
    fflush(stderr);
    b->drawn = tty;
}

void bench_progress_end(bench *b)
{
    if (b->drawn)
        fprintf(stderr, "\r%*s\r", 79, "");
    b->drawn = 0;
}

typedef struct run_cb {
    bench *b;
    double t0, first, last;
    const char *what;
} run_cb;

static void on_chunk(void *user, const char *phase, uint64_t done, uint64_t total)
{
    (void)phase;
    (void)done;
    (void)total;
    run_cb *cb = user;
    double t = pie_cli_now() - cb->t0;
    if (cb->first < 0)
        cb->first = t;
    cb->last = t;
    bench_progress(cb->b, cb->what, 0);
}

/* ------------------------------------------------------------------------ */
/* One run                                                                  */

static double tv(struct timeval t)
{
    return (double)t.tv_sec + 1e-6 * (double)t.tv_usec;
}

/* User and system CPU seconds of this process and its reaped children. */
static double cpu_now2(double *usr, double *sys)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    *usr = tv(self.ru_utime) + tv(kids.ru_utime);
    *sys = tv(self.ru_stime) + tv(kids.ru_stime);
    return *usr + *sys;
}

/* A launcher backend's point: CPU of the reaped launcher, which has reaped
 * its ranks. */
static int run_launched(bench *b, pie_backend be, unsigned workers, uint64_t size, bench_run *out)
{
    double u0, s0, u1, s1;
    double c0 = cpu_now2(&u0, &s0);
    int rc = bench_run_mpi(b, be, workers, size, out);
    out->cpu_seconds = cpu_now2(&u1, &s1) - c0;
    out->usr_seconds = u1 - u0;
    out->sys_seconds = s1 - s0;
    if (rc != PIE_EXIT_OK)
        out->seconds = -1;
    b->runs_done++;
    return rc;
}

static pie_status configure(pie_ctx *ctx, const bench *b, pie_backend backend, unsigned workers,
                            run_cb *cb)
{
    pie_status st = pie_ctx_set_backend(ctx, backend);
    if (st == PIE_OK && b->pin)
        st = pie_ctx_set_pin(ctx, b->pin);
    if (st == PIE_OK)
        st = pie_ctx_set_workers(ctx, workers);
    if (st == PIE_OK)
        st = pie_ctx_set_progress(ctx, on_chunk, cb);
    if (st == PIE_OK)
        st = pie_ctx_set_cancel_flag(ctx, &pie_cli_signal);
    return st;
}

int bench_run_once(bench *b, pie_backend backend, unsigned workers, uint64_t size, bench_run *out)
{
    memset(out, 0, sizeof *out);
    out->seconds = -1;
    if (bench_launched(backend))
        return run_launched(b, backend, workers, size, out);
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx) {
        fprintf(stderr, "pie bench: out of memory\n");
        return PIE_EXIT_FAILURE;
    }
    char what[64];
    snprintf(what, sizeof what, "%s %s w=%u n=%" PRIu64, pie_workload_name(b->wl->id),
             pie_backend_name(backend), workers, size);
    run_cb cb = {.b = b, .first = -1, .last = -1, .what = what};
    pie_status st = configure(ctx, b, backend, workers, &cb);
    if (st == PIE_OK) {
        /* CPU time of this process (threads) and of reaped children (the
         * process backend's workers, waited for inside the run). */
        double u0, s0, u1, s1;
        double c0 = cpu_now2(&u0, &s0);
        cb.t0 = pie_cli_now();
        st = b->wl->run(ctx, size, out);
        out->seconds = pie_cli_now() - cb.t0;
        out->cpu_seconds = cpu_now2(&u1, &s1) - c0;
        out->usr_seconds = u1 - u0;
        out->sys_seconds = s1 - s0;
    }
    out->first_cb = cb.first;
    out->last_cb = cb.last;
    int rc = PIE_EXIT_OK;
    if (st == PIE_ECANCELED || pie_cli_signal) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: interrupted\n");
        rc = pie_cli_signal_exit();
    } else if (st != PIE_OK) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s run failed (%s): %s\n", what, pie_strerror(st),
                pie_ctx_last_error(ctx));
        rc = PIE_EXIT_FAILURE;
    }
    pie_ctx_free(ctx);
    if (rc != PIE_EXIT_OK)
        out->seconds = -1;
    b->runs_done++;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Experiments                                                              */

/* Sleep --cooldown seconds (interrupted by a signal: stop sleeping). */
static void cooldown(const bench *b)
{
    if (b->cooldown <= 0)
        return;
    double until = pie_cli_now() + b->cooldown;
    while (!pie_cli_signal && pie_cli_now() < until) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

/* One timed run of a point in round `round`, recorded; fails when the
 * result changed. Steal time comes from /proc/stat around the run. */
static int measure_point(bench *b, const char *exp, bench_point *p, unsigned round)
{
    bench_run r;
    uint64_t t0, s0, t1, s1;
    int have = bench_env_cpu_ticks(&t0, &s0) == 0;
    int rc = bench_run_once(b, p->backend, p->workers, p->size, &r);
    if (rc != PIE_EXIT_OK)
        return rc;
    have = have && bench_env_cpu_ticks(&t1, &s1) == 0;
    p->steal_run[p->nt] = have && t1 > t0 ? 100.0 * (double)(s1 - s0) / (double)(t1 - t0) : NAN;
    if (have) {
        p->ticks_total += t1 - t0;
        p->ticks_steal += s1 - s0;
    }
    p->usr[p->nt] = r.usr_seconds;
    p->sys[p->nt] = r.sys_seconds;
    p->round_of[p->nt] = round;
    p->order_of[p->nt] = b->run_seq++;
    snprintf(p->worker_cpus, sizeof p->worker_cpus, "%s", r.worker_cpus);
    cooldown(b);
    if (p->nt && strcmp(p->check, r.check) != 0) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s %s w=%u gave %s, then %s\n", exp,
                pie_backend_name(p->backend), p->workers, p->check, r.check);
        return PIE_EXIT_FAILURE;
    }
    p->cpu[p->nt] = r.cpu_seconds;
    p->wall[p->nt] = r.wall_seconds;
    p->t[p->nt++] = r.seconds;
    p->used = r.used;
    p->kernel = r.kernel;
    p->chunks = r.chunks;
    snprintf(p->check, sizeof p->check, "%s", r.check);
    return PIE_EXIT_OK;
}

/* Runs every point of one experiment R times, interleaved (round r runs each
 * point once) so that a burst of load from elsewhere spreads over the points
 * instead of landing on one of them. One untimed warm-up per point first.
 * Unless --repeats was given, stops after 3 or more rounds when another
 * round would overrun `budget` seconds (a busy machine runs slower than the
 * calibration predicted). */
int bench_measure(bench *b, const char *exp, size_t from, double budget, unsigned *rounds)
{
    double t0 = pie_cli_now();
    *rounds = 0;
    b->phase = exp;
    bench_run r;
    int rc;
    for (unsigned w = 0; w < b->warmup; w++) {
        for (size_t i = from; i < b->npts; i++) {
            bench_point *p = &b->pts[i];
            if ((rc = bench_run_once(b, p->backend, p->workers, p->size, &r)) != PIE_EXIT_OK)
                return rc;
        }
    }
    size_t n = b->npts - from;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return pie_cli_fail("bench scaling", "out of memory");
    bench_rng rng = {b->seed ^ (uint64_t)from};
    for (unsigned k = 0; k < b->repeats; k++) {
        /* A new random order of the points each round (Fisher-Yates). */
        for (size_t i = 0; i < n; i++)
            order[i] = from + i;
        for (size_t i = n; i > 1; i--) {
            size_t j = bench_rng_below(&rng, (unsigned)i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < n; i++)
            if ((rc = measure_point(b, exp, &b->pts[order[i]], k)) != PIE_EXIT_OK) {
                free(order);
                return rc;
            }
        *rounds = k + 1;
        double spent = pie_cli_now() - t0;
        if (!b->repeats_given && k + 1 >= 3 && spent + spent / (k + 1) > budget)
            break;
    }
    free(order);
    return PIE_EXIT_OK;
}

static void summarize(bench_point *p)
{
    bench_summarize(p->t, p->nt, &p->st);
    p->median = p->st.median;
    p->min = p->st.min;
    p->max = p->st.max;
    bench_ci_median(p->t, p->nt, BENCH_BOOTSTRAP_SEED, &p->median_lo, &p->median_hi);
    p->steal_pct = p->ticks_total ? 100.0 * (double)p->ticks_steal / (double)p->ticks_total : NAN;
    p->spread_pct = 100.0 * (p->max - p->min) / p->median;
    p->cpu_median = bench_median(p->cpu, p->nt);
    /* A launcher's CPU seconds cover the whole command: divide by its wall time. */
    p->cpus_used =
        p->cpu_median / (bench_launched(p->backend) ? bench_median(p->wall, p->nt) : p->median);
    p->throughput = (double)p->size / p->median;
}

/* Speed-up against the same backend at 1 worker (a one-worker backend:
 * itself); efficiency S/p; Karp-Flatt e = (1/S - 1/p) / (1 - 1/p) for p > 1.
 * Weak scaling: efficiency T1/Tp and scaled speed-up p*T1/Tp. */
void bench_derive(bench *b, const char *exp, int weak)
{
    for (size_t i = 0; i < b->npts; i++)
        if (strcmp(b->pts[i].experiment, exp) == 0)
            summarize(&b->pts[i]);
    for (size_t i = 0; i < b->npts; i++) {
        bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, exp) != 0)
            continue;
        const bench_point *one = bench_find(b, exp, p->backend, 1);
        if (!one)
            continue;
        double n = p->workers, lo, hi;
        p->cpu_efficiency = (weak ? n : 1.0) * one->cpu_median / p->cpu_median;
        /* T(1) / T(p) with its bootstrap interval: the speed-up (strong) or
         * the efficiency (weak); the other follows by p. */
        bench_ci_ratio(one->t, one->nt, p->t, p->nt, BENCH_BOOTSTRAP_SEED, &lo, &hi);
        if (weak) {
            p->eff_lo = lo, p->eff_hi = hi;
            p->speedup_lo = n * lo, p->speedup_hi = n * hi;
        } else {
            p->speedup_lo = lo, p->speedup_hi = hi;
            p->eff_lo = lo / n, p->eff_hi = hi / n;
        }
        if (weak) {
            p->efficiency = one->median / p->median;
            p->speedup = n * p->efficiency;
        } else {
            p->speedup = one->median / p->median;
            p->efficiency = p->speedup / n;
            if (p->workers > 1)
                p->karp_flatt = (1.0 / p->speedup - 1.0 / n) / (1.0 - 1.0 / n);
        }
    }
}

/* Check that every strong point computed the same thing (the workload's
 * result check). */
int bench_check_agreement(const bench *b)
{
    const char *ref = NULL;
    for (size_t i = 0; i < b->npts; i++) {
        const bench_point *p = &b->pts[i];
        if (strcmp(p->experiment, "strong") != 0)
            continue;
        if (!ref)
            ref = p->check;
        else if (strcmp(ref, p->check) != 0) {
            fprintf(stderr, "pie bench: backends disagree: %s vs %s (%s, %u workers)\n", ref,
                    p->check, pie_backend_name(p->backend), p->workers);
            return PIE_EXIT_FAILURE;
        }
    }
    return PIE_EXIT_OK;
}
