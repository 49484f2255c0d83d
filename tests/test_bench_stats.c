/** @brief The bench's statistics on synthetic data with known answers: summary, Tukey outliers,
 * bootstrap intervals (fixed seed), Mann-Whitney U against hand-computed examples. */
#include "stats.h"
#include "test_util.h"

#include <math.h>

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

static void summary(void)
{
    const double v[] = {1, 2, 3, 4, 100};
    bench_summary s;
    bench_summarize(v, 5, &s);
    CHECK(s.n == 5);
    CHECK(near(s.mean, 22.0, 1e-12));
    CHECK(near(s.median, 3.0, 1e-12));
    CHECKF(near(s.sd, 43.617656975128774, 1e-9), "sd %.12g", s.sd);
    CHECK(near(s.cv, 43.617656975128774 / 22.0, 1e-9));
    CHECK(s.min == 1 && s.max == 100);
    CHECK(near(s.q1, 2.0, 1e-12) && near(s.q3, 4.0, 1e-12));
    CHECKF(s.outliers == 1, "outliers %u", s.outliers); /* fences [-1, 7]: 100 only */
    CHECK(bench_is_outlier(&s, 100) && !bench_is_outlier(&s, 4));
    const double even[] = {4, 1, 3, 2};
    bench_summarize(even, 4, &s);
    CHECK(near(s.median, 2.5, 1e-12) && s.outliers == 0);
    bench_summarize(v, 0, &s);
    CHECK(isnan(s.mean) && isnan(s.median));
}

static void bootstrap(void)
{
    double lo, hi;
    const double c[] = {2, 2, 2, 2, 2};
    bench_ci_median(c, 5, BENCH_BOOTSTRAP_SEED, &lo, &hi);
    CHECK(lo == 2 && hi == 2);
    const double one[] = {1, 1, 1}, two[] = {2, 2, 2};
    bench_ci_ratio(two, 3, one, 3, 7, &lo, &hi);
    CHECK(lo == 2 && hi == 2);
    /* Spread data: the interval holds the median, lies within min..max,
     * and a fixed seed gives the same interval every time. */
    const double v[] = {10, 11, 12, 13, 14, 15, 16, 17, 18};
    double lo2, hi2;
    bench_ci_median(v, 9, 42, &lo, &hi);
    bench_ci_median(v, 9, 42, &lo2, &hi2);
    CHECK(lo == lo2 && hi == hi2);
    CHECKF(lo <= 14 && hi >= 14 && lo >= 10 && hi <= 18 && hi > lo, "[%g, %g]", lo, hi);
    /* The median of 9 values is an order statistic: the interval's ends
     * are data values (2.5% / 97.5% of 2000 resampled medians). */
    CHECK(lo == floor(lo) && hi == floor(hi));
    /* Ratio of clearly different samples: the interval excludes 1. */
    const double fast[] = {1.0, 1.1, 0.9, 1.05, 0.95}, slow[] = {2.0, 2.1, 1.9, 2.05, 1.95};
    bench_ci_ratio(slow, 5, fast, 5, 1, &lo, &hi);
    CHECKF(lo > 1.6 && hi < 2.5 && lo <= 2 && hi >= 1.9, "[%g, %g]", lo, hi);
}

static void mann_whitney(void)
{
    double u, z;
    /* No overlap, 3 against 3: U = 0; z = -(4.5 - 0.5) / sqrt(9 * 7 / 12). */
    const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    double p = bench_mann_whitney(a, 3, b, 3, &u, &z);
    CHECK(u == 0);
    CHECKF(near(z, -1.7457431218879391, 1e-12), "z %.15g", z);
    CHECKF(near(p, 0.0808555983700523, 1e-12), "p %.15g", p);
    p = bench_mann_whitney(b, 3, a, 3, &u, &z);
    CHECK(u == 9 && near(z, 1.7457431218879391, 1e-12) && near(p, 0.0808555983700523, 1e-12));
    /* With ties: {1,2,2,3} against {2,3,4,5}. Ranks 1, 3, 3, 5.5 for a
     * (R = 12.5, U = 2.5); tie term 3^3-3 + 2^3-2 = 30; var = 16/12 (9 - 30/56). */
    const double c[] = {1, 2, 2, 3}, d[] = {2, 3, 4, 5};
    p = bench_mann_whitney(c, 4, d, 4, &u, &z);
    CHECK(u == 2.5);
    CHECKF(near(z, -1.4883513944689681, 1e-12), "z %.15g", z);
    CHECKF(near(p, 0.13665824773814753, 1e-12), "p %.15g", p);
    /* Identical samples: no difference at all. */
    p = bench_mann_whitney(a, 3, a, 3, &u, &z);
    CHECK(u == 4.5 && p == 1.0);
    /* 20 against 20, no overlap: far below 0.001. */
    double x[20], y[20];
    for (int i = 0; i < 20; i++)
        x[i] = i, y[i] = 100 + i;
    p = bench_mann_whitney(x, 20, y, 20, &u, &z);
    CHECK(u == 0 && p < 1e-6);
}

int main(void)
{
    test_begin("test_bench_stats");
    summary();
    bootstrap();
    mann_whitney();
    return test_finish();
}
