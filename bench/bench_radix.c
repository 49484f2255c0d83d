/** @brief The decimal conversion and the square root of Chudnovsky's last steps: GMP's
 * mpz_get_str and mpz_sqrt against pie's products-only versions on 1 and 2 threads. */
#include "par_sqrt.h"
#include "radix_frac.h"

#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The figures in docs/digits.md ("The decimal conversion by products", "The
 * square root") come from this program: for D digits, the text of a random
 * D-digit integer by mpz_get_str against the D digits of a random fraction of
 * 3.33 D + 34 bits (whose integer floor(f 10^D / 2^m) is that integer) by
 * pie__radix_frac_text, with its powers of 5 (built once per conversion,
 * included); and sqrt(10005) to 3.33 D + 16 bits, mpz_sqrt against
 * pie__sqrt_ui. Best of R runs (R = 5 below 10^7 digits, 3 above), the digits
 * compared with GMP's. Usage: bench_radix [MAX_DIGITS] (default 10^7).
 */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* pie's conversion of f / 2^m to D digits on `threads` threads: seconds. */
static double frac_text(const mpz_t f, uint64_t m, uint64_t D, unsigned threads, char *out, int *rc)
{
    double t0 = now();
    pie__pow5_set *p = pie__pow5_set_new(D, NULL, 0, threads);
    pie__frac x = {.m = m, .ndigits = D};
    mpz_init_set(x.f, f);
    *rc = p ? pie__radix_frac_text(&x, p, threads, out, NULL) : -1;
    pie__pow5_set_free(p);
    return now() - t0;
}

int main(int argc, char **argv)
{
    double max = argc > 1 ? strtod(argv[1], NULL) : 1e7;
    if (!(max >= 1e4 && max <= 1e9)) {
        fprintf(stderr, "usage: bench_radix [MAX_DIGITS, 1e4..1e9]\n");
        return 2;
    }
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    printf("# kind,digits,gmp_seconds,pie_1_thread_seconds,pie_2_threads_seconds\n");
    int bad = 0;
    for (double dd = 1e5; dd <= max * 1.001; dd *= 10) {
        const uint64_t D = (uint64_t)dd;
        const int reps = D < 10000000 ? 5 : 3;
        const uint64_t m = (D * 33219281 + 9999999) / 10000000 + 34;
        mpz_t f, y, s1, s2;
        mpz_inits(f, y, s1, s2, NULL);
        mpz_urandomb(f, rs, m);
        mpz_ui_pow_ui(y, 5, D);
        mpz_mul(y, y, f);
        mpz_fdiv_q_2exp(y, y, m - D);
        char *ref = malloc(D + 2), *out = malloc(D + 1);
        double g = 1e30, p1 = 1e30, p2 = 1e30;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            mpz_get_str(ref, 10, y);
            double t = now() - t0;
            g = t < g ? t : g;
            for (unsigned th = 1; th <= 2; th++) {
                int rc;
                t = frac_text(f, m, D, th, out, &rc);
                size_t len = strlen(ref);
                bad |= rc != 0 || len > D || memcmp(out + (D - len), ref, len) != 0;
                double *best = th == 1 ? &p1 : &p2;
                *best = t < *best ? t : *best;
            }
        }
        printf("decimal conversion,%llu,%.4f,%.4f,%.4f\n", (unsigned long long)D, g, p1, p2);
        const uint64_t bits = m - 34 + 16;
        g = p1 = 1e30;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            mpz_set_ui(s1, 10005);
            mpz_mul_2exp(s1, s1, 2 * bits);
            mpz_sqrt(s1, s1);
            double t1 = now();
            pie__sqrt_ui(s2, 10005, bits);
            double t2 = now();
            g = t1 - t0 < g ? t1 - t0 : g;
            p1 = t2 - t1 < p1 ? t2 - t1 : p1;
        }
        mpz_sub(s2, s2, s1);
        bad |= mpz_cmpabs_ui(s2, 1) > 0;
        printf("square root of 10005,%llu,%.4f,%.4f,\n", (unsigned long long)D, g, p1);
        fflush(stdout);
        free(ref);
        free(out);
        mpz_clears(f, y, s1, s2, NULL);
    }
    gmp_randclear(rs);
    if (bad)
        fprintf(stderr, "bench_radix: a result differs from GMP's\n");
    return bad;
}
