/** @brief pie_hex_run: known digits, MPFR windows, backends and variants, progress, bad input. */
#include "test_util.h"

#include <mpfr.h>
#include <signal.h>

/* PIE_ISA (ctest's forced-ISA matrix): the kernel the "auto" runs below use. */
static pie_isa forced_isa = PIE_ISA_AUTO;

/* The kernel an "auto" run uses in this test. */
static pie_isa auto_isa(void)
{
    return forced_isa == PIE_ISA_AUTO ? pie_isa_best(PIE_WORKLOAD_HEX) : forced_isa;
}

static pie_ctx *make_ctx(pie_backend backend, unsigned workers, pie_isa isa)
{
    if (isa == PIE_ISA_AUTO)
        isa = forced_isa;
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx || pie_ctx_set_backend(ctx, backend) != PIE_OK ||
        pie_ctx_set_workers(ctx, workers) != PIE_OK || pie_ctx_set_isa(ctx, isa) != PIE_OK) {
        pie_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

/* One run: *r is the result (free it with pie_result_free). */
static pie_status hex(pie_ctx *ctx, uint64_t position, unsigned count, pie_hex_formula formula,
                      pie_hex_result **r)
{
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = position;
    o.count = count;
    o.formula = formula;
    return pie_hex_run(ctx, &o, r);
}

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
    CHECKF(ctx, "context");
    if (!ctx)
        return;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        for (int f = PIE_HEX_BELLARD; f <= PIE_HEX_BBP; f++) {
            /* 1e7 once, with the default formula, and only with a vector
             * kernel (a few seconds; the scalar one takes 8 s, more under ASan;
             * the variants are compared with scalar in test_hex_kernel). */
            if (known[i].position == 10000000 &&
                (f != PIE_HEX_BELLARD || auto_isa() == PIE_ISA_SCALAR)) {
                if (f == PIE_HEX_BELLARD)
                    printf("position 1e7 skipped: no vector hex kernel in this run\n");
                continue;
            }
            unsigned n = (unsigned)strlen(known[i].hex);
            pie_hex_result *res;
            pie_status st = hex(ctx, known[i].position, n, (pie_hex_formula)f, &res);
            CHECKF(st == PIE_OK && strcmp(res->hex, known[i].hex) == 0,
                   "position %llu formula %s: %s (%s), expected %s",
                   (unsigned long long)known[i].position, pie_hex_formula_name((pie_hex_formula)f),
                   res->hex, pie_strerror(st), known[i].hex);
            CHECKF(res->checked_by != res->formula && res->count == n &&
                       res->formula == (pie_hex_formula)f && res->position == known[i].position,
                   "result fields");
            CHECKF(res->isa == auto_isa() && strcmp(res->kernel, pie_isa_name(res->isa)) == 0 &&
                       res->backend == PIE_BACKEND_SERIAL && res->workers == 1 &&
                       res->chunks_done == res->chunks_total && res->passes >= 1,
                   "result fields: %s kernel, %u workers", res->kernel, res->workers);
            pie_result_free(res);
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
    CHECKF(s && exp == 1 && s[0] == '3', "mpfr");
    if (!s)
        return;
    for (char *p = s; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
    const char *frac = s + 1; /* frac[i] is position i + 1 */
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    CHECKF(ctx, "context");
    unsigned windows = 0;
    for (uint64_t pos = 1; ctx && pos + 40 <= N; pos += 97 + test_rand() % 200) {
        pie_hex_formula f = (windows & 1) ? PIE_HEX_BBP : PIE_HEX_BELLARD;
        pie_hex_result *res;
        pie_status st = hex(ctx, pos, 40, f, &res);
        CHECKF(st == PIE_OK && memcmp(res->hex, frac + pos - 1, 40) == 0,
               "window at %llu (%s): %s, expected %.40s", (unsigned long long)pos,
               pie_hex_formula_name(f), res->hex, frac + pos - 1);
        pie_result_free(res);
        windows++;
    }
    /* One long window: many passes, ending at position 20,000. */
    if (ctx) {
        pie_hex_result *res;
        pie_status st =
            hex(ctx, N - PIE_HEX_MAX_COUNT + 1, PIE_HEX_MAX_COUNT, PIE_HEX_BELLARD, &res);
        CHECKF(st == PIE_OK && res->passes > 1 &&
                   memcmp(res->hex, frac + N - PIE_HEX_MAX_COUNT, PIE_HEX_MAX_COUNT) == 0,
               "1000-digit window ending at %d (%u passes)", N, res->passes);
        pie_result_free(res);
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
        if (pie_backend_available(backends[b]) != PIE_OK)
            continue;
        for (size_t w = 0; w < 4; w++) {
            for (size_t i = 0; i < 3; i++) {
                if ((backends[b] == PIE_BACKEND_SERIAL && w > 0) ||
                    pie_isa_check(PIE_WORKLOAD_HEX, isas[i]) != PIE_OK)
                    continue;
                pie_ctx *ctx = make_ctx(backends[b], workers[w], isas[i]);
                CHECKF(ctx, "context");
                if (!ctx)
                    continue;
                pie_hex_result *res;
                pie_status st = hex(ctx, 200001, 24, PIE_HEX_BELLARD, &res);
                CHECKF(st == PIE_OK, "%s: %s", pie_backend_name(backends[b]),
                       pie_ctx_last_error(ctx));
                if (!ref[0])
                    strcpy(ref, res->hex);
                CHECKF(strcmp(ref, res->hex) == 0, "%s, %u workers, %s kernel: %s vs %s",
                       pie_backend_name(backends[b]), workers[w], res->kernel, res->hex, ref);
                CHECKF(isas[i] == PIE_ISA_AUTO || res->isa == isas[i], "asked for %s, ran %s",
                       pie_isa_name(isas[i]), res->kernel);
                pie_result_free(res);
                pie_ctx_free(ctx);
            }
        }
    }
}

/* The context accepts any known variant; a run with one hex lacks (aesni)
 * is refused with EINVAL, one this CPU cannot run with EUNSUPPORTED. */
static void test_isa(void)
{
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    if (!ctx)
        return;
    for (int i = 0; i < PIE_ISA_COUNT; i++) {
        pie_isa isa = (pie_isa)i;
        CHECK(pie_ctx_set_isa(ctx, isa) == PIE_OK);
        pie_hex_result *res;
        pie_status st = hex(ctx, 1000, 8, PIE_HEX_BELLARD, &res);
        pie_status want = pie_isa_check(PIE_WORKLOAD_HEX, isa);
        CHECKF(st == want, "isa %s: %s, expected %s (%s)", pie_isa_name(isa), pie_status_name(st),
               pie_status_name(want), pie_ctx_last_error(ctx));
        CHECKF(st == PIE_OK ? strcmp(res->hex, "349F1C09") == 0 : res->hex[0] == '\0',
               "isa %s: '%s'", pie_isa_name(isa), res->hex);
        pie_result_free(res);
    }
    CHECK(pie_isa_check(PIE_WORKLOAD_HEX, PIE_ISA_AESNI) == PIE_EINVAL);
    pie_ctx_free(ctx);
}

typedef struct prog {
    int starts, bad;
    uint64_t last_done, last_total, total, calls;
    volatile sig_atomic_t *cancel;
} prog;

static void on_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    prog *p = user;
    if (strcmp(phase, "hex") != 0)
        p->bad = 1;
    if (done == 0 && total == 0) {
        p->starts++;
        return;
    }
    /* Each pass counts its chunks from 1 to its total; the next pass starts
     * again only once the last one reached its total. */
    int next_pass = done < p->last_done || total != p->last_total;
    if (done > total || (next_pass && p->last_done != p->last_total))
        p->bad = 1;
    if (done == total && (next_pass || done != p->last_done))
        p->total += total; /* chunks over all passes */
    p->last_done = done;
    p->last_total = total;
    p->calls++;
    if (p->cancel && done >= 2)
        __atomic_store_n(p->cancel, 1, __ATOMIC_RELAXED);
}

/* Progress: the "hex" phase, started once, chunks counted in each pass. A
 * cancel stops the run, and the result says how far it got. */
static void test_progress_and_cancel(void)
{
    static const pie_backend backends[] = {PIE_BACKEND_SERIAL, PIE_BACKEND_PROCESS,
                                           PIE_BACKEND_THREAD};
    for (size_t b = 0; b < 3; b++) {
        if (pie_backend_available(backends[b]) != PIE_OK)
            continue;
        pie_ctx *ctx = make_ctx(backends[b], 2, PIE_ISA_AUTO);
        prog p = {0};
        pie_ctx_set_progress(ctx, on_progress, &p);
        pie_hex_result *res;
        pie_status st = hex(ctx, 5000, 40, PIE_HEX_BELLARD, &res);
        CHECKF(st == PIE_OK, "%s", pie_ctx_last_error(ctx));
        CHECKF(p.starts == 1 && !p.bad && p.calls >= 1 && p.total == res->chunks_total,
               "%s: %d starts, %llu of %llu chunks reported", pie_backend_name(backends[b]),
               p.starts, (unsigned long long)p.total, (unsigned long long)res->chunks_total);
        CHECK(res->passes > 1 && res->count == 40);
        pie_result_free(res);

        volatile sig_atomic_t flag = 0;
        prog q = {.cancel = &flag};
        pie_ctx_set_progress(ctx, on_progress, &q);
        pie_ctx_set_cancel_flag(ctx, &flag);
        st = hex(ctx, 300000, 10, PIE_HEX_BELLARD, &res);
        CHECKF(st == PIE_ECANCELED, "%s: %s", pie_backend_name(backends[b]), pie_status_name(st));
        CHECKF(res->hex[0] == '\0' && res->count == 0 && res->position == 300000 &&
                   res->chunks_done >= 2 && res->chunks_done < res->chunks_total,
               "%s: cancelled result '%s', %llu of %llu chunks", pie_backend_name(backends[b]),
               res->hex, (unsigned long long)res->chunks_done,
               (unsigned long long)res->chunks_total);
        pie_result_free(res);
        pie_ctx_free(ctx);
    }
}

static void test_bad_input(void)
{
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, PIE_ISA_AUTO);
    if (!ctx)
        return;
    static const struct {
        uint64_t position;
        unsigned count;
        pie_hex_formula formula;
        const char *what;
    } bad[] = {
        {0, 1, PIE_HEX_BELLARD, "position 0"},
        {PIE_HEX_MAX_POSITION + 1, 1, PIE_HEX_BELLARD, "position beyond the maximum"},
        {PIE_HEX_MAX_POSITION, 2, PIE_HEX_BELLARD, "window beyond the maximum"},
        {1, 0, PIE_HEX_BELLARD, "count 0"},
        {1, PIE_HEX_MAX_COUNT + 1, PIE_HEX_BELLARD, "count too large"},
        {1, 1, (pie_hex_formula)7, "formula"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pie_hex_result *res = NULL;
        CHECKF(hex(ctx, bad[i].position, bad[i].count, bad[i].formula, &res) == PIE_EINVAL, "%s",
               bad[i].what);
        CHECKF(res && res->hex && res->hex[0] == '\0' && res->chunks_done == 0, "%s: result",
               bad[i].what);
        pie_result_free(res);
    }
    pie_hex_result *res = NULL;
    CHECKF(hex(NULL, 1, 1, PIE_HEX_BELLARD, &res) == PIE_EINVAL, "NULL context");
    pie_result_free(res);
    CHECKF(hex(ctx, 1, 1, PIE_HEX_BELLARD, NULL) == PIE_EINVAL, "NULL result");
    pie_hex_formula f;
    CHECKF(pie_hex_formula_from_name("bbp", &f) == PIE_OK && f == PIE_HEX_BBP, "bbp name");
    CHECKF(pie_hex_formula_from_name("nope", &f) == PIE_EINVAL, "bad name");
    pie_ctx_free(ctx);
}

int main(void)
{
    const char *isa = getenv("PIE_ISA");
    if (isa && *isa &&
        (pie_isa_from_name(isa, &forced_isa) != PIE_OK ||
         pie_isa_check(PIE_WORKLOAD_HEX, forced_isa) != PIE_OK)) {
        printf("SKIP: PIE_ISA=%s: no such hex kernel on this CPU or build\n", isa);
        return 77;
    }
    test_begin("test_hex");
    test_known_digits();
    test_mpfr_windows();
    test_backends();
    test_isa();
    test_progress_and_cancel();
    test_bad_input();
    return test_finish();
}
