/** @brief Baseline for bench_hex.sh: a plain scalar one-core hex digit extractor. */
/*
 * The straightforward exact integer extractor that pie hex is measured
 * against: left-to-right binary powering of 2 with one 128-by-64-bit
 * remainder per exponent bit, each term's fraction floor(r * 2^64 / m) summed
 * mod 2^64. No Montgomery, no vectors, no threads. It prints 8 hex digits
 * (N * 2^-64 of error leaves those safe up to position ~1e9).
 *
 *   hex_ref POSITION [bellard|bbp]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static uint64_t pow2mod(uint64_t e, uint64_t m)
{
    if (m == 1)
        return 0;
    u128 r = 1;
    for (int b = e ? 63 - __builtin_clzll(e) : -1; b >= 0; b--) {
        r = r * r % m;
        if ((e >> b) & 1) {
            r <<= 1;
            r = r >= m ? r - m : r;
        }
    }
    return (uint64_t)r;
}

/* sign * 2^e / m mod 1, in units of 2^-64. */
static uint64_t term(int64_t e, uint64_t m, int neg)
{
    uint64_t v = 0;
    if (e >= 0)
        v = (uint64_t)(((u128)pow2mod((uint64_t)e, m) << 64) / m);
    else if (e > -64)
        v = (uint64_t)(((u128)1 << (64 + e)) / m);
    return neg ? 0 - v : v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: hex_ref POSITION [bellard|bbp]\n");
        return 2;
    }
    uint64_t pos = (uint64_t)strtod(argv[1], NULL);
    int bbp = argc == 3 && strcmp(argv[2], "bbp") == 0;
    if (pos < 1 || pos > UINT64_C(1000000000000)) {
        fprintf(stderr, "hex_ref: position out of range\n");
        return 2;
    }
    int64_t d = (int64_t)pos - 1;
    uint64_t sum = 0;
    if (bbp) {
        /* 16^d pi = sum 16^(d-k) (4/(8k+1) - 2/(8k+4) - 1/(8k+5) - 1/(8k+6)) */
        for (int64_t k = 0; 4 * (d - k) > -64; k++) {
            int64_t e = 4 * (d - k);
            uint64_t uk = (uint64_t)k;
            sum += term(e + 2, 8 * uk + 1, 0) + term(e - 1, 2 * uk + 1, 1) +
                   term(e, 8 * uk + 5, 1) + term(e - 1, 4 * uk + 3, 1);
        }
    } else {
        /* 2^(4d) pi = sum (-1)^k 2^(4d-6-10k) (-2^5/(4k+1) - 1/(4k+3) + 2^8/(10k+1)
         *             - 2^6/(10k+3) - 2^2/(10k+5) - 2^2/(10k+7) + 1/(10k+9)) */
        for (int64_t k = 0; 4 * d - 6 - 10 * k + 8 > -64; k++) {
            int64_t e = 4 * d - 6 - 10 * k;
            uint64_t uk = (uint64_t)k;
            int odd = (int)(k & 1);
            sum += term(e + 5, 4 * uk + 1, !odd) + term(e, 4 * uk + 3, !odd) +
                   term(e + 8, 10 * uk + 1, odd) + term(e + 6, 10 * uk + 3, !odd) +
                   term(e + 2, 10 * uk + 5, !odd) + term(e + 2, 10 * uk + 7, !odd) +
                   term(e, 10 * uk + 9, odd);
        }
    }
    printf("%08llX\n", (unsigned long long)(sum >> 32));
    return 0;
}
