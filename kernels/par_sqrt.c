/** @brief Square root of a small integer to many bits by Newton's iteration for 1/sqrt. */
#include "par_sqrt.h"

#include "par_gmp.h"
#include "pie_kernel.h"

/*
 * r = a^(-1/2), so 2^-16 < r <= 1 for 1 <= a < 2^32. Y at precision k
 * stands for y = Y / 2^k = r (1 + delta); the invariant is
 * |delta| <= 2^-(k-20).
 *
 * Base (k <= BASE_BITS): Y = floor(2^k r) = isqrt(floor(2^(2k) / a)), so
 * 0 <= r - y < 2^-k and |delta| < 2^-k / r < 2^-(k-16).
 *
 * Step from k to k' <= 2k - LOSS (LOSS = 44):
 *   E = 2^(2k) - a Y^2, exactly: E / 2^(2k) = 1 - a y^2 = -(2 delta +
 *   delta^2), so |E| < 2^(k+22) while a Y^2 has 2k bits: the top cancels,
 *   and Y^2 is taken modulo 2^N - 1 with N >= k + 32 (pie__par_mul_mod, about
 *   half a square), E being the representative of least absolute value.
 *   Y' = Y 2^(k'-k) + floor(Y E / 2^(3k+1-k')): y' = y + y (1 - a y^2) / 2
 *   - tau with 0 <= tau < 2^-k'. Since
 *   y + y (1 - a y^2) / 2 = r (1 + delta)(1 - delta - delta^2 / 2)
 *                         = r (1 - 3 delta^2 / 2 - delta^3 / 2),
 *   |delta'| <= 1.6 delta^2 + tau / r < 1.6 2^-(2k-40) + 2^-(k'-16)
 *            <= 2^-(k'+3) + 2^-(k'-16) < 2^-(k'-20).
 *
 * Last: s = floor(a Y / 2^(k - bits)) with k = bits + 40. a y = sqrt(a)
 * (1 + delta) and sqrt(a) < 2^16, so a y 2^bits is within 2^(16 + bits - k
 * + 20) = 2^-4 of sqrt(a) 2^bits: s is its floor or one off.
 *
 * Cost: the last step's square (modulo 2^N - 1, N ~ bits/2) and product
 * (bits/2 by bits/2), with the earlier steps about as much again.
 */

#define BASE_BITS 4096u
#define LOSS 44u
#define MAX_STEPS 64

static int step(mpz_t Y, uint64_t k, uint64_t kp, unsigned long a)
{
    mpz_t c, e;
    mpz_inits(c, e, NULL);
    uint64_t n = 0;
    int rc = pie__par_mul_mod(c, Y, Y, k + 32, 1, &n);
    if (rc == PIE_K_OK) {
        mpz_set_ui(e, 0);
        mpz_setbit(e, n ? (2 * k) % n : 2 * k); /* 2^(2k), modulo 2^N - 1 when wrapped */
        mpz_submul_ui(e, c, a);
        if (n)
            pie__mod_mersenne_near(e, n);
        mpz_mul(c, Y, e);
        mpz_fdiv_q_2exp(c, c, 3 * k + 1 - kp);
        mpz_mul_2exp(Y, Y, kp - k);
        mpz_add(Y, Y, c);
    }
    mpz_clears(c, e, NULL);
    return rc;
}

int pie__sqrt_ui(mpz_t s, unsigned long a, uint64_t bits)
{
    if (a < 1 || a > 0xffffffffUL)
        return PIE_K_EINVAL;
    /* Precisions from the last down: each at most twice the one before,
     * less LOSS. */
    uint64_t ks[MAX_STEPS];
    unsigned n = 0;
    uint64_t k = bits + 40;
    while (k > BASE_BITS && n < MAX_STEPS) {
        ks[n++] = k;
        k = (k + LOSS + 1) / 2;
    }
    mpz_t Y;
    mpz_init_set_ui(Y, 1);
    mpz_mul_2exp(Y, Y, 2 * k);
    mpz_fdiv_q_ui(Y, Y, a);
    mpz_sqrt(Y, Y);
    int rc = PIE_K_OK;
    while (n > 0 && rc == PIE_K_OK) {
        uint64_t kp = ks[--n];
        rc = step(Y, k, kp, a);
        k = kp;
    }
    if (rc == PIE_K_OK) {
        mpz_mul_ui(s, Y, a);
        mpz_fdiv_q_2exp(s, s, k - bits);
    }
    mpz_clear(Y);
    return rc;
}
