/** @brief `pie bench`: summary statistics, Tukey outliers, bootstrap intervals and the Mann-Whitney
 * U test. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_quantile(const double *sorted, unsigned n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    unsigned i = (unsigned)pos;
    if (i + 1 >= n)
        return sorted[n - 1];
    double f = pos - (double)i;
    return sorted[i] + f * (sorted[i + 1] - sorted[i]);
}

void bench_summarize(const double *v, unsigned n, bench_summary *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    if (n == 0) {
        s->mean = s->median = s->sd = s->cv = s->min = s->max = s->q1 = s->q3 = NAN;
        return;
    }
    double *t = malloc(n * sizeof *t);
    if (!t) {
        s->mean = s->median = s->sd = s->cv = s->min = s->max = s->q1 = s->q3 = NAN;
        return;
    }
    memcpy(t, v, n * sizeof *t);
    qsort(t, n, sizeof *t, cmp_double);
    double sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += t[i];
    s->mean = sum / n;
    double ss = 0;
    for (unsigned i = 0; i < n; i++)
        ss += (t[i] - s->mean) * (t[i] - s->mean);
    s->sd = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
    s->cv = s->mean != 0 ? s->sd / s->mean : NAN;
    s->min = t[0];
    s->max = t[n - 1];
    s->median = bench_quantile(t, n, 0.5);
    s->q1 = bench_quantile(t, n, 0.25);
    s->q3 = bench_quantile(t, n, 0.75);
    for (unsigned i = 0; i < n; i++)
        s->outliers += bench_is_outlier(s, t[i]);
    free(t);
}

int bench_is_outlier(const bench_summary *s, double v)
{
    double iqr = s->q3 - s->q1;
    return s->n >= 4 && (v < s->q1 - 1.5 * iqr || v > s->q3 + 1.5 * iqr);
}

uint64_t bench_rng_next(bench_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

unsigned bench_rng_below(bench_rng *r, unsigned n)
{
    return n ? (unsigned)(bench_rng_next(r) % n) : 0;
}

/* The median of n values drawn with replacement from v (scratch: n). */
static double resampled_median(const double *v, unsigned n, bench_rng *r, double *scratch)
{
    for (unsigned i = 0; i < n; i++)
        scratch[i] = v[bench_rng_below(r, n)];
    qsort(scratch, n, sizeof *scratch, cmp_double);
    return bench_quantile(scratch, n, 0.5);
}

/* 2.5% and 97.5% percentiles of stat[0..B-1] (sorted here). */
static void percentile_interval(double *stat, unsigned b, double *lo, double *hi)
{
    qsort(stat, b, sizeof *stat, cmp_double);
    *lo = bench_quantile(stat, b, 0.025);
    *hi = bench_quantile(stat, b, 0.975);
}

void bench_ci_ratio(const double *a, unsigned na, const double *b, unsigned nb, uint64_t seed,
                    double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (na == 0 || (b && nb == 0))
        return;
    unsigned m = na > nb ? na : nb;
    double *scratch = malloc(m * sizeof *scratch);
    double *stat = malloc(BENCH_BOOTSTRAP_B * sizeof *stat);
    if (scratch && stat) {
        bench_rng r = {seed};
        for (unsigned k = 0; k < BENCH_BOOTSTRAP_B; k++) {
            double x = resampled_median(a, na, &r, scratch);
            stat[k] = b ? x / resampled_median(b, nb, &r, scratch) : x;
        }
        percentile_interval(stat, BENCH_BOOTSTRAP_B, lo, hi);
    }
    free(scratch);
    free(stat);
}

void bench_ci_median(const double *v, unsigned n, uint64_t seed, double *lo, double *hi)
{
    bench_ci_ratio(v, n, NULL, 0, seed, lo, hi);
}

/* Average ranks (1-based) of the pooled values; the tie term sum(t^3 - t). */
static double rank_pooled(const double *a, unsigned na, const double *b, unsigned nb, double *ra,
                          double *ties)
{
    unsigned n = na + nb;
    struct item {
        double v;
        unsigned from_a;
    } *it = malloc(n * sizeof *it);
    if (!it)
        return -1;
    for (unsigned i = 0; i < na; i++)
        it[i] = (struct item){a[i], 1};
    for (unsigned i = 0; i < nb; i++)
        it[na + i] = (struct item){b[i], 0};
    /* Insertion sort: n is a few dozen repeats. */
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && it[j - 1].v > it[j].v; j--) {
            struct item t = it[j];
            it[j] = it[j - 1];
            it[j - 1] = t;
        }
    *ra = 0;
    *ties = 0;
    for (unsigned i = 0; i < n;) {
        unsigned j = i;
        while (j + 1 < n && it[j + 1].v == it[i].v)
            j++;
        double rank = 0.5 * (double)(i + j) + 1.0, t = (double)(j - i + 1);
        *ties += t * t * t - t;
        for (unsigned k = i; k <= j; k++)
            *ra += it[k].from_a ? rank : 0;
        i = j + 1;
    }
    free(it);
    return 0;
}

double bench_mann_whitney(const double *a, unsigned na, const double *b, unsigned nb, double *u_a,
                          double *z)
{
    *u_a = *z = NAN;
    if (na == 0 || nb == 0)
        return NAN;
    double ra, ties;
    if (rank_pooled(a, na, b, nb, &ra, &ties) != 0)
        return NAN;
    double n1 = na, n2 = nb, n = n1 + n2;
    *u_a = ra - n1 * (n1 + 1) / 2;
    double mu = n1 * n2 / 2;
    double var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)));
    if (var <= 0) {
        *z = 0;
        return 1.0;
    }
    double d = fabs(*u_a - mu) - 0.5;
    *z = (d > 0 ? d : 0) / sqrt(var) * (*u_a < mu ? -1 : 1);
    return erfc(fabs(*z) / sqrt(2.0));
}
