/** @brief A program that started MPI itself embeds libpie: serial results, MPI still its own. */
#include "pie.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL rank %d line %d: %s\n", rank, __LINE__, #cond);                           \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int rank;

static uint64_t mc_inside(pie_backend backend, uint64_t samples, uint64_t seed, int *status)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_mc_result r;
    *status = ctx ? PIE_OK : PIE_ENOMEM;
    if (*status == PIE_OK)
        *status = pie_ctx_set_backend(ctx, backend);
    if (*status == PIE_OK)
        *status = pie_ctx_set_workers(ctx, 1);
    if (*status == PIE_OK)
        *status = pie_ctx_set_seed(ctx, seed);
    if (*status == PIE_OK)
        *status = pie_mc_run(ctx, samples, &r);
    if (*status != PIE_OK && ctx)
        printf("rank %d: %s\n", rank, pie_ctx_last_error(ctx));
    pie_ctx_free(ctx);
    return *status == PIE_OK ? r.inside : 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(pie_backend_available(PIE_BACKEND_MPI));
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
    pie_hex_result *h = malloc(2 * sizeof *h);
    pie_ctx *ctx = pie_ctx_create();
    CHECK(h && ctx);
    if (h && ctx) {
        CHECK(pie_ctx_set_backend(ctx, PIE_BACKEND_MPI) == PIE_OK);
        CHECK(pie_hex_run(ctx, 1000, 20, PIE_HEX_BELLARD, &h[0]) == PIE_OK);
        CHECK(pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL) == PIE_OK);
        CHECK(pie_hex_run(ctx, 1000, 20, PIE_HEX_BELLARD, &h[1]) == PIE_OK);
        CHECK(strcmp(h[0].hex, h[1].hex) == 0);
    }
    pie_ctx_free(ctx);
    free(h);

    /* libpie must not have finalised the program's MPI. */
    CHECK(pie_mpi_finalize() == PIE_OK);
    int fin = 1;
    MPI_Finalized(&fin);
    CHECK(!fin);
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    if (rank == 0)
        printf("%s\n", all ? "FAIL" : "PASS");
    return all != 0;
}
