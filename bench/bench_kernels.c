/** @brief MC kernel benchmark: samples/s, cycles/sample per variant; 1 vs 2 workers per backend. */
#include <pie.h>

#include "mc_kernel.h"
#include "mc_simd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

/*
 * Two parts, every figure the median of R repeats (machines here are shared
 * and noisy):
 *
 * kernel  each variant this CPU supports, called directly on one core for
 *         about --time seconds per repeat (a fresh range of samples each
 *         time). Reports samples/s over wall time, samples/s over the
 *         thread's CPU time (what the core did while it had the CPU, so less
 *         sensitive to other load), and cycles/sample = TSC ticks per CPU
 *         second (calibrated against CLOCK_MONOTONIC) x CPU seconds / samples:
 *         reference cycles at the TSC rate, not the core's boosted clock.
 * backend pie_mc_run (the public API) with the process and thread backends
 *         at 1 and 2 workers on --samples samples: samples/s and the speed-up
 *         of 2 workers over 1.
 *
 * Usage: bench_kernels [--repeats R] [--time S] [--samples N] [--isa NAME]
 *                      [--kernels-only] [--csv FILE]
 */

typedef struct kernel {
    const char *name;
    pie_isa isa; /* the variant that must be supported for this row */
    pie_mc_count_fn fn;
    int needs_vaes; /* also needs VAES (the 256-bit AVX2 path) */
} kernel;

static const kernel kernels[] = {
    {"scalar", PIE_ISA_SCALAR, pie__mc_count_scalar, 0},
#ifdef PIE_HAVE_ISA_AESNI
    {"aesni", PIE_ISA_AESNI, pie__mc_count_aesni, 0},
#endif
#ifdef PIE_HAVE_ISA_AVX2
    {"avx2-aes128", PIE_ISA_AVX2, pie__mc_count_avx2, 0},
    {"avx2-vaes", PIE_ISA_AVX2, pie__mc_count_avx2_vaes, 1},
#endif
#ifdef PIE_HAVE_ISA_AVX512
    {"avx512", PIE_ISA_AVX512, pie__mc_count_avx512, 0},
#endif
};

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
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

static void csv_row(const char *part, const char *name, unsigned workers, uint64_t samples,
                    double wall_rate, double cpu_rate, double cycles, double speedup)
{
    if (csv)
        fprintf(csv, "%s,%s,%u,%llu,%.6g,%.6g,%.4f,%.4f\n", part, name, workers,
                (unsigned long long)samples, wall_rate, cpu_rate, cycles, speedup);
}

/* TSC ticks per second, from a 50 ms window against CLOCK_MONOTONIC. */
static double tsc_hz(void)
{
#if !HAVE_TSC
    return 0; /* no TSC: cycles/sample is reported as 0 */
#else
    double t0 = clock_s(CLOCK_MONOTONIC);
    unsigned long long c0 = __rdtsc();
    while (clock_s(CLOCK_MONOTONIC) - t0 < 0.05)
        ;
    unsigned long long c1 = __rdtsc();
    return (double)(c1 - c0) / (clock_s(CLOCK_MONOTONIC) - t0);
#endif
}

static volatile uint64_t sink; /* keeps the counts alive */

/* Samples to run for about `seconds` of this kernel, from a doubling probe. */
static uint64_t calibrate(const kernel *k, double seconds)
{
    uint64_t n = 1 << 16;
    for (;;) {
        double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        sink += k->fn(12345, 1, n);
        double dt = clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
        if (dt > 0.02 || n > (UINT64_C(1) << 40))
            return (uint64_t)((double)n * seconds / (dt > 0 ? dt : 1e-9)) | 1;
        n *= 2;
    }
}

static int supported(const kernel *k)
{
    if (pie_isa_check(PIE_WORKLOAD_MC, k->isa) != PIE_OK)
        return 0;
    return !k->needs_vaes || strstr(pie_cpu_features(), "vaes") != NULL;
}

static void bench_kernels_part(int reps, double seconds, double hz)
{
    printf("kernel (one core, median of %d; cycles = TSC ticks at %.3f GHz over thread CPU "
           "time)\n",
           reps, hz * 1e-9);
    printf("  %-12s %14s %12s %12s %10s\n", "variant", "samples", "samples/s", "cpu samp/s",
           "cyc/sample");
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        const kernel *k = &kernels[i];
        if (!supported(k)) {
            printf("  %-12s skipped: this CPU lacks it\n", k->name);
            continue;
        }
        uint64_t n = calibrate(k, seconds);
        double wall[64], cpu[64];
        for (int r = 0; r < reps; r++) {
            /* An odd first index and a fresh range each time: no caching of
             * anything, and the odd head and tail are included. */
            uint64_t first = (uint64_t)r * n + 1;
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
            sink += k->fn(7, first, n);
            cpu[r] = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
            wall[r] = clock_s(CLOCK_MONOTONIC) - w0;
        }
        double tw = median(wall, reps), tc = median(cpu, reps);
        double cyc = tc * hz / (double)n;
        printf("  %-12s %14llu %12.4g %12.4g %10.3f\n", k->name, (unsigned long long)n,
               (double)n / tw, (double)n / tc, cyc);
        csv_row("kernel", k->name, 1, n, (double)n / tw, (double)n / tc, cyc, 0);
    }
}

/* Median wall seconds of `reps` pie_mc_run calls; -1 on failure. */
static double time_backend(pie_backend b, unsigned workers, pie_isa isa, uint64_t n, int reps,
                           const char **kname)
{
    pie_ctx *ctx = pie_ctx_create();
    double t[64];
    int ok = ctx && pie_ctx_set_backend(ctx, b) == PIE_OK &&
             pie_ctx_set_workers(ctx, workers) == PIE_OK && pie_ctx_set_isa(ctx, isa) == PIE_OK;
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = n;
    for (int r = 0; ok && r < reps; r++) {
        pie_mc_result *res = NULL;
        pie_status st = pie_mc_run(ctx, &o, &res);
        if (st != PIE_OK) {
            fprintf(stderr, "bench_kernels: %s backend: %s\n", pie_backend_name(b),
                    pie_ctx_last_error(ctx));
            pie_result_free(res);
            ok = 0;
            break;
        }
        t[r] = res->seconds;
        *kname = res->kernel; /* static storage */
        pie_result_free(res);
    }
    pie_ctx_free(ctx);
    return ok ? median(t, reps) : -1.0;
}

static void bench_backends_part(int reps, uint64_t n, pie_isa isa)
{
    printf("\nbackend (pie_mc_run, %llu samples, median of %d wall times)\n", (unsigned long long)n,
           reps);
    printf("  %-8s %-7s %7s %12s %9s\n", "backend", "kernel", "workers", "samples/s", "speed-up");
    /* The backends with a worker axis that run without a launcher. */
    for (int i = 0; i < PIE_BACKEND_COUNT; i++) {
        pie_backend be = (pie_backend)i;
        if (pie_backend_flags(be) & (PIE_BACKEND_ONE_WORKER | PIE_BACKEND_NEEDS_LAUNCHER))
            continue;
        double one = 0;
        for (unsigned w = 1; w <= 2; w++) {
            const char *kname = "?";
            double t = pie_backend_available(be) == PIE_OK
                           ? time_backend(be, w, isa, n, reps, &kname)
                           : -1;
            if (t < 0) {
                printf("  %-8s unavailable\n", pie_backend_name(be));
                break;
            }
            double rate = (double)n / t;
            if (w == 1)
                one = rate;
            printf("  %-8s %-7s %7u %12.4g %8.3fx\n", pie_backend_name(be), kname, w, rate,
                   rate / one);
            csv_row("backend", pie_backend_name(be), w, n, rate, 0, 0, rate / one);
        }
    }
}

static int usage(const char *msg)
{
    fprintf(stderr,
            "bench_kernels: %s\nusage: bench_kernels [--repeats R] [--time S] [--samples N] "
            "[--isa NAME] [--kernels-only] [--csv FILE]\n",
            msg);
    return 2;
}

int main(int argc, char **argv)
{
    int reps = 5, kernels_only = 0;
    double seconds = 0.4;
    uint64_t n = UINT64_C(3000000000);
    pie_isa isa = PIE_ISA_AUTO;
    const char *csv_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--kernels-only")) {
            kernels_only = 1;
            continue;
        }
        if (!v)
            return usage("missing value or unknown option");
        i++;
        if (!strcmp(a, "--repeats"))
            reps = atoi(v);
        else if (!strcmp(a, "--time"))
            seconds = atof(v);
        else if (!strcmp(a, "--samples"))
            n = (uint64_t)strtod(v, NULL);
        else if (!strcmp(a, "--csv"))
            csv_path = v;
        else if (!strcmp(a, "--isa")) {
            if (pie_isa_from_name(v, &isa) != PIE_OK)
                return usage("unknown --isa");
        } else
            return usage("unknown option");
    }
    if (reps < 1 || reps > 64 || !(seconds > 0) || n < 1)
        return usage("need 1 <= R <= 64, S > 0, N >= 1");
    if (csv_path) {
        csv = fopen(csv_path, "w");
        if (!csv) {
            perror(csv_path);
            return 1;
        }
        fprintf(csv, "part,name,workers,samples,samples_per_s,cpu_samples_per_s,"
                     "cycles_per_sample,speedup\n");
    }
    double hz = tsc_hz();
    printf("pie %s, CPU features: %s, auto = %s\n", pie_version(), pie_cpu_features(),
           pie_isa_name(pie_isa_best(PIE_WORKLOAD_MC)));
    bench_kernels_part(reps, seconds, hz);
    if (!kernels_only)
        bench_backends_part(reps < 3 ? reps : 3, n, isa);
    if (csv)
        fclose(csv);
    return 0;
}
