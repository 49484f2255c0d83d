/** @brief The backend table: names, capabilities and run functions; lookups derive from it. */
#include "engine.h"

#include <strings.h>

/*
 * Adding a backend: its enum value in pie.h (before PIE_BACKEND_COUNT), its
 * run function in a file of its own (declared in engine.h), a row here, and a
 * CMake line for the file. Names, lookups, availability, `pie cpu-info`, the
 * CLI's --backend help and the bench's backend list all derive from this row.
 */
PIE__BACKEND_FN(pie__backend_serial);
PIE__BACKEND_FN(pie__backend_process);
PIE__BACKEND_FN(pie__backend_thread);
PIE__BACKEND_FN(pie__backend_mpi);

static const pie__backend_desc table[] = {
    [PIE_BACKEND_SERIAL] = {"serial", PIE_BACKEND_ONE_WORKER | PIE_BACKEND_IN_PROCESS, 1,
                            pie__backend_serial},
    [PIE_BACKEND_PROCESS] = {"process", PIE_BACKEND_FORKS, 1, pie__backend_process},
    [PIE_BACKEND_THREAD] = {"thread", PIE_BACKEND_IN_PROCESS, PIE_HAVE_OPENMP, pie__backend_thread},
    /* Rank 0 keeps the checkpoint itself (backend_mpi.c). */
    [PIE_BACKEND_MPI] = {"mpi",
                         PIE_BACKEND_NESTS | PIE_BACKEND_NEEDS_LAUNCHER |
                             PIE__BACKEND_OWN_CHECKPOINT,
                         PIE_HAVE_MPI, pie__backend_mpi},
};

_Static_assert(sizeof table / sizeof table[0] == PIE_BACKEND_COUNT, "one row per backend");

const pie__backend_desc *pie__backend_desc_of(pie_backend backend)
{
    return (unsigned)backend < PIE_BACKEND_COUNT ? &table[backend] : NULL;
}

const char *pie_backend_name(pie_backend backend)
{
    const pie__backend_desc *d = pie__backend_desc_of(backend);
    return d ? d->name : NULL;
}

pie_status pie_backend_from_name(const char *name, pie_backend *out)
{
    for (unsigned i = 0; name && out && i < PIE_BACKEND_COUNT; i++) {
        if (strcasecmp(name, table[i].name) == 0) {
            *out = (pie_backend)i;
            return PIE_OK;
        }
    }
    return PIE_EINVAL;
}

pie_status pie_backend_available(pie_backend backend)
{
    const pie__backend_desc *d = pie__backend_desc_of(backend);
    if (!d)
        return PIE_EINVAL;
    return d->built ? PIE_OK : PIE_EUNSUPPORTED;
}

unsigned pie_backend_flags(pie_backend backend)
{
    const pie__backend_desc *d = pie__backend_desc_of(backend);
    return d ? d->flags & PIE__BACKEND_PUBLIC_FLAGS : 0;
}
