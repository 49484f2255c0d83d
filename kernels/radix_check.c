/** @brief A linear-time check of a radix conversion: the value and its digits mod 2^61 - 1. */
#include "radix_check.h"

#include "par_gmp.h"

#define P PIE_RADIX_CHECK_PRIME

static uint64_t mulmod(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 u128; /* gcc and clang; -Wpedantic wants the mark */
    u128 t = (u128)a * b;
    uint64_t r = (uint64_t)(t & P) + (uint64_t)(t >> 61); /* 2^61 = 1 mod P */
    return r >= P ? r - P : r;
}

static uint64_t addmod(uint64_t a, uint64_t b)
{
    uint64_t r = a + b;
    return r >= P ? r - P : r;
}

static uint64_t powmod(uint64_t b, uint64_t e)
{
    uint64_t r = 1;
    for (; e; e >>= 1, b = mulmod(b, b))
        if (e & 1)
            r = mulmod(r, b);
    return r;
}

uint64_t pie__radix_mod_value(const mpz_t y)
{
    return (uint64_t)mpz_fdiv_ui(y, (unsigned long)P);
}

static int digit_of(char c, unsigned base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Horner over blocks of digits that fit 60 bits: 18 decimal or 15 hex. */
static uint64_t mod_serial(const char *s, size_t n, unsigned base)
{
    const unsigned block = base == 16 ? 15 : 18;
    uint64_t bb = 1;
    for (unsigned i = 0; i < block; i++)
        bb *= base;
    uint64_t r = 0;
    size_t i = 0;
    size_t head = n % block;
    while (i < n) {
        size_t len = i == 0 && head ? head : block;
        uint64_t v = 0, scale = 1;
        for (size_t k = 0; k < len; k++, i++) {
            int d = digit_of(s[i], base);
            if (d < 0)
                return UINT64_MAX;
            v = v * base + (uint64_t)d;
            scale *= base;
        }
        r = addmod(mulmod(r, len == block ? bb : scale), v);
    }
    return r;
}

typedef struct part {
    const char *s;
    size_t n;
    unsigned base;
    uint64_t r;
} part;

static void part_run(void *p)
{
    part *t = p;
    t->r = mod_serial(t->s, t->n, t->base);
}

uint64_t pie__radix_mod_text(const char *s, size_t n, unsigned base, unsigned threads)
{
    if (threads < 2 || n < 1000000)
        return mod_serial(s, n, base);
    if (threads > 8)
        threads = 8;
    part pt[8];
    pie__par_job jobs[8];
    size_t step = n / threads;
    for (unsigned t = 0; t < threads; t++) {
        size_t off = t * step, len = t + 1 == threads ? n - off : step;
        pt[t] = (part){.s = s + off, .n = len, .base = base};
        jobs[t] = (pie__par_job){part_run, &pt[t]};
    }
    pie__par_run(jobs, threads, threads);
    /* value = sum part_t base^(digits after part t) */
    uint64_t r = 0;
    for (unsigned t = 0; t < threads; t++) {
        if (pt[t].r == UINT64_MAX)
            return UINT64_MAX;
        r = addmod(mulmod(r, powmod(base, pt[t].n)), pt[t].r);
    }
    return r;
}

uint64_t pie__radix_mod_join(uint64_t hi, uint64_t lo, uint64_t n, unsigned base)
{
    return addmod(mulmod(hi % P, powmod(base, n)), lo % P);
}
