/** @brief Statistics: a 1e8-sample estimate lies within 5 standard errors of pi, and the error bars
 * are consistent. */
#include "pie.h"

#include <math.h>
#include <stdio.h>

int main(void)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_mc_result r;
    int failures = 0;
    for (uint64_t seed = 0; seed < 2; seed++) {
        pie_ctx_set_seed(ctx, seed);
        if (pie_mc_run(ctx, 100000000, &r) != PIE_OK) {
            printf("FAIL: %s\n", pie_ctx_last_error(ctx));
            return 1;
        }
        double p = (double)r.inside / 1e8;
        double se = 4.0 * sqrt(p * (1 - p) / 1e8);
        printf("seed %llu: %.10f +/- %.10f, z = %+.3f (%s, %u workers)\n", (unsigned long long)seed,
               r.estimate, r.std_error, r.z_score, pie_backend_name(r.backend), r.workers);
        if (!(fabs(r.z_score) < 5.0))
            failures++;
        if (fabs(r.std_error - se) > 1e-15 || fabs(r.estimate - 4.0 * p) > 1e-15)
            failures++;
        if (fabs((r.ci95_hi - r.ci95_lo) / (2 * 1.959963984540054) - r.std_error) > 1e-12)
            failures++;
        if (fabs(r.abs_error - fabs(r.estimate - 3.14159265358979323846)) > 1e-15)
            failures++;
    }
    pie_ctx_free(ctx);
    printf(failures ? "FAIL\n" : "ok\n");
    return failures != 0;
}
