/** @brief Statistics: a 1e8-sample estimate lies within 5 standard errors of pi, and the error bars
 * are consistent. */
#include "test_util.h"

#include <math.h>

int main(void)
{
    test_begin("test_mc_accuracy");
    pie_ctx *ctx = pie_ctx_create();
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 100000000;
    for (uint64_t seed = 0; seed < 2; seed++) {
        o.seed = seed;
        pie_mc_result *r;
        pie_status st = pie_mc_run(ctx, &o, &r);
        CHECKF(st == PIE_OK, "%s", pie_ctx_last_error(ctx));
        if (st != PIE_OK) {
            pie_result_free(r);
            break;
        }
        double p = (double)r->inside / 1e8;
        double se = 4.0 * sqrt(p * (1 - p) / 1e8);
        printf("seed %llu: %.10f +/- %.10f, z = %+.3f (%s, %u workers)\n", (unsigned long long)seed,
               r->estimate, r->std_error, r->z_score, pie_backend_name(r->backend), r->workers);
        CHECKF(fabs(r->z_score) < 5.0, "z = %g", r->z_score);
        CHECK(fabs(r->std_error - se) <= 1e-15 && fabs(r->estimate - 4.0 * p) <= 1e-15);
        CHECK(fabs((r->ci95_hi - r->ci95_lo) / (2 * 1.959963984540054) - r->std_error) <= 1e-12);
        CHECK(fabs(r->abs_error - fabs(r->estimate - 3.14159265358979323846)) <= 1e-15);
        CHECK(r->seed == seed && r->samples == o.samples);
        pie_result_free(r);
    }
    pie_ctx_free(ctx);
    return test_finish();
}
