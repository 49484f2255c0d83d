/** @brief The options every workload command shares, and the context they configure. */
#include "cli_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* "serial, process, thread or mpi": the backends this build has, from the table. */
static const char *backend_list(char *buf, size_t len)
{
    size_t n = 0, count = 0, have = 0;
    for (int b = 0; b < PIE_BACKEND_COUNT; b++)
        count += pie_backend_available((pie_backend)b) == PIE_OK;
    buf[0] = '\0';
    for (int b = 0; b < PIE_BACKEND_COUNT && n < len; b++) {
        if (pie_backend_available((pie_backend)b) != PIE_OK)
            continue;
        have++;
        const char *sep = have == 1 ? "" : have == count ? " or " : ", ";
        n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, pie_backend_name((pie_backend)b));
    }
    return buf;
}

int pie_cli_set_backend(const char *cmd, pie_cli_common *c, const char *v)
{
    pie_backend b;
    char list[96];
    if (pie_backend_from_name(v, &b) != PIE_OK)
        return pie_cli_usage(cmd, "invalid value for --backend: '%s' (expected %s)", v,
                             backend_list(list, sizeof list));
    if (pie_backend_available(b) != PIE_OK)
        return pie_cli_usage(cmd,
                             "invalid value for --backend: the %s backend is not in this build", v);
    c->backend = b;
    c->have_backend = 1;
    return PIE_EXIT_OK;
}

/* "auto, scalar, aesni, avx2 or avx512": the variants the workload has. */
static const char *isa_list(pie_workload w, char *buf, size_t len)
{
    static const pie_isa order[] = {PIE_ISA_AUTO, PIE_ISA_SCALAR, PIE_ISA_AESNI, PIE_ISA_AVX2,
                                    PIE_ISA_AVX512};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0] && n < len; i++)
        if (pie_isa_check(w, order[i]) != PIE_EINVAL)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", pie_isa_name(order[i]));
    return buf;
}

static int check_isa(const char *cmd, const pie_cli_common *c, const char *what, const char *v,
                     pie_isa *out)
{
    char list[96];
    if (pie_isa_from_name(v, out) != PIE_OK || pie_isa_check(c->workload, *out) == PIE_EINVAL)
        return pie_cli_usage(cmd, "invalid value for %s: '%s' (expected %s)", what, v,
                             isa_list(c->workload, list, sizeof list));
    if (pie_isa_check(c->workload, *out) != PIE_OK)
        return pie_cli_usage(cmd,
                             "invalid value for %s: the %s %s kernel is not supported on this "
                             "CPU or not built in (see 'pie cpu-info')",
                             what, v, pie_workload_name(c->workload));
    return PIE_EXIT_OK;
}

int pie_cli_set_isa(const char *cmd, pie_cli_common *c, const char *v)
{
    int rc = check_isa(cmd, c, "--isa", v, &c->isa);
    c->have_isa = rc == PIE_EXIT_OK;
    return rc;
}

int pie_cli_set_chunk_timeout(const char *cmd, pie_cli_common *c, const char *v)
{
    char why[96];
    if (c->chunk_timeout > 0)
        return pie_cli_usage(cmd, "--chunk-timeout given more than once");
    if (pie_cli_parse_seconds(v, 1e6, &c->chunk_timeout, why, sizeof why) != 0)
        return pie_cli_usage(cmd, "invalid value for --chunk-timeout: '%s' %s", v, why);
    return PIE_EXIT_OK;
}

int pie_cli_set_checkpoint(const char *cmd, pie_cli_common *c, const char *v)
{
    if (c->checkpoint)
        return pie_cli_usage(cmd, "--checkpoint given more than once");
    if (!*v)
        return pie_cli_usage(cmd, "invalid value for --checkpoint: the directory name is empty");
    if (strlen(v) >= 1000)
        return pie_cli_usage(cmd, "invalid value for --checkpoint: the name is too long");
    /* Check now, so that a bad path is a usage error before any work; the
     * directory itself is created by the library when the run starts. Under
     * mpirun only rank 0 uses it (docs/mpi.md): other hosts need not have it. */
    if (pie_mpi_rank() > 0) {
        c->checkpoint = v;
        return PIE_EXIT_OK;
    }
    struct stat st;
    if (stat(v, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return pie_cli_usage(cmd, "invalid value for --checkpoint: '%s' is not a directory", v);
        if (access(v, W_OK | X_OK) != 0)
            return pie_cli_usage(cmd, "invalid value for --checkpoint: '%s' is not writable", v);
    } else {
        int missing = errno == ENOENT; /* anything else (EACCES, ENOTDIR): refuse */
        char parent[1024];
        snprintf(parent, sizeof parent, "%s", v);
        char *slash = strrchr(parent, '/');
        while (slash && slash > parent && slash[1] == '\0') { /* "dir/" */
            *slash = '\0';
            slash = strrchr(parent, '/');
        }
        const char *dir = !slash ? "." : slash == parent ? "/" : (*slash = '\0', parent);
        if (!missing || access(dir, W_OK | X_OK) != 0)
            return pie_cli_usage(cmd, "invalid value for --checkpoint: cannot create '%s'", v);
    }
    c->checkpoint = v;
    return PIE_EXIT_OK;
}

int pie_cli_set_pin(const char *cmd, const char **pin, const char *v)
{
    if (*pin)
        return pie_cli_usage(cmd, "--pin given more than once");
    char why[300];
    if (pie_pin_resolve(v, 1, (unsigned[1]){0}, why, sizeof why) != PIE_OK &&
        strcasecmp(v, "none") != 0)
        return pie_cli_usage(cmd, "invalid value for --pin: '%s' (%s)", v, why);
    *pin = v;
    return PIE_EXIT_OK;
}

int pie_cli_set_workers(const char *cmd, pie_cli_common *c, const char *v)
{
    char why[96];
    if (pie_cli_parse_workers(v, &c->workers, why, sizeof why) != 0)
        return pie_cli_usage(cmd, "invalid value for --workers: '%s' %s", v, why);
    c->have_workers = 1;
    return PIE_EXIT_OK;
}

int pie_cli_common_defaults(const char *cmd, pie_cli_common *c, pie_workload workload, int has_isa)
{
    (void)cmd;
    *c = (pie_cli_common){.backend = PIE_BACKEND_PROCESS,
                          .isa = PIE_ISA_AUTO,
                          .progress = -1,
                          .workload = workload,
                          .has_isa = has_isa};
    return PIE_EXIT_OK;
}

int pie_cli_common_finish(const char *cmd, pie_cli_common *c)
{
    /* The environment applies only where the command line is silent, so a
     * bad PIE_WORKERS or PIE_ISA does not matter when -j or --isa is given,
     * and PIE_ISA does not matter to a command without --isa. */
    const char *w = getenv("PIE_WORKERS");
    if (!c->have_workers && w && *w) {
        char why[96];
        if (pie_cli_parse_workers(w, &c->workers, why, sizeof why) != 0)
            return pie_cli_usage(cmd, "invalid PIE_WORKERS: '%s' %s", w, why);
    }
    const char *isa = getenv("PIE_ISA");
    if (c->has_isa && !c->have_isa && isa && *isa)
        return check_isa(cmd, c, "PIE_ISA", isa, &c->isa);
    return PIE_EXIT_OK;
}

pie_ctx *pie_cli_make_ctx(const char *cmd, const pie_cli_common *c, int *exit_code)
{
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx) {
        *exit_code = pie_cli_fail(cmd, "out of memory");
        return NULL;
    }
    pie_status st = pie_ctx_set_workers(ctx, c->workers);
    if (st == PIE_OK)
        st = pie_ctx_set_backend(ctx, c->backend);
    if (st == PIE_OK)
        st = pie_ctx_set_isa(ctx, c->isa);
    if (st == PIE_OK)
        st = pie_ctx_set_cancel_flag(ctx, &pie_cli_signal);
    if (st == PIE_OK)
        st = pie_ctx_set_chunk_timeout(ctx, c->chunk_timeout);
    if (st == PIE_OK && c->checkpoint)
        st = pie_ctx_set_checkpoint_dir(ctx, c->checkpoint);
    if (st == PIE_OK && c->pin)
        st = pie_ctx_set_pin(ctx, c->pin);
    /* How each MPI rank runs its own chunks: thread (default), process or serial. */
    const char *local = getenv("PIE_MPI_LOCAL");
    pie_backend lb;
    if (st == PIE_OK && local && *local) {
        if (pie_backend_from_name(local, &lb) != PIE_OK) {
            *exit_code = pie_cli_usage(cmd,
                                       "invalid value for PIE_MPI_LOCAL: '%s' (expected "
                                       "serial, process or thread)",
                                       local);
            pie_ctx_free(ctx);
            return NULL;
        }
        st = pie_ctx_set_mpi_local_backend(ctx, lb);
    }
    if (st != PIE_OK) {
        *exit_code = pie_cli_usage(cmd, "%s", pie_ctx_last_error(ctx));
        pie_ctx_free(ctx);
        return NULL;
    }
    /* Start MPI now, so that its start-up is not timed as part of the run (a
     * failure here shows again, with its reason, when the run starts it). */
    if (pie_backend_flags(c->backend) & PIE_BACKEND_NEEDS_LAUNCHER)
        pie_mpi_init();
    return ctx;
}

int pie_cli_common_option(const char *cmd, pie_cli_common *c, uint64_t *seen, int opt,
                          const char *arg)
{
    int rc;
    switch (opt) {
    case 'j':
        if ((rc = pie_cli_once(cmd, seen, 32, "--workers")) != 0)
            return rc;
        return pie_cli_set_workers(cmd, c, arg);
    case PIE_OPT_BACKEND:
        if ((rc = pie_cli_once(cmd, seen, 33, "--backend")) != 0)
            return rc;
        return pie_cli_set_backend(cmd, c, arg);
    case PIE_OPT_ISA:
        if (!c->has_isa)
            return PIE_CLI_NOT_COMMON;
        if ((rc = pie_cli_once(cmd, seen, 34, "--isa")) != 0)
            return rc;
        return pie_cli_set_isa(cmd, c, arg);
    case PIE_OPT_JSON:
        c->json = 1;
        return pie_cli_once(cmd, seen, 35, "--json");
    case 'q':
        c->quiet = 1;
        return pie_cli_once(cmd, seen, 36, "--quiet");
    case PIE_OPT_PROGRESS:
    case PIE_OPT_NO_PROGRESS:
        c->progress = opt == PIE_OPT_PROGRESS;
        return pie_cli_once(cmd, seen, 37, "--progress/--no-progress");
    case PIE_OPT_CHUNK_TIMEOUT:
        return pie_cli_set_chunk_timeout(cmd, c, arg);
    case PIE_OPT_CHECKPOINT:
        return pie_cli_set_checkpoint(cmd, c, arg);
    case PIE_OPT_PIN:
        return pie_cli_set_pin(cmd, &c->pin, arg);
    default:
        return PIE_CLI_NOT_COMMON;
    }
}
