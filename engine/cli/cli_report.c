/** @brief What the command says: one-line usage errors and failures, a run's status as an exit
 * code. */
#include "cli_util.h"

#include <stdarg.h>
#include <stdio.h>

static int vreport(const char *cmd, int code, const char *fmt, va_list ap)
{
    if (pie_mpi_rank() > 0)
        return code; /* under mpirun only rank 0 speaks; every rank fails alike */
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "pie%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    return code;
}

int pie_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vreport(cmd, PIE_EXIT_USAGE, fmt, ap);
    va_end(ap);
    return rc;
}

int pie_cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vreport(cmd, PIE_EXIT_FAILURE, fmt, ap);
    va_end(ap);
    return rc;
}

int pie_cli_once(const char *cmd, uint64_t *seen, int bit, const char *flag)
{
    if (*seen & (UINT64_C(1) << bit))
        return pie_cli_usage(cmd, "%s given more than once", flag);
    *seen |= UINT64_C(1) << bit;
    return PIE_EXIT_OK;
}

int pie_cli_run_status(const char *cmd, pie_ctx *ctx, pie_status st, uint64_t chunks_done,
                       uint64_t chunks_total)
{
    if (st == PIE_OK)
        return -1;
    if (st == PIE_ECANCELED) {
        if (pie_mpi_rank() == 0) /* under mpirun rank 0 speaks */
            fprintf(stderr, "pie %s: interrupted after %llu of %llu chunks (%.1f%%); no result\n",
                    cmd, (unsigned long long)chunks_done, (unsigned long long)chunks_total,
                    chunks_total ? 100.0 * (double)chunks_done / (double)chunks_total : 0.0);
        return pie_cli_signal_exit();
    }
    if (st == PIE_EINVAL || st == PIE_EUNSUPPORTED)
        return pie_cli_usage(cmd, "%s", pie_ctx_last_error(ctx));
    return pie_cli_fail(cmd, "%s (%s)", pie_ctx_last_error(ctx), pie_strerror(st));
}
