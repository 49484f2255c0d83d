/** @brief The MPFR anchor for `pie digits`: mpfr_const_pi and its decimal conversion. */
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Usage: bench_digits_mpfr D [FILE]
 * Prints "D,seconds_const_pi,seconds_total" where the total includes the
 * conversion to D decimal digits (what a user of MPFR would need to print
 * them). With FILE, writes "3." + D digits (truncated from a value rounded
 * down, so the last digit can differ from pi's in rare cases) for comparison.
 */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    unsigned long D = strtoul(argv[1], NULL, 10);
    if (D == 0)
        D = (unsigned long)strtod(argv[1], NULL);
    double t0 = now();
    mpfr_t pi;
    mpfr_init2(pi, (mpfr_prec_t)((double)D * 3.3219280948873623 + 64));
    mpfr_const_pi(pi, MPFR_RNDD);
    double t1 = now();
    mpfr_exp_t e;
    char *s = mpfr_get_str(NULL, &e, 10, D + 1, pi, MPFR_RNDZ);
    double t2 = now();
    if (argc > 2) {
        FILE *f = fopen(argv[2], "w");
        if (!f)
            return 1;
        fprintf(f, "3.%s\n", s + 1);
        fclose(f);
    }
    printf("%lu,%.6f,%.6f\n", D, t1 - t0, t2 - t0);
    mpfr_free_str(s);
    mpfr_clear(pi);
    return 0;
}
