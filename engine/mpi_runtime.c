/** @brief The MPI runtime: initialised at first use, finalised at exit; this process's rank and
 * size. */
#include "mpi_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* The rank (or the number of ranks) the launcher gave this process, read
 * from its environment: Open MPI, then PMIx, then MPICH/Hydra's PMI. */
static int env_rank(int want_size)
{
    static const char *const keys[2][3] = {{"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"},
                                           {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(keys[want_size][i]);
        char *end;
        long n = v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && n >= want_size && n < (1L << 30))
            return (int)n;
    }
    return want_size ? 1 : 0;
}

#if PIE_HAVE_MPI
#include <mpi.h>
#include <pthread.h>

/*
 * MPI is initialised on the first run on the mpi backend (or by
 * pie_mpi_init), if the program has not done it; it is then finalised by
 * pie_mpi_finalize() or at exit. A program that initialised MPI itself keeps
 * control of MPI_Finalize.
 */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Process-wide, set once under init_once: MPI itself is process-wide state. */
static int init_rc = MPI_SUCCESS; /* what MPI_Init_thread returned */
static int we_initialised;        /* libpie called MPI_Init_thread */
static pthread_mutex_t fin_lock = PTHREAD_MUTEX_INITIALIZER;

static void finalize_at_exit(void)
{
    pie_mpi_finalize();
}

static void init_mpi(void)
{
    int flag = 0;
    MPI_Initialized(&flag);
    if (flag)
        return; /* the program owns MPI */
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin) {
        init_rc = MPI_ERR_OTHER;
        return;
    }
    int provided = 0;
    init_rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (init_rc == MPI_SUCCESS) {
        we_initialised = 1;
        atexit(finalize_at_exit);
    }
}

pie_status pie__mpi_fail(pie_ctx *ctx, int rc, const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "error %d", rc);
    return pie__fail(ctx, PIE_ESYSTEM, "MPI: %s failed: %s", what, msg);
}

pie_status pie__mpi_ensure(pie_ctx *ctx)
{
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "MPI has already been finalized in this process");
    pthread_once(&init_once, init_mpi);
    if (init_rc != MPI_SUCCESS)
        return pie__mpi_fail(ctx, init_rc, "MPI_Init_thread");
    int flag = 0;
    MPI_Initialized(&flag);
    return flag ? PIE_OK : pie__fail(ctx, PIE_ESYSTEM, "MPI is not initialised");
}

pie_status pie_mpi_init(void)
{
    return pie__mpi_ensure(NULL) == PIE_OK ? PIE_OK : PIE_ESYSTEM;
}

pie_status pie_mpi_finalize(void)
{
    pthread_mutex_lock(&fin_lock);
    int fin = 0, rc = MPI_SUCCESS;
    MPI_Finalized(&fin);
    if (we_initialised && !fin)
        rc = MPI_Finalize();
    pthread_mutex_unlock(&fin_lock);
    return rc == MPI_SUCCESS ? PIE_OK : PIE_ESYSTEM;
}

static int mpi_live(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    return init && !fin;
}

int pie_mpi_rank(void)
{
    int r = 0;
    if (mpi_live() && MPI_Comm_rank(MPI_COMM_WORLD, &r) == MPI_SUCCESS)
        return r;
    return env_rank(0);
}

int pie_mpi_size(void)
{
    int n = 1;
    if (mpi_live() && MPI_Comm_size(MPI_COMM_WORLD, &n) == MPI_SUCCESS)
        return n;
    return env_rank(1);
}

#else /* !PIE_HAVE_MPI: the launcher's environment still tells a rank who it is */

pie_status pie_mpi_init(void)
{
    return PIE_EUNSUPPORTED;
}

pie_status pie_mpi_finalize(void)
{
    return PIE_OK;
}

int pie_mpi_rank(void)
{
    return env_rank(0);
}

int pie_mpi_size(void)
{
    return env_rank(1);
}

#endif
