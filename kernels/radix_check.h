/** @brief A linear-time check of a radix conversion: the value and its digits mod 2^61 - 1. */
#ifndef PIE_RADIX_CHECK_H
#define PIE_RADIX_CHECK_H

#include <gmp.h>
#include <stddef.h>
#include <stdint.h>

/* The prime of the check. A wrong digit string agrees with the value with
 * probability about 2^-61 unless the error is a multiple of it. */
#define PIE_RADIX_CHECK_PRIME ((UINT64_C(1) << 61) - 1)

/* y mod the prime (y >= 0). */
uint64_t pie__radix_mod_value(const mpz_t y);

/* The number written by the n digits s[0..n) in base 10 or 16 (0-9, A-F),
 * mod the prime, on up to `threads` threads; UINT64_MAX if a character is
 * not a digit of the base. */
uint64_t pie__radix_mod_text(const char *s, size_t n, unsigned base, unsigned threads);

/* (hi base^n + lo) mod the prime, for residues hi and lo. */
uint64_t pie__radix_mod_join(uint64_t hi, uint64_t lo, uint64_t n, unsigned base);

#endif
