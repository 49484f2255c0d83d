/** @brief Radix conversion: a big integer to fixed-width decimal or hex text, on several threads.
 */
#ifndef PIE_RADIX_H
#define PIE_RADIX_H

#include <gmp.h>
#include <signal.h>
#include <stdint.h>

/* Returned by pie__radix_text when *stop was raised: the text is incomplete. */
#define PIE_RADIX_STOPPED 101

/* Write y >= 0 as exactly `ndigits` digits in `base` (10 or 16; zero-padded
 * on the left, upper-case hex) to out, no NUL, on up to `threads` threads
 * (at most 64; 0 or 1: the calling thread alone). y is consumed: cleared on
 * return. `stop` (may be NULL) is looked at between pieces of at most about
 * a million digits: once it is non-zero the remaining pieces are skipped and
 * PIE_RADIX_STOPPED is returned. PIE_K_OK, PIE_K_EINVAL if y < 0 or needs
 * more digits, PIE_K_ENOMEM, or PIE_RADIX_STOPPED. */
int pie__radix_text(mpz_t y, unsigned base, uint64_t ndigits, unsigned threads, char *out,
                    const volatile sig_atomic_t *stop);

/* After a conversion of floor(pi base^D) ("3" and D digits) into buf + 1
 * of a malloc'd buf of D + 3 bytes, with status rc: PIE_K_ECORRUPT unless it
 * starts with 3; on success buf becomes "3." and the digits, NUL-terminated,
 * and goes to *text; otherwise buf is freed and the status returned. */
int pie__radix_pi_text(char *buf, uint64_t D, int rc, char **text);

#endif
