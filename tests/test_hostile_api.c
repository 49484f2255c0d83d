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

#define EXPECT_MSG(ctx, call, want)                                                                \
    do {                                                                                           \
        CHECK_STATUS(call, want);                                                                  \
        CHECKF(pie_ctx_last_error(ctx)[0] != '\0', "%s: no message", #call);                       \
    } while (0)

static void setters(pie_ctx *ctx)
{
    CHECK_STATUS(pie_ctx_set_workers(NULL, 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_workers(ctx, PIE_MAX_WORKERS + 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_workers(ctx, UINT32_MAX), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_backend(NULL, PIE_BACKEND_SERIAL), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_backend(ctx, (pie_backend)99), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_backend(ctx, (pie_backend)-1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_backend(ctx, PIE_BACKEND_COUNT), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_isa(NULL, PIE_ISA_AUTO), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_isa(ctx, (pie_isa)99), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_isa(ctx, PIE_ISA_COUNT), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_progress(NULL, NULL, NULL), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_cancel_flag(NULL, NULL), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_chunk_timeout(NULL, 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, -1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, NAN), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, INFINITY), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_chunk_timeout(ctx, 1e10), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_checkpoint_dir(NULL, "x"), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_checkpoint_dir(ctx, ""), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_mpi_local_backend(NULL, PIE_BACKEND_SERIAL), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_mpi_local_backend(ctx, PIE_BACKEND_MPI), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_mpi_local_backend(ctx, (pie_backend)99), PIE_EINVAL);
    CHECK_STATUS(pie_ctx_set_test_guard_bits(NULL, 1), PIE_EINVAL);
    EXPECT_MSG(ctx, pie_ctx_set_test_guard_bits(ctx, 65537), PIE_EINVAL);
    /* A refused value leaves the setting as it was. */
    CHECK(pie_ctx_get_workers(ctx) == 2);
    CHECK(pie_ctx_get_isa(ctx) == PIE_ISA_AUTO);
    CHECK(pie_ctx_get_chunk_timeout(ctx) == 0.0);
    CHECK(pie_ctx_get_checkpoint_dir(ctx) == NULL);
    CHECK(pie_ctx_get_test_guard_bits(ctx) == 0);

    pie_backend b;
    pie_isa i;
    pie_hex_formula f;
    pie_workload w;
    pie_digits_algorithm a;
    CHECK_STATUS(pie_backend_from_name(NULL, &b), PIE_EINVAL);
    CHECK_STATUS(pie_backend_from_name("", &b), PIE_EINVAL);
    CHECK_STATUS(pie_backend_from_name("process", NULL), PIE_EINVAL);
    CHECK_STATUS(pie_backend_from_name("process ", &b), PIE_EINVAL);
    CHECK_STATUS(pie_backend_from_name("proc", &b), PIE_EINVAL);
    CHECK_STATUS(pie_isa_from_name("avx1024", &i), PIE_EINVAL);
    CHECK_STATUS(pie_isa_from_name(NULL, &i), PIE_EINVAL);
    CHECK_STATUS(pie_hex_formula_from_name(NULL, &f), PIE_EINVAL);
    CHECK_STATUS(pie_hex_formula_from_name("pi", &f), PIE_EINVAL);
    CHECK_STATUS(pie_workload_from_name(NULL, &w), PIE_EINVAL);
    CHECK_STATUS(pie_workload_from_name("digit", &w), PIE_EINVAL);
    CHECK_STATUS(pie_digits_algorithm_from_name("chudnovski", &a), PIE_EINVAL);
    /* Out-of-range enum values: a NULL name, EINVAL, no flags. */
    CHECK(pie_strerror((pie_status)999) != NULL);
    CHECK(pie_status_name((pie_status)-5) != NULL);
    CHECK(pie_backend_name((pie_backend)42) == NULL);
    CHECK(pie_backend_name(PIE_BACKEND_COUNT) == NULL);
    CHECK(pie_isa_name(PIE_ISA_COUNT) == NULL);
    CHECK(pie_workload_name(PIE_WORKLOAD_COUNT) == NULL);
    CHECK(pie_hex_formula_name((pie_hex_formula)2) == NULL);
    CHECK(pie_digits_algorithm_name((pie_digits_algorithm)2) == NULL);
    CHECK_STATUS(pie_backend_available(PIE_BACKEND_COUNT), PIE_EINVAL);
    CHECK_STATUS(pie_backend_available((pie_backend)-1), PIE_EINVAL);
    CHECK(pie_backend_flags(PIE_BACKEND_COUNT) == 0);
    CHECK_STATUS(pie_isa_check(PIE_WORKLOAD_COUNT, PIE_ISA_SCALAR), PIE_EINVAL);
    CHECK_STATUS(pie_isa_check(PIE_WORKLOAD_MC, PIE_ISA_COUNT), PIE_EINVAL);
    CHECK(pie_isa_best(PIE_WORKLOAD_COUNT) == PIE_ISA_SCALAR);
    CHECK(pie_ctx_last_error(NULL) != NULL);
    pie_ctx_free(NULL);
    pie_result_free(NULL);
}

/* One run of each workload with the given options; the result is checked
 * and freed here. A failed run still returns a result (except without a
 * context) holding what was asked. */
static pie_status mc(pie_ctx *ctx, uint64_t samples)
{
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = samples;
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, &o, &r);
    CHECKF(!ctx || (r && r->samples == samples), "mc %llu: result", (unsigned long long)samples);
    pie_result_free(r);
    return st;
}

static pie_status hex(pie_ctx *ctx, uint64_t position, unsigned count, pie_hex_formula formula)
{
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = position;
    o.count = count;
    o.formula = formula;
    pie_hex_result *r = NULL;
    pie_status st = pie_hex_run(ctx, &o, &r);
    CHECKF(!ctx || (r && r->hex && r->position == position && (st == PIE_OK) == (r->hex[0] != 0)),
           "hex %llu %u: result", (unsigned long long)position, count);
    pie_result_free(r);
    return st;
}

static pie_status digits(pie_ctx *ctx, const pie_digits_options *o)
{
    pie_digits_result *r = NULL;
    pie_status st = pie_digits_run(ctx, o, &r);
    CHECKF(!ctx || (r && (st != PIE_OK) == (r->text == NULL)), "digits: result");
    pie_result_free(r);
    return st;
}

/* The options' size must be the one its init function sets: 0 (not set
 * up), smaller (not a pie.h this library knows) or larger (a newer pie.h:
 * its fields would be ignored) is refused. */
static void options_size(pie_ctx *ctx)
{
    pie_mc_options mo;
    pie_hex_options ho;
    pie_digits_options dopt;
    pie_mc_result *mr;
    pie_hex_result *hr;
    pie_digits_result *dr;
    uint64_t bytes;
    static const size_t delta[] = {0, 1, 8};
    for (size_t k = 0; k < 3; k++) {
        for (int sign = -1; sign <= 1; sign += 2) {
            pie_mc_options_init(&mo);
            mo.samples = 1000;
            mo.size = delta[k] == 0 ? 0 : (size_t)((long)mo.size + sign * (long)delta[k]);
            EXPECT_MSG(ctx, pie_mc_run(ctx, &mo, &mr), PIE_EINVAL);
            CHECK(mr != NULL);
            pie_result_free(mr);
            pie_hex_options_init(&ho);
            ho.count = 2;
            ho.size = delta[k] == 0 ? 0 : (size_t)((long)ho.size + sign * (long)delta[k]);
            EXPECT_MSG(ctx, pie_hex_run(ctx, &ho, &hr), PIE_EINVAL);
            pie_result_free(hr);
            pie_digits_options_init(&dopt);
            dopt.digits = 10;
            dopt.size = delta[k] == 0 ? 0 : (size_t)((long)dopt.size + sign * (long)delta[k]);
            EXPECT_MSG(ctx, pie_digits_run(ctx, &dopt, &dr), PIE_EINVAL);
            pie_result_free(dr);
            CHECK_STATUS(pie_digits_estimate(ctx, &dopt, &bytes), PIE_EINVAL);
        }
    }
    CHECK_STATUS(pie_mc_run(ctx, NULL, &mr), PIE_EINVAL);
    pie_result_free(mr);
    CHECK_STATUS(pie_hex_run(ctx, NULL, &hr), PIE_EINVAL);
    pie_result_free(hr);
    CHECK_STATUS(pie_digits_estimate(ctx, NULL, &bytes), PIE_EINVAL);
    /* A zeroed struct was never set up. */
    memset(&mo, 0, sizeof mo);
    mo.samples = 1000;
    CHECK_STATUS(pie_mc_run(ctx, &mo, &mr), PIE_EINVAL);
    pie_result_free(mr);
    /* What the init functions set up works, with their defaults. */
    pie_mc_options_init(&mo);
    CHECK(mo.size == sizeof mo && mo.samples == 1000000000 && mo.seed == 0);
    mo.samples = 1000;
    CHECK_STATUS(pie_mc_run(ctx, &mo, &mr), PIE_OK);
    CHECK(mr && mr->samples == 1000 && mr->chunks_done == 1);
    pie_result_free(mr);
    pie_hex_options_init(&ho);
    CHECK(ho.size == sizeof ho && ho.position == 1 && ho.count == 14 &&
          ho.formula == PIE_HEX_BELLARD);
    CHECK_STATUS(pie_hex_run(ctx, &ho, &hr), PIE_OK);
    CHECKF(hr && strcmp(hr->hex, "243F6A8885A308") == 0, "%s", hr ? hr->hex : "(null)");
    pie_result_free(hr);
    pie_digits_options_init(&dopt);
    CHECK(dopt.size == sizeof dopt && dopt.digits == 1000000 && dopt.base == 10 &&
          dopt.algorithm == PIE_DIGITS_CHUDNOVSKY && dopt.path == NULL && dopt.verify == 0);
    CHECK_STATUS(pie_digits_estimate(ctx, &dopt, &bytes), PIE_OK);
    dopt.digits = 20;
    CHECK_STATUS(pie_digits_run(ctx, &dopt, &dr), PIE_OK);
    CHECKF(dr && dr->text && strcmp(dr->text, "3.14159265358979323846") == 0, "%s",
           dr && dr->text ? dr->text : "(null)");
    pie_result_free(dr);
    /* The init functions accept NULL. */
    pie_mc_options_init(NULL);
    pie_hex_options_init(NULL);
    pie_digits_options_init(NULL);
}

static void runs(pie_ctx *ctx, const char *tmp)
{
    pie_mc_options mo;
    pie_mc_options_init(&mo);
    pie_mc_result *mr = NULL;
    CHECK_STATUS(mc(NULL, 10), PIE_EINVAL);
    CHECK_STATUS(pie_mc_run(ctx, &mo, NULL), PIE_EINVAL);
    EXPECT_MSG(ctx, mc(ctx, 0), PIE_EINVAL);
    EXPECT_MSG(ctx, mc(ctx, PIE_MC_MAX_SAMPLES + 1), PIE_EINVAL);
    EXPECT_MSG(ctx, mc(ctx, UINT64_MAX), PIE_EINVAL);

    pie_hex_options ho;
    pie_hex_options_init(&ho);
    CHECK_STATUS(hex(NULL, 1, 1, PIE_HEX_BELLARD), PIE_EINVAL);
    CHECK_STATUS(pie_hex_run(ctx, &ho, NULL), PIE_EINVAL);
    EXPECT_MSG(ctx, hex(ctx, 0, 1, PIE_HEX_BELLARD), PIE_EINVAL);
    EXPECT_MSG(ctx, hex(ctx, PIE_HEX_MAX_POSITION + 1, 1, PIE_HEX_BELLARD), PIE_EINVAL);
    EXPECT_MSG(ctx, hex(ctx, 1, 0, PIE_HEX_BELLARD), PIE_EINVAL);
    EXPECT_MSG(ctx, hex(ctx, 1, PIE_HEX_MAX_COUNT + 1, PIE_HEX_BELLARD), PIE_EINVAL);
    EXPECT_MSG(ctx, hex(ctx, PIE_HEX_MAX_POSITION, 2, PIE_HEX_BELLARD), PIE_EINVAL);
    EXPECT_MSG(ctx, hex(ctx, 1, 1, (pie_hex_formula)7), PIE_EINVAL);

    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 10;
    pie_digits_result *dr = NULL;
    CHECK_STATUS(digits(NULL, &o), PIE_EINVAL);
    CHECK_STATUS(digits(ctx, NULL), PIE_EINVAL);
    CHECK_STATUS(pie_digits_run(ctx, &o, NULL), PIE_EINVAL);
    o.digits = 0;
    EXPECT_MSG(ctx, digits(ctx, &o), PIE_EINVAL);
    o.digits = PIE_DIGITS_MAX + 1;
    EXPECT_MSG(ctx, digits(ctx, &o), PIE_EINVAL);
    o.digits = UINT64_C(1) << 39; /* accepted size, far beyond memory */
    EXPECT_MSG(ctx, pie_digits_run(ctx, &o, &dr), PIE_ENOMEM);
    CHECKF(dr && dr->memory_estimate_bytes > dr->memory_available_bytes && dr->text == NULL,
           "refused run: estimate %llu, available %llu",
           dr ? (unsigned long long)dr->memory_estimate_bytes : 0ull,
           dr ? (unsigned long long)dr->memory_available_bytes : 0ull);
    pie_result_free(dr);
    o.digits = 10;
    o.base = 7;
    EXPECT_MSG(ctx, digits(ctx, &o), PIE_EINVAL);
    o.base = 10;
    o.algorithm = (pie_digits_algorithm)3;
    EXPECT_MSG(ctx, digits(ctx, &o), PIE_EINVAL);
    o.algorithm = PIE_DIGITS_BBP;
    o.path = "";
    EXPECT_MSG(ctx, digits(ctx, &o), PIE_EINVAL);
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/pi.txt", tmp);
    o.path = path;
    EXPECT_MSG(ctx, digits(ctx, &o), PIE_EINVAL);
    o.path = tmp; /* a directory */
    pie_status st = digits(ctx, &o);
    CHECKF(st == PIE_EINVAL || st == PIE_EIO, "digits to a directory: %s", pie_status_name(st));

    /* Nothing was written, and the context still works. */
    DIR *d = opendir(tmp);
    int files = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        files += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CHECKF(files == 0, "%d file(s) written in %s", files, tmp);
    mo.samples = 1000;
    CHECK_STATUS(pie_mc_run(ctx, &mo, &mr), PIE_OK);
    CHECKF(mr && mr->samples == 1000, "mc after failures");
    pie_result_free(mr);
}

int main(void)
{
    test_begin("test_hostile_api");
    tf_become_subreaper();
    char tmp[] = "/tmp/pie_hostile_XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    setters(ctx);
    options_size(ctx);
    runs(ctx, tmp);
    pie_ctx_free(ctx);
    rmdir(tmp);
    CHECKF(tf_leftover_children(0.2) == 0, "processes left behind");
    return test_finish();
}
