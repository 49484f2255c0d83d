/** @brief The digits tests' reference: "3." and D digits of pi from MPFR, widened until certain. */
#ifndef PIE_TEST_MPFR_REF_H
#define PIE_TEST_MPFR_REF_H

#include <mpfr.h>
#include <stdlib.h>
#include <string.h>

/* "3." and the first D digits (base 10 or 16, upper case) after the point,
 * truncated: pi is bracketed by two neighbouring MPFR values whose digits
 * must agree, else the precision grows. malloc'd. */
static char *mpfr_digits(unsigned long D, int base)
{
    mpfr_prec_t prec = (mpfr_prec_t)(D * (base == 16 ? 4.0 : 3.33) + 64);
    for (;;) {
        mpfr_t lo, hi;
        mpfr_inits2(prec, lo, hi, (mpfr_ptr)0);
        mpfr_const_pi(lo, MPFR_RNDD);
        mpfr_set(hi, lo, MPFR_RNDN);
        mpfr_nextabove(hi);
        mpfr_exp_t e1, e2;
        char *s1 = mpfr_get_str(NULL, &e1, base, D + 1, lo, MPFR_RNDZ);
        char *s2 = mpfr_get_str(NULL, &e2, base, D + 1, hi, MPFR_RNDZ);
        int same = e1 == 1 && e2 == 1 && strcmp(s1, s2) == 0;
        char *out = NULL;
        if (same) {
            out = malloc(D + 3);
            out[0] = '3';
            out[1] = '.';
            for (unsigned long i = 0; i < D; i++) {
                char c = s1[i + 1];
                out[i + 2] = (char)(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
            }
            out[D + 2] = 0;
        }
        mpfr_free_str(s1);
        mpfr_free_str(s2);
        mpfr_clears(lo, hi, (mpfr_ptr)0);
        if (out)
            return out;
        prec += 64;
    }
}

#endif
