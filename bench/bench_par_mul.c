/** @brief One big product and one 2n/n division on 1 and 2 threads: GMP's mpz_mul and
 * mpz_tdiv_q against pie__par_mul_n (products in halves, par_crt.c) and pie__par_div_q. */
#include "par_crt.h"
#include "par_div.h"
#include "par_gmp.h"

#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/*
 * The figures in docs/digits.md ("Products on several threads", "The
 * division") come from this program (one product, three at once, a
 * division), and the two halves of a product timed apart (a comment
 * line: the weights of par_gmp.c's job order): best of R calls each (R = 30 below
 * 2^21 bits, 5 above), random operands, the results compared with GMP's.
 * Usage: bench_par_mul [MAX_LOG2_BITS] (default 26).
 */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int max_log = argc > 1 ? atoi(argv[1]) : 26;
    if (max_log < 17 || max_log > 30) {
        fprintf(stderr, "usage: bench_par_mul [MAX_LOG2_BITS, 17..30]\n");
        return 2;
    }
    gmp_randstate_t rs;
    gmp_randinit_default(rs);
    const pie__par two = pie__par_threads(2);
    printf("# kind,bits,gmp_seconds,pie_2_threads_seconds,speedup\n");
    int bad = 0;
    for (int lg = 17; lg <= max_log; lg++) {
        const unsigned long bits = 1ul << lg;
        const int reps = lg < 21 ? 30 : 5;
        mpz_t a, b, r1, r2;
        mpz_inits(a, b, r1, r2, NULL);
        mpz_urandomb(a, rs, bits);
        mpz_urandomb(b, rs, bits);
        double g = 1e30, p = 1e30;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            mpz_mul(r1, a, b);
            double t1 = now();
            pie__par_mul m = {r2, a, b};
            pie__par_mul_n(&m, 1, &two);
            double t2 = now();
            g = t1 - t0 < g ? t1 - t0 : g;
            p = t2 - t1 < p ? t2 - t1 : p;
        }
        bad |= mpz_cmp(r1, r2) != 0;
        printf("product n x n,%lu,%.5f,%.5f,%.2f\n", bits, g, p, g / p);
        /* its two halves (par_crt.c) apart on this thread: the weights the
         * pool orders them by (par_gmp.c) */
        double hm = 1e30, hp = 1e30;
        for (int i = 0; i < reps && pie__crt_available(); i++) {
            pie__crt_mul c;
            if (pie__crt_start(&c, r2, mpz_limbs_read(a), (mp_size_t)mpz_size(a), mpz_limbs_read(b),
                               (mp_size_t)mpz_size(b)) != 0)
                break;
            double t0 = now();
            pie__crt_minus(&c);
            double t1 = now();
            pie__crt_plus(&c);
            double t2 = now();
            pie__crt_finish(&c, r2, 0);
            hm = t1 - t0 < hm ? t1 - t0 : hm;
            hp = t2 - t1 < hp ? t2 - t1 : hp;
            bad |= mpz_cmp(r1, r2) != 0;
        }
        if (hm < 1e30)
            printf("# halves apart on one thread: B^n-1 then B^n+1 seconds and their "
                   "ratio,%lu,%.5f,%.5f,%.2f\n",
                   bits, hm, hp, hp / hm);
        /* three products at once (a top merge's batch on two threads) */
        mpz_t c[3], d[3], e[3];
        pie__par_mul m3[3];
        for (int j = 0; j < 3; j++) {
            mpz_inits(c[j], d[j], e[j], NULL);
            mpz_urandomb(c[j], rs, bits);
            mpz_urandomb(d[j], rs, bits);
            m3[j] = (pie__par_mul){e[j], c[j], d[j]};
        }
        g = p = 1e30;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            for (int j = 0; j < 3; j++)
                mpz_mul(r1, c[j], d[j]);
            double t1 = now();
            pie__par_mul_n(m3, 3, &two);
            double t2 = now();
            g = t1 - t0 < g ? t1 - t0 : g;
            p = t2 - t1 < p ? t2 - t1 : p;
        }
        bad |= mpz_cmp(r1, e[2]) != 0;
        printf("3 products n x n,%lu,%.5f,%.5f,%.2f\n", bits, g, p, g / p);
        for (int j = 0; j < 3; j++)
            mpz_clears(c[j], d[j], e[j], NULL);
        /* a 2n/n division, the divisor's top bit set */
        mpz_urandomb(a, rs, 2 * bits);
        mpz_setbit(b, bits - 1);
        g = p = 1e30;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            mpz_tdiv_q(r1, a, b);
            double t1 = now();
            pie__par_div_q(r2, a, b, UINT64_MAX, &two);
            double t2 = now();
            g = t1 - t0 < g ? t1 - t0 : g;
            p = t2 - t1 < p ? t2 - t1 : p;
        }
        bad |= mpz_cmp(r1, r2) != 0;
        printf("division 2n/n,%lu,%.5f,%.5f,%.2f\n", bits, g, p, g / p);
        fflush(stdout);
        mpz_clears(a, b, r1, r2, NULL);
    }
    gmp_randclear(rs);
    if (bad)
        fprintf(stderr, "bench_par_mul: a result differs from GMP's\n");
    return bad;
}
