/** @brief `pie bench scaling`: one timed run, the interleaved rounds and the derived figures. */
#include "cli_util.h"
#include "scaling.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

double bench_median(double *v, unsigned n)
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

static double cpu_now(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return tv(self.ru_utime) + tv(self.ru_stime) + tv(kids.ru_utime) + tv(kids.ru_stime);
}

/* A launcher backend's point: CPU of the reaped launcher, which has reaped
 * its ranks. */
static int run_launched(bench *b, pie_backend be, unsigned workers, uint64_t size, bench_run *out)
{
    double c0 = cpu_now();
    int rc = bench_run_mpi(b, be, workers, size, out);
    out->cpu_seconds = cpu_now() - c0;
    if (rc != PIE_EXIT_OK)
        out->seconds = -1;
    b->runs_done++;
    return rc;
}

static pie_status configure(pie_ctx *ctx, pie_backend backend, unsigned workers, run_cb *cb)
{
    pie_status st = pie_ctx_set_backend(ctx, backend);
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
    pie_status st = configure(ctx, backend, workers, &cb);
    if (st == PIE_OK) {
        /* CPU time of this process (threads) and of reaped children (the
         * process backend's workers, waited for inside the run). */
        double c0 = cpu_now();
        cb.t0 = pie_cli_now();
        st = b->wl->run(ctx, size, out);
        out->seconds = pie_cli_now() - cb.t0;
        out->cpu_seconds = cpu_now() - c0;
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

/* One timed run of a point, recorded; fails when the result changed. */
static int measure_point(bench *b, const char *exp, bench_point *p)
{
    bench_run r;
    int rc = bench_run_once(b, p->backend, p->workers, p->size, &r);
    if (rc != PIE_EXIT_OK)
        return rc;
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
    for (size_t i = from; i < b->npts; i++) {
        bench_point *p = &b->pts[i];
        if ((rc = bench_run_once(b, p->backend, p->workers, p->size, &r)) != PIE_EXIT_OK)
            return rc;
    }
    for (unsigned k = 0; k < b->repeats; k++) {
        for (size_t i = from; i < b->npts; i++)
            if ((rc = measure_point(b, exp, &b->pts[i])) != PIE_EXIT_OK)
                return rc;
        *rounds = k + 1;
        double spent = pie_cli_now() - t0;
        if (!b->repeats_given && k + 1 >= 3 && spent + spent / (k + 1) > budget)
            break;
    }
    return PIE_EXIT_OK;
}

static void summarize(bench_point *p)
{
    p->median = bench_median(p->t, p->nt);
    p->min = p->max = p->t[0];
    for (unsigned i = 1; i < p->nt; i++) {
        p->min = p->t[i] < p->min ? p->t[i] : p->min;
        p->max = p->t[i] > p->max ? p->t[i] : p->max;
    }
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
        double n = p->workers;
        p->cpu_efficiency = (weak ? n : 1.0) * one->cpu_median / p->cpu_median;
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
