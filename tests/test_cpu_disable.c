/** @brief PIE_CPU_DISABLE hides CPU features from dispatch: features, best variants, runs. */
#include "test_util.h"

/*
 * Run by ctest three times: without PIE_CPU_DISABLE, with "avx512" and with
 * "all" (tests/CMakeLists.txt); the expectations follow the variable, which
 * the library reads once, at the first use. Whether the CPU itself has a
 * feature comes from the compiler's own probe (__builtin_cpu_supports), not
 * from pie.
 */

static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static int cpu_has_avx512f(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
#else
    return 0;
#endif
}

/* An mc run on the context's ISA: its status, and the count it gave. */
static pie_status mc(pie_isa isa, uint64_t *inside, pie_isa *used)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    CHECK(pie_ctx_set_isa(ctx, isa) == PIE_OK);
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 100003;
    o.seed = test_seed();
    pie_mc_result *r;
    pie_status st = pie_mc_run(ctx, &o, &r);
    *inside = st == PIE_OK ? r->inside : 0;
    *used = r ? r->isa : PIE_ISA_AUTO;
    pie_result_free(r);
    pie_ctx_free(ctx);
    return st;
}

int main(void)
{
    test_begin("test_cpu_disable");
    const char *env = getenv("PIE_CPU_DISABLE");
    const char *features = pie_cpu_features(), *hidden = pie_cpu_features_disabled();
    printf("PIE_CPU_DISABLE=%s\nfeatures: %s\nhidden: %s\n", env ? env : "(unset)", features,
           hidden);
    int avx512_cpu = cpu_has_avx512f();
    uint64_t ref, got;
    pie_isa used;
    CHECK(mc(PIE_ISA_SCALAR, &ref, &used) == PIE_OK && used == PIE_ISA_SCALAR);

    if (!env || !*env) {
        CHECKF(hidden[0] == '\0', "hidden: %s", hidden);
        CHECK(has_word(features, "avx512f") == avx512_cpu);
    } else if (strcmp(env, "avx512") == 0) {
        CHECKF(strstr(features, "avx512") == NULL, "features: %s", features);
        CHECKF(pie_isa_best(PIE_WORKLOAD_MC) != PIE_ISA_AVX512, "best mc: %s",
               pie_isa_name(pie_isa_best(PIE_WORKLOAD_MC)));
        CHECKF(pie_isa_best(PIE_WORKLOAD_HEX) != PIE_ISA_AVX512, "best hex: %s",
               pie_isa_name(pie_isa_best(PIE_WORKLOAD_HEX)));
        CHECK(pie_isa_check(PIE_WORKLOAD_MC, PIE_ISA_AVX512) == PIE_EUNSUPPORTED);
        CHECK(pie_isa_check(PIE_WORKLOAD_HEX, PIE_ISA_AVX512) == PIE_EUNSUPPORTED);
        /* Hidden is what the variable named: every AVX-512 feature. */
        static const char *const avx512[] = {"avx512f", "avx512bw", "avx512dq", "avx512vl",
                                             "avx512ifma"};
        for (size_t i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
            CHECKF(has_word(hidden, avx512[i]), "%s not in hidden: %s", avx512[i], hidden);
        CHECKF(!has_word(hidden, "avx2"), "hidden: %s", hidden);
        /* A run that asks for AVX-512 is refused as if the CPU lacked it; auto
         * falls back and counts the same. */
        CHECK(mc(PIE_ISA_AVX512, &got, &used) == PIE_EUNSUPPORTED);
        CHECK(mc(PIE_ISA_AUTO, &got, &used) == PIE_OK && got == ref && used != PIE_ISA_AVX512);
        if (!avx512_cpu)
            printf("this CPU has no AVX-512: nothing was really hidden\n");
    } else if (strcmp(env, "all") == 0) {
        CHECKF(features[0] == '\0', "features: %s", features);
        for (int w = 0; w < PIE_WORKLOAD_COUNT; w++) {
            pie_workload wl = (pie_workload)w;
            CHECKF(pie_isa_best(wl) == PIE_ISA_SCALAR, "best %s: %s", pie_workload_name(wl),
                   pie_isa_name(pie_isa_best(wl)));
            CHECK(pie_isa_check(wl, PIE_ISA_SCALAR) == PIE_OK);
            CHECK(pie_isa_check(wl, PIE_ISA_AUTO) == PIE_OK);
        }
        CHECK(pie_isa_check(PIE_WORKLOAD_MC, PIE_ISA_AESNI) == PIE_EUNSUPPORTED);
        CHECK(pie_isa_check(PIE_WORKLOAD_MC, PIE_ISA_AVX2) == PIE_EUNSUPPORTED);
        CHECK(pie_isa_check(PIE_WORKLOAD_HEX, PIE_ISA_AVX2) == PIE_EUNSUPPORTED);
        CHECKF(has_word(hidden, "aes") && has_word(hidden, "avx2") && has_word(hidden, "avx512f"),
               "hidden: %s", hidden);
        CHECK(mc(PIE_ISA_AESNI, &got, &used) == PIE_EUNSUPPORTED);
        CHECK(mc(PIE_ISA_AUTO, &got, &used) == PIE_OK && got == ref && used == PIE_ISA_SCALAR);
        /* Hex also runs, on the scalar kernel. */
        pie_ctx *ctx = pie_ctx_create();
        pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
        pie_hex_options ho;
        pie_hex_options_init(&ho);
        ho.position = 1000;
        ho.count = 8;
        pie_hex_result *hr;
        CHECK(pie_hex_run(ctx, &ho, &hr) == PIE_OK && strcmp(hr->hex, "349F1C09") == 0 &&
              hr->isa == PIE_ISA_SCALAR);
        pie_result_free(hr);
        pie_ctx_free(ctx);
    } else {
        printf("no expectations for this value: only the basics checked\n");
    }
    /* Whatever is hidden, the lists do not overlap. */
    char copy[256];
    snprintf(copy, sizeof copy, "%s", features);
    for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "))
        CHECKF(!has_word(hidden, w), "%s both available and hidden", w);
    return test_finish();
}
