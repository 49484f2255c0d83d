/** @brief Big-integer division: Newton reciprocal, a Karp-Markstein last step, a Ziv check for
 * exactness. */
#include "par_div.h"

#include "par_gmp.h"
#include "pie_kernel.h"

#include <assert.h>

/*
 * Notation. bits(x) = mpz_sizeinbase(x, 2). The divisor is normalized to B
 * with exactly L bits, d = B / 2^L in [1/2, 1); a reciprocal X at precision
 * k stands for x = X / 2^k ~ 1/d, and its error is e = 1 - d x.
 *
 * Invariant of recip(k):  |e| <= 2^-(k-1).
 *
 * Base (k <= recip_base_bits), by mpz_tdiv_q: t = k + 2, Dt = floor(B / 2^(L-t)),
 * dt = Dt / 2^t, so dt <= d < dt + 2^-t; X = floor(2^(k+t) / Dt), so
 * 1/dt - 2^-k < x <= 1/dt. Then d x <= d/dt < 1 + 2^-t/dt <= 1 + 2^(1-t) and
 * d x > d/dt - d 2^-k >= 1 - 2^-k, so |e| < max(2^(1-t), 2^-k) = 2^-k.
 *
 * Step, from X at k to X' at k' <= 2k - 4 (with k >= 8, so |e| <= 2^-7):
 *   t = k' + 3, Dt and dt = d - delta as above (0 <= delta < 2^-t);
 *   U = 2^(t+k) - Dt X, exact: u = U / 2^(t+k) = 1 - dt x = e + delta x;
 *   U' = floor(U / 2^(k-1)): u' = u - nu with 0 <= nu < 2^-(k'+4);
 *   Y = floor(X U' / 2^(k+4)): y = Y / 2^k' = x u' - tau, 0 <= tau < 2^-k';
 *   X' = X 2^(k'-k) + Y: x' = x + y.
 * Since d x = 1 - e:
 *   1 - d x' = e - (1 - e)(e + delta x - nu) + d tau
 *            = e^2 - (1 - e) delta x + (1 - e) nu + d tau,
 * and x = (1 - e)/d <= 2 (1 + |e|), (1 + |e|)^2 < 1.02, so
 *   |e'| <= e^2 + 2 (1.02) 2^-(k'+3) + 1.01 2^-(k'+4) + 2^-k'
 *        <= (0.25 + 0.255 + 0.064 + 1) 2^-k' < 2^-(k'-1)
 * using e^2 <= 2^-(2k-2) <= 2^-(k'+2). U' has about k bits, so the second
 * product is k by k; the first is k' by k, but the top of Dt X cancels
 * (|U| < 2^(t+2)), so it is taken modulo 2^N - 1 with N a little over t
 * (mul_sub), a third shorter.
 *
 * Division of A (A < B 2^n, which bits(A) = L + n - 1 gives) with m = floor(n/2)
 * and the reciprocal at k = n - m + GUARD_RECIP (so k >= m + GUARD_RECIP too):
 *
 * High half: alpha = A / 2^(L+m) < 2^(n-m); A1 = floor(A / 2^(L+m-P)),
 * a1 = A1 / 2^P in (alpha - 2^-P, alpha]; q1 = floor(A1 X / 2^(k+P)). As
 * A / (B 2^m) = alpha / d and a1 x = a1 / d - a1 e / d,
 *   |alpha/d - a1 x| < 2^(1-P) + 2^(n-m) 2 2^-(k-1) = 2^(1-P) + 2^(2-GUARD_RECIP) =: eps1,
 * so q1 >= 0 and alpha/d - q1 lies in [-eps1, 1 + eps1).
 *
 * Low half (the Karp-Markstein step: the same reciprocal, on the remainder):
 * R = A - q1 B 2^m exactly (its product wraps around too: floor(R / 2^m) has
 * about L bits, q1 B about L + n - m), so R / B = 2^m (alpha/d - q1) and, with
 * r = R / 2^L (R / B = r / d), |r| < (1 + eps1) 2^m. R2 = floor(R / 2^(L-P)),
 * r2 = R2 / 2^P in (r - 2^-P, r]; V = floor(R2 X / 2^(k+P-F)), v = V / 2^F.
 *   |R/B - v| <= (r - r2)/d + |r2| |e| / d + 2^-F
 *             < 2^(1-P) + 4 ((1 + eps1) 2^m + 2^-P) 2^-k + 2^-F
 *             <= 2^(1-P) + 4 (1 + eps1) 2^-GUARD_RECIP + 2^(2-P-k) + 2^-F.
 * With w = q1 2^m + v, A/B = q1 2^m + R/B, so |A/B - w| is that bound.
 *
 * Truncation of the operands (when b is longer than L): A = floor(a / 2^s),
 * B = floor(b / 2^s) give a/b <= (A+1)/B and a/b >= A/(B+1), so
 * |a/b - A/B| < max(1, A/B) / B < 2^n / 2^(L-1) = 2^(1-GUARD_LEN).
 *
 * With GUARD_RECIP = 24, P = F = 32, GUARD_LEN = 40 (k >= 25):
 *   |a/b - w| < 2^-31 + 2^-22 (1 + 2^-21) + 2^-55 + 2^-32 + 2^-39 < 2^-21 = 2^-ZIV.
 * So floor(a/b) lies between floor(w - 2^-ZIV) and floor(w + 2^-ZIV); when
 * these agree (all but about 2^-20 of random cases) the floor is certain.
 * Otherwise (exact multiples, a just below one) one full product a - q b
 * settles it, with at most one correction.
 */

#define GUARD_RECIP 24
#define GUARD_LEN 40
#define P 32
#define F 32
#define ZIV 21

static int mul(mpz_t r, const mpz_t a, const mpz_t b, const pie__par *par)
{
    pie__par_mul m = {.rop = r, .a = a, .b = b};
    return pie__par_mul_n(&m, 1, par);
}

/* r = x - a b for a result known to satisfy |x - a b| < 2^(bits - 2)
 * (a, b >= 0; x >= 0 given as floor(xs / 2^xsh), or 2^xsh when xs is
 * NULL): on up to two threads the product wraps around modulo 2^N - 1,
 * N >= bits (pie__par_mul_mod), since its top cancels; the difference is
 * then the representative in (-2^(N-1), 2^(N-1)) of x - a b. With more
 * threads, or on workers, the whole product. */
static int mul_sub(mpz_t r, const mpz_t xs, int64_t xsh, const mpz_t a, const mpz_t b,
                   uint64_t bits, const pie__par *par)
{
    mpz_t c;
    mpz_init(c);
    uint64_t n = 0;
    int rc = par->run || par->threads > 2 ? mul(c, a, b, par)
                                          : pie__par_mul_mod(c, a, b, bits, par->threads, &n);
    if (rc != PIE_K_OK) {
        mpz_clear(c);
        return rc;
    }
    if (xs) {
        if (xsh >= 0)
            mpz_fdiv_q_2exp(r, xs, (mp_bitcnt_t)xsh);
        else
            mpz_mul_2exp(r, xs, (mp_bitcnt_t)-xsh);
    } else {
        mpz_set_ui(r, 0);
        mpz_setbit(r, (mp_bitcnt_t)(n ? (uint64_t)xsh % n : (uint64_t)xsh)); /* 2^xsh mod 2^N - 1 */
    }
    mpz_sub(r, r, c);
    mpz_clear(c);
    if (n)
        pie__mod_mersenne_near(r, n);
    return PIE_K_OK;
}

/* Dt = floor(B / 2^(L - t)), t <= L. */
static void top(mpz_t dt, const mpz_t B, uint64_t L, uint64_t t)
{
    assert(t <= L);
    mpz_fdiv_q_2exp(dt, B, (mp_bitcnt_t)(L - t));
}

/* X with |1 - (B/2^L)(X/2^k)| <= 2^-(k-1); see the proof above. */
static int recip(mpz_t X, const mpz_t B, uint64_t L, uint64_t k, uint64_t base, const pie__par *par)
{
    mpz_t Dt, U;
    mpz_inits(Dt, U, NULL);
    int rc = PIE_K_OK;
    if (k <= base || k < 16) {
        uint64_t t = k + 2;
        top(Dt, B, L, t);
        mpz_set_ui(U, 1);
        mpz_mul_2exp(U, U, (mp_bitcnt_t)(k + t));
        mpz_tdiv_q(X, U, Dt);
        goto done;
    }
    uint64_t kp = k, kk = (kp + 1) / 2 + 2, t = kp + 3;
    assert(kk >= 8 && kp <= 2 * kk - 4);
    rc = recip(X, B, L, kk, base, par);
    if (rc != PIE_K_OK)
        goto done;
    top(Dt, B, L, t);
    mpz_t prod;
    mpz_init(prod);
    /* |U| <= 2^(t+kk) (|e| + delta x) < 2^(t+2): the top of Dt X cancels. */
    rc = mul_sub(U, NULL, (int64_t)(t + kk), Dt, X, t + 8, par);
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(U, U, (mp_bitcnt_t)(kk - 1));
        rc = mul(prod, X, U, par);
    }
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(prod, prod, (mp_bitcnt_t)(kk + 4));
        mpz_mul_2exp(X, X, (mp_bitcnt_t)(kp - kk));
        mpz_add(X, X, prod);
    }
    mpz_clear(prod);
done:
    mpz_clears(Dt, U, NULL);
    return rc;
}

/* r = floor(a / 2^s) for s >= 0, a 2^-s otherwise. */
static void shift(mpz_t r, const mpz_t a, int64_t s)
{
    if (s >= 0)
        mpz_fdiv_q_2exp(r, a, (mp_bitcnt_t)s);
    else
        mpz_mul_2exp(r, a, (mp_bitcnt_t)-s);
}

/* W = 2^F w for A / B, where bits(B) = L and A < B 2^n; see the proof above.
 * A is given as a and sa (A = shift(a, sa), exact when sa < 0): approx reads
 * only shifts of A, so the copy of A, the largest integer here (about
 * 2W bits for Chudnovsky's Q/T), never exists. */
static int approx(mpz_t W, const mpz_t a, int64_t sa, const mpz_t B, uint64_t L, uint64_t n,
                  const pie__par_div_tune *tu, const pie__par *par)
{
    uint64_t m = n / 2, k = n - m + GUARD_RECIP;
    mpz_t X, T, R;
    mpz_inits(X, T, R, NULL);
    int rc = recip(X, B, L, k, tu->recip_base_bits, par);
    if (rc == PIE_K_OK) {
        shift(T, a, sa + (int64_t)(L + m - P)); /* A1 */
        rc = mul(R, T, X, par);
    }
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(W, R, (mp_bitcnt_t)(k + P)); /* q1 */
        /* floor(R / 2^(L-P)) = floor((floor(A / 2^m) - q1 B) / 2^(L-P-m)),
         * and |floor(A / 2^m) - q1 B| < (1 + eps1) B + 1 < 2^(L+1). */
        rc = mul_sub(T, a, sa + (int64_t)m, W, B, L + 8, par);
    }
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(T, T, (mp_bitcnt_t)(L - P - m)); /* R2 */
        rc = mul(R, T, X, par);
    }
    if (rc == PIE_K_OK) {
        mpz_fdiv_q_2exp(R, R, (mp_bitcnt_t)(k + P - F)); /* V */
        mpz_mul_2exp(W, W, (mp_bitcnt_t)(m + F));
        mpz_add(W, W, R);
    }
    mpz_clears(X, T, R, NULL);
    return rc;
}

/* q = floor(a / b), with n = bits(a) - bits(b) + 1 >= 1. */
static int newton(mpz_t q, const mpz_t a, const mpz_t b, uint64_t n, const pie__par_div_tune *tu,
                  const pie__par *par)
{
    uint64_t L = n + GUARD_LEN, nb = mpz_sizeinbase(b, 2);
    /* A = shift(a, sa), B = shift(b, sa): when nb >= L the low bits of both
     * matter less than 2^(1-GUARD_LEN). */
    const int64_t sa = (int64_t)nb - (int64_t)L;
    mpz_t B, W, lo;
    mpz_inits(B, W, lo, NULL);
    shift(B, b, sa);
    assert(mpz_sizeinbase(B, 2) == L && mpz_sizeinbase(a, 2) - sa == L + n - 1);
    int rc = approx(W, a, sa, B, L, n, tu, par);
    mpz_clear(B);
    if (rc != PIE_K_OK)
        goto done;
    mpz_sub_ui(lo, W, 1ul << (F - ZIV));
    mpz_fdiv_q_2exp(lo, lo, F);
    mpz_add_ui(W, W, 1ul << (F - ZIV));
    mpz_fdiv_q_2exp(W, W, F); /* hi: floor(a/b) is lo or hi */
    if (mpz_cmp(lo, W) != 0) {
        /* Too close to an integer to tell: the remainder decides. */
        rc = mul(W, lo, b, par);
        if (rc != PIE_K_OK)
            goto done;
        mpz_sub(W, a, W);
        if (mpz_sgn(W) < 0) {
            mpz_sub_ui(lo, lo, 1);
            mpz_add(W, W, b);
        } else if (mpz_cmp(W, b) >= 0) {
            mpz_add_ui(lo, lo, 1);
            mpz_sub(W, W, b);
        }
        assert(mpz_sgn(W) >= 0 && mpz_cmp(W, b) < 0);
    }
    mpz_swap(q, lo);
done:
    mpz_clears(W, lo, NULL);
    return rc;
}

const pie__par_div_tune pie__par_div_default = {
    .min_bits = PIE_PAR_DIV_MIN_BITS,
    /* Reciprocals this short come from mpz_tdiv_q: GMP's own division
     * (with products that wrap around) beats a Newton step there. */
    .recip_base_bits = 400000u,
};

int pie__par_div_q(mpz_t q, const mpz_t a, const mpz_t b, uint64_t prec, const pie__par *par)
{
    return pie__par_div_q_tuned(q, a, b, prec, par, &pie__par_div_default);
}

int pie__par_div_q_tuned(mpz_t q, const mpz_t a, const mpz_t b, uint64_t prec, const pie__par *par,
                         const pie__par_div_tune *tu)
{
    if (mpz_sgn(a) < 0 || mpz_sgn(b) <= 0)
        return PIE_K_EINVAL;
    uint64_t na = mpz_sizeinbase(a, 2), nb = mpz_sizeinbase(b, 2);
    if (mpz_sgn(a) == 0 || na < nb) { /* a < 2^(nb-1) <= b */
        mpz_set_ui(q, 0);
        return PIE_K_OK;
    }
    uint64_t n = na - nb + 1; /* a < 2^na <= b 2^n */
    uint64_t k = n > prec ? n - prec : 0;
    mpz_t a2, r;
    mpz_inits(a2, r, NULL);
    mpz_fdiv_q_2exp(a2, a, (mp_bitcnt_t)k); /* floor(a / (b 2^k)) = floor(floor(a / 2^k) / b) */
    n -= k;
    int rc = PIE_K_OK;
    if (!par || par->threads <= 1 || n < tu->min_bits || nb < tu->min_bits || n < 64)
        mpz_tdiv_q(r, a2, b); /* exact too: the same result */
    else
        rc = newton(r, a2, b, n, tu, par);
    if (rc == PIE_K_OK) {
        mpz_mul_2exp(r, r, (mp_bitcnt_t)k);
        mpz_swap(q, r);
    }
    mpz_clears(a2, r, NULL);
    return rc;
}
