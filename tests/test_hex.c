/** @brief Tests of hex extraction: arithmetic, known digits, MPFR, variants, backends, input. */
#include "bbp_hex.h"
#include "cpu.h"
#include "pie.h"

#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* splitmix64: the test's random numbers; the seed is printed. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Plain square-and-multiply with 128-bit remainders: slow, obviously right. */
static uint64_t pow2mod_naive(uint64_t e, uint64_t m)
{
    u128 r = 1 % m, b = 2 % m;
    for (; e; e >>= 1) {
        if (e & 1)
            r = r * b % m;
        b = b * b % m;
    }
    return (uint64_t)r;
}

static void test_pow2mod(void)
{
    static const uint64_t fixed[][2] = {{0, 1}, {5, 1}, {0, 3}, {1, 3}, {64, 5}, {1000, 7}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        CHECK(pie_hex_pow2mod(fixed[i][0], fixed[i][1]) == pow2mod_naive(fixed[i][0], fixed[i][1]),
              "2^%llu mod %llu", (unsigned long long)fixed[i][0], (unsigned long long)fixed[i][1]);
    for (int i = 0; i < 20000; i++) {
        int bits = 2 + (int)(rnd() % 60); /* moduli up to 2^61 */
        uint64_t m = (rnd() >> (64 - bits)) | 1, e = rnd() >> (rnd() % 64);
        uint64_t a = pie_hex_pow2mod(e, m), b = pow2mod_naive(e, m);
        CHECK(a == b, "2^%llu mod %llu: %llu, expected %llu", (unsigned long long)e,
              (unsigned long long)m, (unsigned long long)a, (unsigned long long)b);
    }
}

/* One term by division only, independent of the kernel's fixed-point code. */
static u128 term_naive(const pie_hex_series *s, unsigned j, uint64_t k)
{
    int64_t e = s->e0 - (int64_t)(s->a * k) + s->s[j];
    uint64_t m = s->b[j] * k + s->c[j];
    u128 v = 0;
    if (e >= 0) {
        u128 r = pow2mod_naive((uint64_t)e, m);
        u128 q1 = (r << 52) / m, r1 = (r << 52) % m, q2 = (r1 << 52) / m;
        v = q1 << 76 | q2 << 24;
    } else if (e >= -127) {
        v = ((u128)1 << (128 + e)) / m;
    }
    int neg = s->neg[j] ^ (s->alternating & (int)(k & 1));
    return neg ? 0 - v : v;
}

static u128 get(pie_hex_u128 v)
{
    return (u128)v.hi << 64 | v.lo;
}

/* The variants of the head sums (engine/hex.c); NULL when this CPU or build
 * lacks one. */
pie_hex_head_fn pie__hex_head_for(pie_isa isa);
static const pie_isa all_isas[] = {PIE_ISA_SCALAR, PIE_ISA_AVX2, PIE_ISA_AVX512};

/* The head sums of every variant against the division-only reference, on
 * ranges that start at odd k, end inside a group, and include k = 0 (m = 1). */
static void test_head_variants(void)
{
    struct {
        const char *name;
        pie_hex_head_fn fn;
    } variants[3];
    int nvar = 0;
    for (size_t i = 0; i < sizeof all_isas / sizeof all_isas[0]; i++) {
        pie_hex_head_fn fn = pie__hex_head_for(all_isas[i]);
        if (fn) {
            variants[nvar].name = pie_isa_name(all_isas[i]);
            variants[nvar++].fn = fn;
        }
    }
    printf("head variants tested:");
    for (int v = 0; v < nvar; v++)
        printf(" %s", variants[v].name);
    printf("\n");
    static const uint64_t positions[] = {1, 2, 17, 1000, 123457, 99999999, 1000000000000};
    for (int f = 0; f < 2; f++) {
        for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
            pie_hex_series s;
            CHECK(pie_hex_series_init(&s, f, positions[p] - 1) == PIE_K_OK, "init");
            for (int trial = 0; trial < 6; trial++) {
                if (s.k_head == 0)
                    break;
                uint64_t span = 1 + rnd() % 77;
                uint64_t k0 = trial == 0 ? 0 : rnd() % s.k_head;
                if (trial == 1)
                    k0 = s.k_head > span ? s.k_head - span : 0;
                uint64_t k1 = k0 + span < s.k_head ? k0 + span : s.k_head;
                for (unsigned j = 0; j < s.nterms; j++) {
                    u128 ref = 0;
                    for (uint64_t k = k0; k < k1; k++)
                        ref += term_naive(&s, j, k);
                    for (int v = 0; v < nvar; v++) {
                        pie_hex_u128 acc = {rnd(), rnd()};
                        u128 start = get(acc);
                        variants[v].fn(&s, j, k0, k1, &acc);
                        CHECK(get(acc) - start == ref,
                              "%s formula %d position %llu term %u k [%llu, %llu)",
                              variants[v].name, f, (unsigned long long)positions[p], j,
                              (unsigned long long)k0, (unsigned long long)k1);
                    }
                }
            }
        }
    }
}

/* Whole jobs through the kernel table, serially: both formulas, both sums
 * fix the same digits; every variant gives the same partial bytes. */
static void test_job_variants(void)
{
    static const uint64_t positions[] = {1, 1000, 250001};
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        int formulas[2] = {PIE_HEXK_BELLARD, PIE_HEXK_BBP};
        pie_hex_head_fn fns[3];
        int nfn = 0;
        for (size_t i = 0; i < sizeof all_isas / sizeof all_isas[0]; i++)
            if ((fns[nfn] = pie__hex_head_for(all_isas[i])) != NULL)
                nfn++;
        pie_hex_acc accs[3];
        for (int v = 0; v < nfn; v++) {
            pie_hex_job job;
            CHECK(pie_hex_job_init(&job, positions[p] - 1, formulas, 2, fns[v]) == PIE_K_OK,
                  "job init");
            memset(&accs[v], 0, sizeof accs[v]);
            pie_kbuf b = {0};
            for (uint64_t c = 0; c < pie_hex_job_chunks(&job); c++) {
                b.len = 0;
                CHECK(pie_hex_kernel_ops.run_chunk(&job, c, &b) == PIE_K_OK, "run chunk");
                CHECK(b.len <= pie_hex_kernel_ops.max_partial(&job, c), "partial size");
                CHECK(pie_hex_kernel_ops.merge(&accs[v], &job, c, b.data, b.len) == PIE_K_OK,
                      "merge");
            }
            /* A partial merged under the wrong chunk id, or cut short, is refused. */
            b.len = 0;
            pie_hex_kernel_ops.run_chunk(&job, 0, &b);
            pie_hex_acc scratch = {0};
            if (pie_hex_job_chunks(&job) > 1)
                CHECK(pie_hex_kernel_ops.merge(&scratch, &job, 1, b.data, b.len) == PIE_K_ECORRUPT,
                      "wrong chunk accepted");
            CHECK(pie_hex_kernel_ops.merge(&scratch, &job, 0, b.data, b.len - 1) == PIE_K_ECORRUPT,
                  "short partial accepted");
            CHECK(pie_hex_kernel_ops.run_chunk(&job, pie_hex_job_chunks(&job), &b) == PIE_K_EINVAL,
                  "chunk past the end accepted");
            pie_kbuf_free(&b);
            char d0[33], d1[33];
            unsigned n0 =
                pie_hex_certain_digits(accs[v].sum[0], pie_hex_error_bound(&job.series[0]), d0, 32);
            unsigned n1 =
                pie_hex_certain_digits(accs[v].sum[1], pie_hex_error_bound(&job.series[1]), d1, 32);
            unsigned n = n0 < n1 ? n0 : n1;
            CHECK(n >= 16 && memcmp(d0, d1, n) == 0, "formulas at %llu: %s vs %s",
                  (unsigned long long)positions[p], d0, d1);
        }
        for (int v = 1; v < nfn; v++)
            CHECK(memcmp(&accs[0], &accs[v], sizeof accs[0]) == 0, "variant %d differs at %llu", v,
                  (unsigned long long)positions[p]);
    }
}

static void test_certain_digits(void)
{
    char out[40];
    pie_hex_u128 none = {0, 0}, one = {1, 0}, sixteen = {16, 0}, four = {4, 0};
    pie_hex_u128 v = {0, UINT64_C(0x243F6A8885A308D3)};
    CHECK(pie_hex_certain_digits(v, none, out, 32) == 32, "exact value");
    CHECK(pie_hex_certain_digits(v, one, out, 10) == 10 && strcmp(out, "243F6A8885") == 0, "%s",
          out);
    /* 0x...12FFFFFFFFFFFFFFF8 +- 16 units carries into digit 16 (2 or 3). */
    pie_hex_u128 w = {UINT64_C(0xfffffffffffffff8), 0x12};
    CHECK(pie_hex_certain_digits(w, sixteen, out, 32) == 15 && strcmp(out, "000000000000001") == 0,
          "carry: %s", out);
    /* An interval that wraps past 0 or 1 fixes nothing. */
    pie_hex_u128 z = {3, 0};
    CHECK(pie_hex_certain_digits(z, four, out, 32) == 0, "wrap below 0");
    pie_hex_u128 top = {UINT64_MAX - 1, UINT64_MAX};
    CHECK(pie_hex_certain_digits(top, four, out, 32) == 0, "wrap above 1");
    /* At the largest position the bound still fixes at least 14 digits of
     * a value in the middle of its nibbles. */
    pie_hex_u128 mid = {UINT64_C(0x8888888888888888), UINT64_C(0x8888888888888888)};
    for (int f = 0; f < 2; f++) {
        pie_hex_series s;
        CHECK(pie_hex_series_init(&s, f, PIE_HEXK_MAX_POSITION - 1) == PIE_K_OK, "init");
        unsigned n = pie_hex_certain_digits(mid, pie_hex_error_bound(&s), out, 32);
        CHECK(n >= 14 && n < 32, "formula %d at the maximum position fixes %u digits", f, n);
        CHECK(pie_hex_series_init(&s, f, PIE_HEXK_MAX_POSITION) == PIE_K_EINVAL,
              "beyond the maximum accepted");
    }
}

/* PIE_ISA (ctest's forced-ISA matrix): the kernel the "auto" runs below use. */
static pie_isa forced_isa = PIE_ISA_AUTO;

static pie_ctx *make_ctx(pie_backend backend, unsigned workers, pie_isa isa)
{
    pie_ctx *ctx = pie_ctx_create();
    if (isa == PIE_ISA_AUTO)
        isa = forced_isa;
    if (!ctx || pie_ctx_set_backend(ctx, backend) != PIE_OK ||
        pie_ctx_set_workers(ctx, workers) != PIE_OK || pie_ctx_set_isa(ctx, isa) != PIE_OK) {
        pie_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

static pie_hex_result res; /* large: keep it off the stack */

static void test_known_digits(void)
{
    static const struct {
        uint64_t position;
        const char *hex;
    } known[] = {
        {1, "243F6A8885A308D3"},      {2, "43F6A8885A308D31"},    {10, "5A308D313198A2E0"},
        {100, "C29B7C97C50DD3F8"},    {1000, "349F1C09B075372C"}, {1000000, "26C65E52CB4593"},
        {10000000, "17AF5863EFED8D"},
    };
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    CHECK(ctx, "context");
    if (!ctx)
        return;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        for (int f = PIE_HEX_BELLARD; f <= PIE_HEX_BBP; f++) {
            /* 1e7 once, with the default formula, and only with a vector
             * kernel (a few seconds; the scalar one takes 8 s, more under ASan;
             * the variants are compared with scalar above). */
            if (known[i].position == 10000000 &&
                (f != PIE_HEX_BELLARD || forced_isa == PIE_ISA_SCALAR ||
                 (!pie__hex_head_for(PIE_ISA_AVX512) && !pie__hex_head_for(PIE_ISA_AVX2)))) {
                if (f == PIE_HEX_BELLARD)
                    printf("position 1e7 skipped: no vector hex kernel in this run\n");
                continue;
            }
            unsigned n = (unsigned)strlen(known[i].hex);
            pie_status st = pie_hex_run(ctx, known[i].position, n, (pie_hex_formula)f, &res);
            CHECK(st == PIE_OK && strcmp(res.hex, known[i].hex) == 0,
                  "position %llu formula %s: %s (%s), expected %s",
                  (unsigned long long)known[i].position, pie_hex_formula_name((pie_hex_formula)f),
                  res.hex, pie_strerror(st), known[i].hex);
            CHECK(res.checked_by != res.formula && res.count == n, "result fields");
            CHECK(forced_isa == PIE_ISA_AUTO || strcmp(res.kernel, pie_isa_name(forced_isa)) == 0,
                  "PIE_ISA=%s, kernel used: %s", pie_isa_name(forced_isa), res.kernel);
        }
    }
    pie_ctx_free(ctx);
}

/* Windows across the first 20,000 hex digits against mpfr_const_pi. */
static void test_mpfr_windows(void)
{
    enum { N = 20000 };
    mpfr_t pi;
    mpfr_init2(pi, 4 * N + 64);
    mpfr_const_pi(pi, MPFR_RNDZ);
    mpfr_exp_t exp;
    char *s = mpfr_get_str(NULL, &exp, 16, N + 8, pi, MPFR_RNDZ);
    CHECK(s && exp == 1 && s[0] == '3', "mpfr");
    if (!s)
        return;
    for (char *p = s; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
    const char *frac = s + 1; /* frac[i] is position i + 1 */
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    CHECK(ctx, "context");
    unsigned windows = 0;
    for (uint64_t pos = 1; ctx && pos + 40 <= N; pos += 97 + rnd() % 200) {
        pie_hex_formula f = (windows & 1) ? PIE_HEX_BBP : PIE_HEX_BELLARD;
        pie_status st = pie_hex_run(ctx, pos, 40, f, &res);
        CHECK(st == PIE_OK && memcmp(res.hex, frac + pos - 1, 40) == 0,
              "window at %llu (%s): %s, expected %.40s", (unsigned long long)pos,
              pie_hex_formula_name(f), res.hex, frac + pos - 1);
        windows++;
    }
    /* One long window: many passes, ending at position 20,000. */
    if (ctx) {
        pie_status st =
            pie_hex_run(ctx, N - PIE_HEX_MAX_COUNT + 1, PIE_HEX_MAX_COUNT, PIE_HEX_BELLARD, &res);
        CHECK(st == PIE_OK && res.passes > 1 &&
                  memcmp(res.hex, frac + N - PIE_HEX_MAX_COUNT, PIE_HEX_MAX_COUNT) == 0,
              "1000-digit window ending at %d (%u passes)", N, res.passes);
        windows++;
    }
    printf("mpfr windows: %u\n", windows);
    pie_ctx_free(ctx);
    mpfr_free_str(s);
    mpfr_clear(pi);
}

static void test_backends(void)
{
    static const pie_backend backends[] = {PIE_BACKEND_SERIAL, PIE_BACKEND_PROCESS,
                                           PIE_BACKEND_THREAD};
    static const unsigned workers[] = {1, 2, 3, 5};
    static const pie_isa isas[] = {PIE_ISA_SCALAR, PIE_ISA_AUTO, PIE_ISA_AVX2};
    char ref[64] = "";
    for (size_t b = 0; b < 3; b++) {
        if (!pie_backend_available(backends[b]))
            continue;
        for (size_t w = 0; w < 4; w++) {
            for (size_t i = 0; i < 3; i++) {
                if ((backends[b] == PIE_BACKEND_SERIAL && w > 0) ||
                    (isas[i] != PIE_ISA_AUTO &&
                     (pie_isa_check(isas[i]) != PIE_OK || !pie__hex_head_for(isas[i]))))
                    continue;
                pie_ctx *ctx = make_ctx(backends[b], workers[w], isas[i]);
                CHECK(ctx, "context");
                if (!ctx)
                    continue;
                pie_status st = pie_hex_run(ctx, 200001, 24, PIE_HEX_BELLARD, &res);
                CHECK(st == PIE_OK, "%s: %s", pie_backend_name(backends[b]),
                      pie_ctx_last_error(ctx));
                if (!ref[0])
                    strcpy(ref, res.hex);
                CHECK(strcmp(ref, res.hex) == 0, "%s, %u workers, %s kernel: %s vs %s",
                      pie_backend_name(backends[b]), workers[w], res.kernel, res.hex, ref);
                pie_ctx_free(ctx);
            }
        }
    }
}

static void test_bad_input(void)
{
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    if (!ctx)
        return;
    CHECK(pie_hex_run(ctx, 0, 1, PIE_HEX_BELLARD, &res) == PIE_EINVAL, "position 0");
    CHECK(pie_hex_run(ctx, PIE_HEX_MAX_POSITION + 1, 1, PIE_HEX_BELLARD, &res) == PIE_EINVAL,
          "position beyond the maximum");
    CHECK(pie_hex_run(ctx, PIE_HEX_MAX_POSITION, 2, PIE_HEX_BELLARD, &res) == PIE_EINVAL,
          "window beyond the maximum");
    CHECK(pie_hex_run(ctx, 1, 0, PIE_HEX_BELLARD, &res) == PIE_EINVAL, "count 0");
    CHECK(pie_hex_run(ctx, 1, PIE_HEX_MAX_COUNT + 1, PIE_HEX_BELLARD, &res) == PIE_EINVAL,
          "count too large");
    CHECK(pie_hex_run(ctx, 1, 1, (pie_hex_formula)7, &res) == PIE_EINVAL, "formula");
    CHECK(pie_hex_run(NULL, 1, 1, PIE_HEX_BELLARD, &res) == PIE_EINVAL, "NULL context");
    CHECK(pie_hex_run(ctx, 1, 1, PIE_HEX_BELLARD, NULL) == PIE_EINVAL, "NULL result");
    pie_hex_formula f;
    CHECK(pie_hex_formula_from_name("bbp", &f) == PIE_OK && f == PIE_HEX_BBP, "bbp name");
    CHECK(pie_hex_formula_from_name("nope", &f) == PIE_EINVAL, "bad name");
    pie_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    const char *isa = getenv("PIE_ISA");
    if (isa && *isa &&
        (pie_isa_from_name(isa, &forced_isa) != PIE_OK ||
         (forced_isa != PIE_ISA_AUTO && !pie__hex_head_for(forced_isa)))) {
        printf("SKIP: PIE_ISA=%s: no such hex kernel on this CPU or build\n", isa);
        return 77;
    }
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : UINT64_C(20261122);
    rng_state = seed;
    printf("seed %llu\n", (unsigned long long)seed);
    test_pow2mod();
    test_head_variants();
    test_job_variants();
    test_certain_digits();
    test_known_digits();
    test_mpfr_windows();
    test_backends();
    test_bad_input();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("all hex tests passed\n");
    return failures ? 1 : 0;
}
