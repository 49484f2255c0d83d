/** @brief `pie bench scaling`: worker counts, calibration, sizes and the points of each experiment.
 */
#include "cli_util.h"
#include "scaling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *cmd = "bench scaling";

void bench_add_worker(bench *b, unsigned w)
{
    for (unsigned i = 0; i < b->nworkers; i++)
        if (b->workers[i] == w)
            return;
    if (b->nworkers < BENCH_MAX_WORKERS)
        b->workers[b->nworkers++] = w;
}

static int cmp_unsigned(const void *x, const void *y)
{
    unsigned a = *(const unsigned *)x, c = *(const unsigned *)y;
    return (a > c) - (a < c);
}

void bench_sort_workers(bench *b)
{
    qsort(b->workers, b->nworkers, sizeof b->workers[0], cmp_unsigned);
}

/* 1 .. 2C on small machines; powers of two, C, 1.5C and 2C on larger ones;
 * and the number of physical cores (the topology's), where the physical
 * cores end and their SMT siblings begin. */
void bench_auto_workers(bench *b)
{
    unsigned c = b->cores;
    b->nworkers = 0;
    if (b->topo && b->topo->cores > 0 && b->topo->cores < c)
        bench_add_worker(b, b->topo->cores);
    if (2 * c <= 8) {
        for (unsigned w = 1; w <= 2 * c; w++)
            bench_add_worker(b, w);
        bench_sort_workers(b);
        return;
    }
    for (unsigned w = 1; w <= 2 * c; w *= 2)
        bench_add_worker(b, w);
    bench_add_worker(b, c);
    bench_add_worker(b, c + c / 2);
    bench_add_worker(b, 2 * c);
    bench_sort_workers(b);
}

/* ------------------------------------------------------------------------ */
/* Sizes                                                                    */

static uint64_t gcd64(uint64_t a, uint64_t c)
{
    while (c) {
        uint64_t t = a % c;
        a = c;
        c = t;
    }
    return a;
}

/* For a chunked workload, a number of chunks that every worker count divides
 * (so that no worker count pays for a ragged last round); `within` limits
 * this to the counts up to the CPU count. */
static uint64_t chunk_multiple(const bench *b, int within)
{
    uint64_t l = 1;
    for (unsigned i = 0; i < b->nworkers; i++) {
        uint64_t w = b->workers[i];
        if (within && w > b->cores)
            continue;
        uint64_t n = l / gcd64(l, w) * w;
        if (n <= 64)
            l = n;
    }
    return l;
}

/* Serial seconds of `size` units, median of 3 runs (one warm-up before). */
static int serial_time(bench *b, uint64_t size, double *sec)
{
    bench_run r;
    double t[3];
    int rc = bench_run_once(b, bench_reference_backend(), 1, size, &r);
    for (int i = 0; rc == PIE_EXIT_OK && i < 3; i++) {
        rc = bench_run_once(b, bench_reference_backend(), 1, size, &r);
        t[i] = r.seconds;
    }
    *sec = rc == PIE_EXIT_OK ? bench_median(t, 3) : -1;
    return rc;
}

/* Find the serial cost per unit: a chunked workload from one chunk; the
 * others by doubling the size until a run takes 50 ms (their cost is not
 * linear, so the final sizes are scaled with a second measurement). */
static int calibrate(bench *b)
{
    b->phase = "calibrate";
    int rc;
    double t;
    uint64_t n = b->wl->chunk;
    if (n) {
        if ((rc = serial_time(b, n, &t)) != PIE_EXIT_OK)
            return rc;
        b->t_unit = t / (double)n;
        return PIE_EXIT_OK;
    }
    for (n = b->wl->calibrate_from;; n *= 2) {
        if ((rc = serial_time(b, n, &t)) != PIE_EXIT_OK)
            return rc;
        if (t >= 0.05 || n > (UINT64_C(1) << 36) || 2 * n > b->wl->max_size)
            break;
    }
    b->t_unit = t / (double)n;
    return PIE_EXIT_OK;
}

/* Units that take about `seconds` serially. Chunked sizes are whole chunks,
 * a multiple of every worker count when that costs at most 1.5x the target,
 * else of the counts up to the CPU count (oversubscribed points then see a
 * ragged last round, as any real run would). */
static uint64_t size_for(const bench *b, double seconds, int balance)
{
    double units = seconds / b->t_unit;
    uint64_t chunk = b->wl->chunk;
    if (chunk) {
        double t_chunk = b->t_unit * (double)chunk;
        uint64_t multiple = 1;
        if (balance) {
            multiple = chunk_multiple(b, 0);
            if ((double)multiple * t_chunk > 1.5 * seconds)
                multiple = chunk_multiple(b, 1);
        }
        uint64_t chunks = (uint64_t)(units / (double)chunk + 0.5);
        chunks = (chunks + multiple - 1) / multiple * multiple;
        if (chunks == 0)
            chunks = multiple;
        return chunks * chunk;
    }
    /* Digits cost ~n log^2 n, hex positions ~n log n: a little under linear. */
    uint64_t n = (uint64_t)(units * 0.8);
    return n < 100 ? 100 : n > b->wl->max_size ? b->wl->max_size : n;
}

/* ------------------------------------------------------------------------ */
/* Experiments                                                              */

static bench_point *add_point(bench *b, const char *exp, pie_backend be, unsigned w, uint64_t size)
{
    if (b->npts == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 32;
        bench_point *p = realloc(b->pts, cap * sizeof *p);
        if (!p)
            return NULL;
        b->pts = p;
        b->cap = cap;
    }
    bench_point *p = &b->pts[b->npts++];
    memset(p, 0, sizeof *p);
    p->experiment = exp;
    p->backend = be;
    p->workers = w;
    p->size = size;
    p->speedup = p->efficiency = p->karp_flatt = p->cpu_efficiency = NAN;
    p->speedup_lo = p->speedup_hi = p->eff_lo = p->eff_hi = NAN;
    return p;
}

/* A point per (backend, worker count); a one-worker backend has one strong
 * point and no weak ones. */
static int plan(bench *b, const char *exp, uint64_t size, int weak)
{
    for (unsigned i = 0; i < b->nbackends; i++) {
        pie_backend be = b->backends[i];
        if (bench_one_worker(be)) {
            if (!weak && !add_point(b, exp, be, 1, size))
                return -1;
            continue;
        }
        for (unsigned j = 0; j < b->nworkers; j++) {
            unsigned w = b->workers[j];
            if (!add_point(b, exp, be, w, weak ? size * w : size))
                return -1;
        }
    }
    return 0;
}

static unsigned long planned_runs(const bench *b, size_t from)
{
    return (unsigned long)(b->npts - from) * (b->repeats + b->warmup);
}

/* Repeats that fit the budget: full runs ~4 minutes of measurement. */
static unsigned fit_repeats(const bench *b, uint64_t strong, uint64_t weak_per)
{
    if (b->quick)
        return 3;
    double per_round = 0;
    for (unsigned i = 0; i < b->nbackends; i++) {
        if (bench_one_worker(b->backends[i])) {
            per_round += (double)strong * b->t_unit;
            continue;
        }
        if (bench_launched(b->backends[i]))
            per_round += 2 * 0.5 * b->nworkers; /* launcher start-up, strong and weak */
        for (unsigned j = 0; j < b->nworkers; j++) {
            double w = b->workers[j], c = b->cores;
            double par = w < c ? w : c;
            per_round += (double)strong * b->t_unit / par + w * (double)weak_per * b->t_unit / par;
        }
    }
    double budget = 120.0; /* seconds of scaling runs; overheads and Python come on top */
    unsigned r = (unsigned)(budget / per_round) - 1;
    return r > 5 ? 5 : (r < 3 ? 3 : r);
}

int bench_run_all(bench *b)
{
    int rc;
    if ((rc = calibrate(b)) != PIE_EXIT_OK)
        return rc;
    uint64_t strong = b->size, weak = b->weak_size;
    if (!strong)
        strong = size_for(b, b->quick ? 0.3 : 1.5, 1);
    if (!weak)
        weak = size_for(b, b->quick ? 0.15 : 0.6, 0);
    if (!b->repeats)
        b->repeats = fit_repeats(b, strong, weak);

    size_t from = b->npts;
    if (plan(b, "strong", strong, 0) != 0)
        return pie_cli_fail(cmd, "out of memory");
    size_t weak_from = b->npts;
    if (plan(b, "weak", weak, 1) != 0)
        return pie_cli_fail(cmd, "out of memory");
    b->runs_total =
        b->runs_done + planned_runs(b, from) + bench_overhead_runs(b) + bench_python_runs(b);
    size_t end = b->npts;
    b->npts = weak_from; /* measure strong first */
    bench_env_start_sampler(&b->env);
    if ((rc = bench_measure(b, "strong", from, b->quick ? 20 : 90, &b->rounds_strong)) !=
        PIE_EXIT_OK)
        return rc;
    bench_derive(b, "strong", 0);
    if ((rc = bench_check_agreement(b)) != PIE_EXIT_OK)
        return rc;
    b->npts = end;
    if ((rc = bench_measure(b, "weak", weak_from, b->quick ? 10 : 45, &b->rounds_weak)) !=
        PIE_EXIT_OK)
        return rc;
    bench_derive(b, "weak", 1);
    bench_env_stop_sampler(&b->env);
    if ((rc = bench_overheads(b)) != PIE_EXIT_OK)
        return rc;
    return bench_python_baselines(b);
}
