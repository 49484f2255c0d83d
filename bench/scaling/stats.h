/** @brief `pie bench`: the statistics of repeated timings (summary, outliers, bootstrap confidence
 * intervals, the Mann-Whitney U test), free of the harness so that they can be tested alone. */
#ifndef PIE_BENCH_STATS_H
#define PIE_BENCH_STATS_H

#include <stdint.h>

/* Resamples of every bootstrap, and the seed they start from (recorded in
 * results.json, so an interval can be recomputed exactly). */
#define BENCH_BOOTSTRAP_B 2000u
#define BENCH_BOOTSTRAP_SEED UINT64_C(0x5eed)

typedef struct bench_summary {
    unsigned n;
    double mean, median, sd, cv; /* sd: sample standard deviation (n - 1); cv = sd / mean */
    double min, max;
    double q1, q3;     /* quartiles (linear interpolation between order statistics) */
    unsigned outliers; /* values outside [q1 - 1.5 IQR, q3 + 1.5 IQR] (Tukey's fences) */
} bench_summary;

/* Summary of v[0..n-1] (n >= 1); NaN fields for n = 0. */
void bench_summarize(const double *v, unsigned n, bench_summary *s);
/* Whether v is outside the fences of s. */
int bench_is_outlier(const bench_summary *s, double v);
/* The q-quantile (0..1) of sorted[0..n-1], linear between order statistics. */
double bench_quantile(const double *sorted, unsigned n, double q);

/* A small deterministic generator (splitmix64) for resampling and shuffles. */
typedef struct bench_rng {
    uint64_t s;
} bench_rng;
uint64_t bench_rng_next(bench_rng *r);
/* Uniform in 0 .. n-1. */
unsigned bench_rng_below(bench_rng *r, unsigned n);

/* Percentile bootstrap 95% interval of the median of v (B resamples of n
 * with replacement, seeded). */
void bench_ci_median(const double *v, unsigned n, uint64_t seed, double *lo, double *hi);
/* Percentile bootstrap 95% interval of median(a) / median(b), a and b
 * resampled independently. */
void bench_ci_ratio(const double *a, unsigned na, const double *b, unsigned nb, uint64_t seed,
                    double *lo, double *hi);

/* Mann-Whitney U test of a against b (two-sided): u_a counts the pairs
 * where a is larger (ties count 1/2); z uses the normal approximation with
 * the tie correction and a continuity correction; returns the p-value. */
double bench_mann_whitney(const double *a, unsigned na, const double *b, unsigned nb, double *u_a,
                          double *z);

#endif
