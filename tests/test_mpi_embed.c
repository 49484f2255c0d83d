/** @brief A program that started MPI itself embeds libpie: serial results, MPI still its own. */
#include "test_util.h"

#include <mpi.h>

static int rank;

static uint64_t mc_inside(pie_backend backend, uint64_t samples, uint64_t seed, int *status)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = samples;
    o.seed = seed;
    pie_mc_result *r = NULL;
    *status = ctx ? PIE_OK : PIE_ENOMEM;
    if (*status == PIE_OK)
        *status = pie_ctx_set_backend(ctx, backend);
    if (*status == PIE_OK)
        *status = pie_ctx_set_workers(ctx, 1);
    if (*status == PIE_OK)
        *status = pie_mc_run(ctx, &o, &r);
    if (*status != PIE_OK && ctx)
        printf("rank %d: %s\n", rank, pie_ctx_last_error(ctx));
    uint64_t inside = *status == PIE_OK ? r->inside : 0;
    pie_result_free(r);
    pie_ctx_free(ctx);
    return inside;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char name[64];
    snprintf(name, sizeof name, "test_mpi_embed rank %d", rank);
    test_begin(name);
    CHECK(pie_backend_available(PIE_BACKEND_MPI) == PIE_OK);
    CHECK(pie_mpi_rank() == rank);
    CHECK(pie_mpi_size() == size);

    /* Sizes around the chunk: fewer chunks than ranks, not a multiple. */
    const uint64_t sizes[] = {1, PIE_MC_CHUNK_SAMPLES + 3, 5 * PIE_MC_CHUNK_SAMPLES - 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int st1, st2;
        uint64_t a = mc_inside(PIE_BACKEND_MPI, sizes[i], 42 + i, &st1);
        uint64_t b = mc_inside(PIE_BACKEND_SERIAL, sizes[i], 42 + i, &st2);
        CHECK(st1 == PIE_OK && st2 == PIE_OK);
        CHECK(a == b); /* every rank holds the serial result */
    }
    pie_hex_result *h[2] = {NULL, NULL};
    pie_hex_options ho;
    pie_hex_options_init(&ho);
    ho.position = 1000;
    ho.count = 20;
    pie_ctx *ctx = pie_ctx_create();
    CHECK(ctx != NULL);
    if (ctx) {
        CHECK(pie_ctx_set_backend(ctx, PIE_BACKEND_MPI) == PIE_OK);
        CHECK(pie_hex_run(ctx, &ho, &h[0]) == PIE_OK);
        CHECK(pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL) == PIE_OK);
        CHECK(pie_hex_run(ctx, &ho, &h[1]) == PIE_OK);
        CHECK(h[0] && h[1] && strcmp(h[0]->hex, h[1]->hex) == 0);
    }
    pie_result_free(h[0]);
    pie_result_free(h[1]);
    pie_ctx_free(ctx);

    /* libpie must not have finalised the program's MPI. */
    CHECK(pie_mpi_finalize() == PIE_OK);
    int fin = 1;
    MPI_Finalized(&fin);
    CHECK(!fin);
    int mine = test_finish(), all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    if (rank == 0)
        printf("%s\n", all ? "FAIL" : "PASS");
    return all != 0;
}
