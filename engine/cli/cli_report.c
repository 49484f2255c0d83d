/** @brief What the command says: one-line usage errors and failures, a run's status as an exit
 * code. */
#include "cli_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Copy `in` to `out` with every control character escaped C-style (\n, \t,
 * \x1b, ...): a message echoes arguments and paths, and a newline in one
 * must not split the one-line message nor an escape sequence reach the
 * terminal. Bytes from 0x80 up (UTF-8) pass unchanged. */
static void escape(const char *in, char *out, size_t len)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 5 < len; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            out[n++] = (char)*p;
            continue;
        }
        char named = *p == '\n' ? 'n' : *p == '\t' ? 't' : *p == '\r' ? 'r' : 0;
        n += (size_t)(named ? snprintf(out + n, len - n, "\\%c", named)
                            : snprintf(out + n, len - n, "\\x%02x", *p));
    }
    out[n] = '\0';
}

static int vreport(const char *cmd, int code, const char *fmt, va_list ap)
{
    if (pie_mpi_rank() > 0)
        return code; /* under mpirun only rank 0 speaks; every rank fails alike */
    char msg[512], safe[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    escape(msg, safe, sizeof safe);
    fprintf(stderr, "pie%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", safe);
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
    /* The status's own sentence only where the detail does not already say
     * it: I/O and system failures carry their errno text. */
    const char *detail = pie_ctx_last_error(ctx), *why = pie_strerror(st);
    if (!detail[0])
        return pie_cli_fail(cmd, "%s", why);
    if (st == PIE_EIO || st == PIE_ESYSTEM || strstr(detail, why))
        return pie_cli_fail(cmd, "%s", detail);
    return pie_cli_fail(cmd, "%s (%s)", detail, why);
}
