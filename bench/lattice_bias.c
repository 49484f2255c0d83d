/** @brief Exact bias of pie's Monte Carlo lattice: counts every cell centre inside the quarter
 * disc. */
#include <mpfr.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A sample is the cell centre (X, Y) = (x|1, y|1) with x, y 32-bit, i.e. the
 * odd integers below 2^32, each with probability 2^-31; it is inside iff
 * X^2 + Y^2 < 2^64. So the exact probability of "inside" is C / 2^62 where C
 * counts the odd pairs inside, and the estimator 4 * inside / N has mean
 * 4C / 2^62: its bias is 4C / 2^62 - pi. For each odd X the admissible odd Y
 * are those with Y^2 <= 2^64 - 1 - X^2, i.e. Y <= s = isqrt(2^64 - 1 - X^2),
 * and there are (s + 1) / 2 of them. 2^31 columns; a few seconds per core.
 */

__extension__ typedef unsigned __int128 u128;

static uint64_t isqrt64(uint64_t v)
{
    uint64_t r = (uint64_t)sqrtl((long double)v);
    while (r > 0 && (u128)r * r > v)
        r--;
    while ((u128)(r + 1) * (r + 1) <= v)
        r++;
    return r;
}

int main(void)
{
    uint64_t count = 0;
#pragma omp parallel for reduction(+ : count) schedule(static)
    for (int64_t x = 0; x < ((int64_t)1 << 31); x++) {
        uint64_t X = 2 * (uint64_t)x + 1;
        uint64_t s = isqrt64(UINT64_MAX - X * X);
        count += (s + 1) / 2;
    }
    mpfr_t est, pi, bias;
    mpfr_inits2(256, est, pi, bias, (mpfr_ptr)0);
    mpfr_set_ui_2exp(est, 0, 0, MPFR_RNDN);
    mpfr_set_d(est, (double)(count >> 32), MPFR_RNDN);
    mpfr_mul_2ui(est, est, 32, MPFR_RNDN);
    mpfr_add_ui(est, est, (unsigned long)(count & 0xffffffffu), MPFR_RNDN);
    mpfr_div_2ui(est, est, 60, MPFR_RNDN); /* 4 * C / 2^62 */
    mpfr_const_pi(pi, MPFR_RNDN);
    mpfr_sub(bias, est, pi, MPFR_RNDN);
    printf("inside cells C = %llu of 2^62\n", (unsigned long long)count);
    mpfr_printf(
        "E[estimate] = 4C/2^62 = %.30Rf\npi          =          %.30Rf\nbias        = %.6Re\n", est,
        pi, bias);
    double se15 = 4.0 * sqrt(M_PI / 4 * (1 - M_PI / 4) / 1e15);
    mpfr_printf("std error at N = 1e15: %.3e; |bias| / std error = %.3Re\n", se15,
                (mpfr_div_d(bias, bias, se15, MPFR_RNDN), mpfr_abs(bias, bias, MPFR_RNDN), bias));
    mpfr_clears(est, pi, bias, (mpfr_ptr)0);
    return 0;
}
