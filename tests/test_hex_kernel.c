/** @brief The hex digit-extraction kernel: modular powers, head sums of every variant against a
 * division-only reference and against scalar, whole jobs, the certain-digit rule. */
#include "bbp_hex.h"
#include "cpu.h"
#include "test_util.h"
#include "variant.h"

__extension__ typedef unsigned __int128 u128;

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
        CHECKF(pie__hex_pow2mod(fixed[i][0], fixed[i][1]) ==
                   pow2mod_naive(fixed[i][0], fixed[i][1]),
               "2^%llu mod %llu", (unsigned long long)fixed[i][0], (unsigned long long)fixed[i][1]);
    for (int i = 0; i < 20000; i++) {
        int bits = 2 + (int)(test_rand() % 60); /* moduli up to 2^61 */
        uint64_t m = (test_rand() >> (64 - bits)) | 1, e = test_rand() >> (test_rand() % 64);
        uint64_t a = pie__hex_pow2mod(e, m), b = pow2mod_naive(e, m);
        CHECKF(a == b, "2^%llu mod %llu: %llu, expected %llu", (unsigned long long)e,
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

/* The head-sum variants this build and CPU run: the rows of the hex variant
 * table (engine/hex_variants.c) whose function exists and whose CPU needs are
 * met, scalar included. */
typedef struct head_variant {
    const char *name;
    pie_hex_head_fn fn;
} head_variant;

static int live_variants(head_variant *out, int max)
{
    static int told;
    int n = 0;
    unsigned have = pie__cpu_features();
    for (size_t i = 0; i < pie__hex_variants.n && n < max; i++) {
        const pie__variant *v = &pie__hex_variants.rows[i];
        if (v->fn && (have & v->needs) == v->needs)
            out[n++] = (head_variant){pie_isa_name(v->isa), (pie_hex_head_fn)v->fn};
        else if (!told)
            printf("SKIP %s head sums: %s\n", pie_isa_name(v->isa),
                   v->fn ? "this CPU lacks it" : "not in this build");
    }
    told = 1;
    return n;
}

/* The head sums of every variant against the division-only reference, on
 * ranges that start at odd k, end inside a group, and include k = 0 (m = 1). */
static void test_head_variants(void)
{
    head_variant variants[8];
    int nvar = live_variants(variants, 8);
    printf("head variants tested:");
    for (int v = 0; v < nvar; v++)
        printf(" %s", variants[v].name);
    printf("\n");
    static const uint64_t positions[] = {1, 2, 17, 1000, 123457, 99999999, 1000000000000};
    for (int f = 0; f < 2; f++) {
        for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
            pie_hex_series s;
            CHECKF(pie__hex_series_init(&s, f, positions[p] - 1) == PIE_K_OK, "init");
            for (int trial = 0; trial < 6; trial++) {
                if (s.k_head == 0)
                    break;
                uint64_t span = 1 + test_rand() % 77;
                uint64_t k0 = trial == 0 ? 0 : test_rand() % s.k_head;
                if (trial == 1)
                    k0 = s.k_head > span ? s.k_head - span : 0;
                uint64_t k1 = k0 + span < s.k_head ? k0 + span : s.k_head;
                for (unsigned j = 0; j < s.nterms; j++) {
                    u128 ref = 0;
                    for (uint64_t k = k0; k < k1; k++)
                        ref += term_naive(&s, j, k);
                    for (int v = 0; v < nvar; v++) {
                        pie_hex_u128 acc = {test_rand(), test_rand()};
                        u128 start = get(acc);
                        variants[v].fn(&s, j, k0, k1, &acc);
                        CHECKF(get(acc) - start == ref,
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
        head_variant fns[8];
        int nfn = live_variants(fns, 8);
        pie_hex_acc accs[8];
        for (int v = 0; v < nfn; v++) {
            pie_hex_job job;
            CHECKF(pie__hex_job_init(&job, positions[p] - 1, formulas, 2, fns[v].fn) == PIE_K_OK,
                   "job init");
            memset(&accs[v], 0, sizeof accs[v]);
            pie_kbuf b = {0};
            for (uint64_t c = 0; c < pie__hex_job_chunks(&job); c++) {
                b.len = 0;
                CHECKF(pie__hex_kernel_ops.run_chunk(&job, c, &b) == PIE_K_OK, "run chunk");
                CHECKF(b.len <= pie__hex_kernel_ops.max_partial(&job, c), "partial size");
                CHECKF(pie__hex_kernel_ops.merge(&accs[v], &job, c, b.data, b.len) == PIE_K_OK,
                       "merge");
            }
            /* A partial merged under the wrong chunk id, or cut short, is refused. */
            b.len = 0;
            pie__hex_kernel_ops.run_chunk(&job, 0, &b);
            pie_hex_acc scratch = {0};
            if (pie__hex_job_chunks(&job) > 1)
                CHECKF(pie__hex_kernel_ops.merge(&scratch, &job, 1, b.data, b.len) ==
                           PIE_K_ECORRUPT,
                       "wrong chunk accepted");
            CHECKF(pie__hex_kernel_ops.merge(&scratch, &job, 0, b.data, b.len - 1) ==
                       PIE_K_ECORRUPT,
                   "short partial accepted");
            CHECKF(pie__hex_kernel_ops.run_chunk(&job, pie__hex_job_chunks(&job), &b) ==
                       PIE_K_EINVAL,
                   "chunk past the end accepted");
            pie_kbuf_free(&b);
            char d0[33], d1[33];
            unsigned n0 = pie__hex_certain_digits(accs[v].sum[0],
                                                  pie__hex_error_bound(&job.series[0]), d0, 32);
            unsigned n1 = pie__hex_certain_digits(accs[v].sum[1],
                                                  pie__hex_error_bound(&job.series[1]), d1, 32);
            unsigned n = n0 < n1 ? n0 : n1;
            CHECKF(n >= 16 && memcmp(d0, d1, n) == 0, "formulas at %llu: %s vs %s",
                   (unsigned long long)positions[p], d0, d1);
        }
        for (int v = 1; v < nfn; v++)
            CHECKF(memcmp(&accs[0], &accs[v], sizeof accs[0]) == 0, "variant %s differs at %llu",
                   fns[v].name, (unsigned long long)positions[p]);
    }
}

static void test_certain_digits(void)
{
    char out[40];
    pie_hex_u128 none = {0, 0}, one = {1, 0}, sixteen = {16, 0}, four = {4, 0};
    pie_hex_u128 v = {0, UINT64_C(0x243F6A8885A308D3)};
    CHECKF(pie__hex_certain_digits(v, none, out, 32) == 32, "exact value");
    CHECKF(pie__hex_certain_digits(v, one, out, 10) == 10 && strcmp(out, "243F6A8885") == 0, "%s",
           out);
    /* 0x...12FFFFFFFFFFFFFFF8 +- 16 units carries into digit 16 (2 or 3). */
    pie_hex_u128 w = {UINT64_C(0xfffffffffffffff8), 0x12};
    CHECKF(pie__hex_certain_digits(w, sixteen, out, 32) == 15 &&
               strcmp(out, "000000000000001") == 0,
           "carry: %s", out);
    /* An interval that wraps past 0 or 1 fixes nothing. */
    pie_hex_u128 z = {3, 0};
    CHECKF(pie__hex_certain_digits(z, four, out, 32) == 0, "wrap below 0");
    pie_hex_u128 top = {UINT64_MAX - 1, UINT64_MAX};
    CHECKF(pie__hex_certain_digits(top, four, out, 32) == 0, "wrap above 1");
    /* At the largest position the bound still fixes at least 14 digits of
     * a value in the middle of its nibbles. */
    pie_hex_u128 mid = {UINT64_C(0x8888888888888888), UINT64_C(0x8888888888888888)};
    for (int f = 0; f < 2; f++) {
        pie_hex_series s;
        CHECKF(pie__hex_series_init(&s, f, PIE_HEXK_MAX_POSITION - 1) == PIE_K_OK, "init");
        unsigned n = pie__hex_certain_digits(mid, pie__hex_error_bound(&s), out, 32);
        CHECKF(n >= 14 && n < 32, "formula %d at the maximum position fixes %u digits", f, n);
        CHECKF(pie__hex_series_init(&s, f, PIE_HEXK_MAX_POSITION) == PIE_K_EINVAL,
               "beyond the maximum accepted");
    }
}

int main(void)
{
    test_begin("test_hex_kernel");
    test_pow2mod();
    test_head_variants();
    test_job_variants();
    test_certain_digits();
    return test_finish();
}
