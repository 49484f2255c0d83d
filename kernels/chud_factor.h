/** @brief Factored P and Q of the Chudnovsky splitting: a segmented sieve and gcd removal by lists.
 */
#ifndef PIE_CHUD_FACTOR_H
#define PIE_CHUD_FACTOR_H

#include <gmp.h>
#include <stddef.h>
#include <stdint.h>

/* A factorization: primes in increasing order with their exponents. */
typedef struct pie__pe {
    uint32_t p, e;
} pie__pe;

typedef struct pie__fac {
    pie__pe *v;
    size_t n, cap;
} pie__fac;

void pie__fac_clear(pie__fac *f); /* frees; a zeroed pie__fac is empty */

/* dst = x * y (exponents add). dst must differ from x and y. 0 or -1 (memory). */
int pie__fac_mul(pie__fac *dst, const pie__fac *x, const pie__fac *y);

/* g = gcd(x, y); x /= g; y /= g (entries that reach 0 disappear); out = the
 * product of g as an integer (1 when coprime). 0 or -1 (memory). */
int pie__fac_remove_gcd(pie__fac *x, pie__fac *y, mpz_t out);

/* The factorizations of p(k) = (6k-5)(2k-1)(6k-1) and of the odd part of
 * q(k) = k^3 640320^3/24 for the terms of [a, b), visited in increasing k:
 * a sieve over blocks of terms, with the primes up to sqrt(6b). */
typedef struct pie__chud_sieve pie__chud_sieve;
pie__chud_sieve *pie__chud_sieve_new(uint64_t a, uint64_t b);
void pie__chud_sieve_free(pie__chud_sieve *s);
/* The sieve's limit: its primes are those up to it. */
uint64_t pie__chud_sieve_limit(const pie__chud_sieve *s);
/* fp, fq (emptied first) for term k >= every k asked before, k >= 1.
 * 0, or -1 (memory or k out of order). The splitting asks for ranges
 * (below); this one term at a time is their reference in
 * tests/test_chud_factor.c. */
int pie__chud_sieve_term(pie__chud_sieve *s, uint64_t k, pie__fac *fp, pie__fac *fq);
/* fp, fq (emptied first): the factorizations of P(a, b) = prod p(k) and of
 * the odd part of Q(a, b) = prod q(k) over the terms [a, b) (term 0, whose
 * p and q are 1, adds nothing), a >= every k asked before: the terms' lists
 * merged in the sieve's scratch memory, with one allocation a list. Less
 * the primes that no merge inside the sieve's range [A, B) can remove: of
 * a prime above pie__chud_sieve_limit, p(k)'s place is kept only when some
 * q(k'), k < k' < B, holds it, and k^3's place only when some p(k'),
 * A <= k' < k, does (the constant's places are kept). 0, or -1 (memory or
 * a out of order). */
int pie__chud_sieve_range(pie__chud_sieve *s, uint64_t a, uint64_t b, pie__fac *fp, pie__fac *fq);

#endif
