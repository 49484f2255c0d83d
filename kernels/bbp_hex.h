/** @brief BBP-type hex digit extraction: modular sums in k-ranges, 128-bit fixed-point partials. */
#ifndef PIE_BBP_HEX_H
#define PIE_BBP_HEX_H

#include "pie_kernel.h"

#include <stdint.h>

/*
 * Both formulas are written as one shape: frac(16^d pi) is, mod 1,
 *
 *     sum over k >= 0, j < nterms of  sign_j(k) * 2^(e0 - a*k + s_j) / (b_j*k + c_j)
 *
 * with every modulus odd (the even BBP denominators 8k+4, 8k+6 are divided by
 * their power of two, which goes into the exponent), so Montgomery arithmetic
 * applies to every term.
 *
 *   BBP:      e0 = 4d, a = 4, terms +4/(8k+1) -2/(8k+4) -1/(8k+5) -1/(8k+6)
 *   Bellard:  e0 = 4d - 6, a = 10, alternating sign, seven terms.
 *
 * A "head" term (exponent >= 0) is 2^e mod m over m, cut to 104 fraction bits
 * exactly (floor(r * 2^104 / m)); a "tail" term (exponent in [-127, -1]) is
 * floor(2^(128+e) / m); later terms are below 2^-123 in all and are counted in
 * the error bound. The sum is kept mod 1 as a 128-bit fraction; since every
 * term is an exact floor, the partial of a chunk is the same bytes whatever
 * the instruction set, and the truncation error of each term is below 2^-104.
 */

/* Formulas. */
enum { PIE_HEXK_BBP = 0, PIE_HEXK_BELLARD = 1 };

/* The largest position (1-based) the kernel supports: the moduli then stay
 * below 2^43 (the vector kernels need < 2^49, the scalar one < 2^52) and the
 * error bound leaves at least 14 certain hex digits per pass. */
#define PIE_HEXK_MAX_POSITION UINT64_C(1000000000000)

#define PIE_HEXK_MAX_TERMS 7

/* A 128-bit fraction of one (value / 2^128). */
typedef struct pie_hex_u128 {
    uint64_t lo, hi;
} pie_hex_u128;

/* One series at one position. */
typedef struct pie_hex_series {
    int formula;
    unsigned nterms;
    int alternating; /* sign also flips with k (Bellard) */
    int64_t e0;      /* exponent at k = 0 before s_j */
    uint64_t a;      /* exponent decrease per k */
    int s[PIE_HEXK_MAX_TERMS];
    int neg[PIE_HEXK_MAX_TERMS]; /* sign of the term at even k */
    uint64_t b[PIE_HEXK_MAX_TERMS], c[PIE_HEXK_MAX_TERMS];
    uint64_t k_head; /* k < k_head: every exponent >= 0 */
    uint64_t k_end;  /* k >= k_end: every exponent < -127 */
} pie_hex_series;

/*
 * Add to *acc (mod 2^128) the head terms j of k in [k0, k1), all of which
 * must have k < k_head. Every variant gives the same sum.
 */
typedef void (*pie_hex_head_fn)(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                                pie_hex_u128 *acc);

void pie__hex_head_scalar(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                          pie_hex_u128 *acc);
#ifdef PIE_HAVE_HEX_AVX512
/* AVX-512 IFMA: 52-bit Montgomery arithmetic, 32 terms at a time; moduli < 2^49. */
void pie__hex_head_avx512(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                          pie_hex_u128 *acc);
#endif
#ifdef PIE_HAVE_HEX_AVX2
/* AVX2 + FMA: double-precision residues with exact FMA remainders, 16 terms
 * at a time; moduli < 2^50. */
void pie__hex_head_avx2(const pie_hex_series *s, unsigned j, uint64_t k0, uint64_t k1,
                        pie_hex_u128 *acc);
#endif

/* Fill *s for `formula` at digit offset d = position - 1; PIE_K_EINVAL when
 * the formula is unknown or d + 1 exceeds PIE_HEXK_MAX_POSITION. */
int pie__hex_series_init(pie_hex_series *s, int formula, uint64_t d);

/* 2^e mod m for odd m < 2^62 (the scalar Montgomery reference). */
uint64_t pie__hex_pow2mod(uint64_t e, uint64_t m);

/* The error bound of a full sum of `s`, as a fraction (units of 2^-128). */
pie_hex_u128 pie__hex_error_bound(const pie_hex_series *s);

/* Write the leading hex digits (upper case) of frac that are the same for
 * every value within err units of it; at most max digits, NUL-terminated
 * (out has room for max + 1). Returns how many. */
unsigned pie__hex_certain_digits(pie_hex_u128 frac, pie_hex_u128 err, char *out, unsigned max);

/* ------------------------------------------------------------------------ */
/* The job: one or two series at the same position, cut into k-ranges.      */

#define PIE_HEXK_MAX_SERIES 2

typedef struct pie_hex_job {
    unsigned nseries;
    pie_hex_series series[PIE_HEXK_MAX_SERIES];
    uint64_t chunk_k[PIE_HEXK_MAX_SERIES]; /* k per chunk, a multiple of 32 */
    uint64_t nchunks[PIE_HEXK_MAX_SERIES];
    pie_hex_head_fn head;
} pie_hex_job;

/* The accumulator: one sum per series, chunks merged so far. */
typedef struct pie_hex_acc {
    pie_hex_u128 sum[PIE_HEXK_MAX_SERIES];
} pie_hex_acc;

/* Build the job for digit offset d and the given formulas (1 or 2). The chunk
 * layout depends on (d, formulas) only. */
int pie__hex_job_init(pie_hex_job *job, uint64_t d, const int *formulas, unsigned nformulas,
                      pie_hex_head_fn head);
uint64_t pie__hex_job_chunks(const pie_hex_job *job);
extern const pie_kernel_ops pie__hex_kernel_ops;

#endif
