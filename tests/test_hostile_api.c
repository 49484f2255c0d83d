/** @brief Hostile input through the library: every entry point refuses bad arguments with EINVAL.
 */
#include "test_fault_util.h"

#include <math.h>
#include <sys/stat.h>

/*
 * The library validates like the CLI: a bad argument gives PIE_EINVAL (or
 * PIE_ENOMEM for a size beyond memory, PIE_EUNSUPPORTED for something not
 * built), a sentence in pie_ctx_last_error, no work, no file, no child
 * process, and the context stays usable.
 */

#define EXPECT(call, want)                                                                         \
    do {                                                                                           \
        pie_status st_ = (call);                                                                   \
        TF_CHECK(st_ == (want), "%s gave %s", #call, pie_status_name(st_));                        \
    } while (0)

#define EXPECT_MSG(ctx, call, want)                                                                \
    do {                                                                                           \
        EXPECT(call, want);                                                                        \
        TF_CHECK(pie_ctx_last_error(ctx)[0] != '\0', "%s: no message", #call);                     \
    } while (0)

static void setters(pie_ctx *ctx)
{
    EXPECT(pie_ctx_set_workers(NULL, 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_workers(ctx, PIE_MAX_WORKERS + 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_workers(ctx, UINT32_MAX), PIE_EINVAL);
    EXPECT(pie_ctx_set_backend(NULL, PIE_BACKEND_SERIAL), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_backend(ctx, (pie_backend)99), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_backend(ctx, (pie_backend)-1), PIE_EINVAL);
    EXPECT(pie_ctx_set_seed(NULL, 1), PIE_EINVAL);
    EXPECT(pie_ctx_set_isa(NULL, PIE_ISA_AUTO), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_isa(ctx, (pie_isa)99), PIE_EINVAL);
    EXPECT(pie_ctx_set_progress(NULL, NULL, NULL), PIE_EINVAL);
    EXPECT(pie_ctx_set_cancel_flag(NULL, NULL), PIE_EINVAL);
    EXPECT(pie_ctx_set_chunk_timeout(NULL, 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, -1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, NAN), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, INFINITY), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, 1e10), PIE_EINVAL);
    EXPECT(pie_ctx_set_checkpoint_dir(NULL, "x"), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_checkpoint_dir(ctx, ""), PIE_EINVAL);
    pie_backend b;
    pie_isa i;
    pie_hex_formula f;
    EXPECT(pie_backend_from_name(NULL, &b), PIE_EINVAL);
    EXPECT(pie_backend_from_name("", &b), PIE_EINVAL);
    EXPECT(pie_backend_from_name("Process", &b), PIE_EINVAL);
    EXPECT(pie_isa_from_name("avx1024", &i), PIE_EINVAL);
    EXPECT(pie_hex_formula_from_name(NULL, &f), PIE_EINVAL);
    EXPECT(pie_hex_formula_from_name("pi", &f), PIE_EINVAL);
    TF_CHECK(pie_strerror((pie_status)999) != NULL, "pie_strerror(999)");
    TF_CHECK(pie_status_name((pie_status)-5) != NULL, "pie_status_name(-5)");
    TF_CHECK(pie_backend_name((pie_backend)42) == NULL, "pie_backend_name(42)");
    TF_CHECK(pie_ctx_last_error(NULL) != NULL, "pie_ctx_last_error(NULL)");
    pie_ctx_free(NULL);
}

static void runs(pie_ctx *ctx, const char *tmp)
{
    pie_mc_result mc;
    EXPECT(pie_mc_run(NULL, 10, &mc), PIE_EINVAL);
    EXPECT(pie_mc_run(ctx, 10, NULL), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_mc_run(ctx, 0, &mc), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_mc_run(ctx, PIE_MC_MAX_SAMPLES + 1, &mc), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_mc_run(ctx, UINT64_MAX, &mc), PIE_EINVAL);

    pie_hex_result *hx = malloc(sizeof *hx);
    EXPECT(pie_hex_run(NULL, 1, 1, PIE_HEX_BELLARD, hx), PIE_EINVAL);
    EXPECT(pie_hex_run(ctx, 1, 1, PIE_HEX_BELLARD, NULL), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_hex_run(ctx, 0, 1, PIE_HEX_BELLARD, hx), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_hex_run(ctx, PIE_HEX_MAX_POSITION + 1, 1, PIE_HEX_BELLARD, hx), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_hex_run(ctx, 1, 0, PIE_HEX_BELLARD, hx), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_hex_run(ctx, 1, PIE_HEX_MAX_COUNT + 1, PIE_HEX_BELLARD, hx), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_hex_run(ctx, PIE_HEX_MAX_POSITION, 2, PIE_HEX_BELLARD, hx), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_hex_run(ctx, 1, 1, (pie_hex_formula)7, hx), PIE_EINVAL);
    free(hx);

    pie_digits_result dr = {0};
    pie_digits_options o = {.digits = 10, .base = 10};
    EXPECT(pie_digits_run(NULL, &o, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    EXPECT(pie_digits_run(ctx, NULL, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    EXPECT(pie_digits_run(ctx, &o, NULL), PIE_EINVAL);
    o.digits = 0;
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    o.digits = PIE_DIGITS_MAX + 1;
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    o.digits = UINT64_C(1) << 39; /* accepted size, far beyond memory */
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_ENOMEM);
    pie_digits_result_free(&dr);
    o.digits = 10;
    o.base = 7;
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    o.base = 10;
    o.path = "";
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/pi.txt", tmp);
    o.path = path;
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_EINVAL);
    pie_digits_result_free(&dr);
    o.path = tmp; /* a directory */
    pie_status st = pie_digits_run(ctx, &o, &dr);
    TF_CHECK(st == PIE_EINVAL || st == PIE_EIO, "digits to a directory: %s", pie_status_name(st));
    pie_digits_result_free(&dr);

    /* Nothing was written, and the context still works. */
    DIR *d = opendir(tmp);
    int files = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        files += e->d_name[0] != '.';
    if (d)
        closedir(d);
    TF_CHECK(files == 0, "%d file(s) written in %s", files, tmp);
    EXPECT(pie_mc_run(ctx, 1000, &mc), PIE_OK);
    TF_CHECK(mc.samples == 1000, "mc after failures");
}

int main(void)
{
    tf_become_subreaper();
    char tmp[] = "/tmp/pie_hostile_XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    setters(ctx);
    runs(ctx, tmp);
    pie_ctx_free(ctx);
    rmdir(tmp);
    TF_CHECK(tf_leftover_children(0.2) == 0, "processes left behind");
    printf("test_hostile_api: %d failure(s)\n", tf_failures);
    return tf_failures ? 1 : 0;
}
