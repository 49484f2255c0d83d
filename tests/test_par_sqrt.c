/** @brief pie__sqrt_ui (Newton's 1/sqrt) against GMP's mpz_sqrt: within one unit, every size. */
#include "par_sqrt.h"
#include "pie_kernel.h"
#include "test_util.h"

#include <gmp.h>

/* s must be floor(sqrt(a) 2^bits) or one off. */
static void check(unsigned long a, uint64_t bits)
{
    mpz_t s, ref;
    mpz_inits(s, ref, NULL);
    int rc = pie__sqrt_ui(s, a, bits);
    mpz_set_ui(ref, a);
    mpz_mul_2exp(ref, ref, 2 * bits);
    mpz_sqrt(ref, ref);
    mpz_sub(ref, s, ref);
    CHECKF(rc == PIE_K_OK && mpz_cmpabs_ui(ref, 1) <= 0,
           "sqrt(%lu) to %llu bits: rc %d, off by %ld", a, (unsigned long long)bits, rc,
           mpz_fits_slong_p(ref) ? mpz_get_si(ref) : 999999L);
    mpz_clears(s, ref, NULL);
}

int main(void)
{
    test_begin("test_par_sqrt");
    static const unsigned long args[] = {
        1, 2, 3, 4, 10005, 65535, 65536, 1000003, 0xfffffffbUL, 0xffffffffUL};
    /* The base case alone, one step, several; either side of the steps'
     * sizes; Chudnovsky's at 1e6 digits (W + 16 bits). */
    static const uint64_t sizes[] = {0,    1,    64,    4055,  4056,   4057,   8000,
                                     8100, 9999, 65536, 80001, 400000, 3321962};
    for (unsigned i = 0; i < sizeof args / sizeof *args; i++)
        for (unsigned j = 0; j < sizeof sizes / sizeof *sizes; j++)
            if (sizes[j] < 1000000 || args[i] == 10005)
                check(args[i], sizes[j]);
    for (int r = 0; r < 300; r++)
        check(1 + test_rand() % 0xffffffffUL, test_rand() % 200000);
    mpz_t s;
    mpz_init(s);
    CHECK(pie__sqrt_ui(s, 0, 100) == PIE_K_EINVAL);
    mpz_clear(s);
    return test_finish();
}
