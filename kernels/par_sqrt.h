/** @brief Square root of a small integer to many bits by Newton's iteration for 1/sqrt. */
#ifndef PIE_PAR_SQRT_H
#define PIE_PAR_SQRT_H

#include <gmp.h>
#include <stdint.h>

/* s = floor(sqrt(a) 2^bits) + d with d in {-1, 0, 1}, for 1 <= a < 2^32:
 * products only (GMP's mpz_sqrt of a 2 bits-bit integer costs about 1.8
 * times as much: bench/bench_radix.c), on this thread. PIE_K_OK or PIE_K_EINVAL (a out of
 * range). */
int pie__sqrt_ui(mpz_t s, unsigned long a, uint64_t bits);

#endif
