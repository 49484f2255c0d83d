/** @brief A program that embeds libpie: the README's API example, built against the installed copy.
 */
#include <pie.h>
#include <stdio.h>

int main(void)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2); /* 0 would mean: every core */
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 20000000;
    o.seed = 42;
    pie_mc_result *r;
    pie_status st = pie_mc_run(ctx, &o, &r);
    if (st != PIE_OK) {
        fprintf(stderr, "pie: %s (%s)\n", pie_strerror(st), pie_ctx_last_error(ctx));
        pie_result_free(r);
        pie_ctx_free(ctx);
        return 1;
    }
    printf("pi ~ %.8f +/- %.8f (libpie %s, %s backend, %u workers, kernel %s)\n", r->estimate,
           r->std_error, pie_version(), pie_backend_name(r->backend), r->workers, r->kernel);
    int ok = r->inside > 0;
    pie_result_free(r);
    pie_ctx_free(ctx);
    return ok ? 0 : 1;
}
