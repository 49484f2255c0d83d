/** @brief A program that embeds libpie: the README's API example, built against the installed copy.
 */
#include <pie.h>
#include <stdio.h>

int main(void)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2); /* 0 would mean: every core */
    pie_ctx_set_seed(ctx, 42);
    pie_mc_result r;
    pie_status st = pie_mc_run(ctx, 20000000, &r);
    if (st != PIE_OK) {
        fprintf(stderr, "pie: %s (%s)\n", pie_strerror(st), pie_ctx_last_error(ctx));
        pie_ctx_free(ctx);
        return 1;
    }
    printf("pi ~ %.8f +/- %.8f (libpie %s, %s backend, %u workers, kernel %s)\n", r.estimate,
           r.std_error, pie_version(), pie_backend_name(r.backend), r.workers, r.kernel);
    pie_ctx_free(ctx);
    return r.inside > 0 ? 0 : 1;
}
