/** @brief Internal interface of the mpi backend's files: the MPI runtime and one rank's share. */
#ifndef PIE_MPI_INTERNAL_H
#define PIE_MPI_INTERNAL_H

#include "checkpoint.h"
#include "engine.h"

#include <stdint.h>

#if PIE_HAVE_MPI
/* engine/mpi_runtime.c. Initialise MPI on this backend's first run unless
 * the program has (MPI_THREAD_SERIALIZED; finalised by pie_mpi_finalize()
 * or at exit). PIE_OK, or a failure recorded on ctx (which may be NULL). */
pie_status pie__mpi_ensure(pie_ctx *ctx);
/* Record the failure of the MPI call `what`, which returned rc. */
pie_status pie__mpi_fail(pie_ctx *ctx, int rc, const char *what);

/* engine/mpi_share.c. One rank's share of a wave: `count` remaining chunks
 * (numbered as the checkpoint's `saved` leaves them) from `first` on. */
typedef struct pie__mpi_share {
    const pie__task *task;
    const pie__ckpt_saved *saved;
    uint64_t first, count;
    pie_kbuf blob; /* records: chunk id (u64 LE), length (u64 LE), bytes */
} pie__mpi_share;

/* Run the share on the rank's local backend with `workers` workers; fills
 * s->blob and *local. */
pie_status pie__mpi_run_share(pie_ctx *ctx, pie__mpi_share *s, unsigned workers,
                              pie__run_stats *local);
#endif

#endif
