/** @brief Monte Carlo benchmarks through the public API: kernel speed, process-backend overheads,
 * backends x workers. */
#include <pie.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Every figure is the median of R runs (machines here are shared and noisy).
 *   kernel   samples/s of each kernel variant on one core (serial backend)
 *   fixed    the process backend's fixed cost per run: an N=1 run (one chunk,
 *            one worker: fork + pipes + one frame each way + reap) minus the
 *            same run on the serial backend
 *   chunk    the process backend's cost per chunk: (T_process(1 worker) -
 *            T_serial) / chunks on a many-chunk run
 *   backends a large run (default 1e10 samples) on serial, process and thread
 *            with 1 and 2 workers: samples/s and speed-up over 1 worker
 * Usage: bench_mc [--quick] [--repeats R] [--samples N] [--csv FILE]
 */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static FILE *csv;

static void row(const char *bench, const char *backend, const char *kernel, unsigned workers,
                uint64_t samples, double seconds, double value, const char *unit)
{
    printf("%-9s %-8s %-7s %2u %14llu %10.4f s %12.4g %s\n", bench, backend, kernel, workers,
           (unsigned long long)samples, seconds, value, unit);
    if (csv)
        fprintf(csv, "%s,%s,%s,%u,%llu,%.6f,%.6g,%s\n", bench, backend, kernel, workers,
                (unsigned long long)samples, seconds, value, unit);
}

/* Median wall time of R runs; returns -1 on failure. */
static double time_run(pie_backend b, unsigned workers, pie_isa isa, uint64_t n, int reps,
                       uint64_t *inside)
{
    pie_ctx *ctx = pie_ctx_create();
    double *t = calloc((size_t)reps, sizeof *t);
    if (!ctx || !t || pie_ctx_set_backend(ctx, b) != PIE_OK ||
        pie_ctx_set_workers(ctx, workers) != PIE_OK || pie_ctx_set_isa(ctx, isa) != PIE_OK) {
        pie_ctx_free(ctx);
        free(t);
        return -1;
    }
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = n;
    for (int i = 0; i < reps; i++) {
        pie_mc_result *r = NULL;
        double t0 = now();
        if (pie_mc_run(ctx, &o, &r) != PIE_OK) {
            fprintf(stderr, "bench_mc: %s\n", pie_ctx_last_error(ctx));
            pie_result_free(r);
            pie_ctx_free(ctx);
            free(t);
            return -1;
        }
        t[i] = now() - t0;
        if (inside)
            *inside = r->inside;
        pie_result_free(r);
    }
    double m = median(t, reps);
    pie_ctx_free(ctx);
    free(t);
    return m;
}

/* 1. Kernel variants on one core, each run sized to about a second. */
static void bench_kernels(int quick, int reps)
{
    for (int i = PIE_ISA_AUTO + 1; i < PIE_ISA_COUNT; i++) {
        pie_isa isa = (pie_isa)i;
        if (pie_isa_check(PIE_WORKLOAD_MC, isa) != PIE_OK) {
            printf("kernel    %-8s %-7s    (not supported here)\n", "serial", pie_isa_name(isa));
            continue;
        }
        double probe = time_run(PIE_BACKEND_SERIAL, 1, isa, 1 << 24, 1, NULL);
        uint64_t n = probe > 0 ? (uint64_t)((quick ? 0.5 : 1.5) * (1 << 24) / probe) : 1 << 24;
        n = (n + PIE_MC_CHUNK_SAMPLES - 1) / PIE_MC_CHUNK_SAMPLES * PIE_MC_CHUNK_SAMPLES;
        double t = time_run(PIE_BACKEND_SERIAL, 1, isa, n, reps, NULL);
        row("kernel", "serial", pie_isa_name(isa), 1, n, t, (double)n / t, "samples/s");
    }
}

/* 2. Fixed cost of a process-backend run, and per-chunk cost. */
static void bench_overheads(int quick, int reps)
{
    int freps = quick ? 21 : 101;
    double ts = time_run(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO, 1, freps, NULL);
    double tp = time_run(PIE_BACKEND_PROCESS, 1, PIE_ISA_AUTO, 1, freps, NULL);
    row("fixed", "process", "auto", 1, 1, tp, (tp - ts) * 1e6, "us/run over serial");
    uint64_t nchunk = quick ? 64 : 256, n = nchunk * PIE_MC_CHUNK_SAMPLES;
    double tser = time_run(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO, n, reps, NULL);
    double tpro = time_run(PIE_BACKEND_PROCESS, 1, PIE_ISA_AUTO, n, reps, NULL);
    row("chunk", "process", "auto", 1, n, tpro, (tpro - tser) / (double)nchunk * 1e6,
        "us/chunk over serial");
    double tthr = time_run(PIE_BACKEND_THREAD, 1, PIE_ISA_AUTO, n, reps, NULL);
    if (tthr > 0)
        row("chunk", "thread", "auto", 1, n, tthr, (tthr - tser) / (double)nchunk * 1e6,
            "us/chunk over serial");
}

/* 3. Backends x workers on a large run: every backend built that runs
 * without a launcher. 0, or 1 when a run failed or the counts disagreed. */
static int bench_backends(uint64_t big, int reps)
{
    uint64_t ref = 0;
    int mismatch = 0;
    int breps = reps > 3 ? 3 : reps;
    const char *best = pie_isa_name(pie_isa_best(PIE_WORKLOAD_MC));
    for (int b = 0; b < PIE_BACKEND_COUNT; b++) {
        pie_backend be = (pie_backend)b;
        unsigned flags = pie_backend_flags(be);
        if (pie_backend_available(be) != PIE_OK || (flags & PIE_BACKEND_NEEDS_LAUNCHER))
            continue;
        double t1 = 0;
        for (unsigned w = 1; w <= 2 && !(w > 1 && (flags & PIE_BACKEND_ONE_WORKER)); w++) {
            uint64_t inside = 0;
            double t = time_run(be, w, PIE_ISA_AUTO, big, breps, &inside);
            if (t <= 0)
                return 1;
            if (!ref)
                ref = inside;
            mismatch |= inside != ref;
            if (w == 1)
                t1 = t;
            row("backends", pie_backend_name(be), best, w, big, t, (double)big / t, "samples/s");
            if (w == 2)
                row("speedup", pie_backend_name(be), best, 2, big, t, t1 / t, "x over 1 worker");
        }
    }
    if (mismatch)
        fprintf(stderr, "bench_mc: backends disagreed on the count!\n");
    return mismatch;
}

int main(int argc, char **argv)
{
    int quick = 0, reps = 5;
    uint64_t big = 10000000000ULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
            big = (uint64_t)strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv = fopen(argv[++i], "w");
            if (!csv) {
                perror("bench_mc: --csv");
                return 1;
            }
            fputs("bench,backend,kernel,workers,samples,seconds,value,unit\n", csv);
        } else {
            fprintf(stderr, "usage: bench_mc [--quick] [--repeats R] [--samples N] [--csv FILE]\n");
            return 2;
        }
    }
    if (reps < 1)
        reps = 1;
    if (quick) {
        big = 1000000000ULL;
        reps = reps > 3 ? 3 : reps;
    }
    printf("pie %s, %u cpus, features: %s; medians of %d runs\n", pie_version(), pie_online_cpus(),
           pie_cpu_features(), reps);
    printf("%-9s %-8s %-7s %2s %14s %12s %12s\n", "bench", "backend", "kernel", "W", "samples",
           "median", "value");
    bench_kernels(quick, reps);
    bench_overheads(quick, reps);
    int rc = bench_backends(big, reps);
    if (csv)
        fclose(csv);
    return rc;
}
