/** @brief Helpers shared by the pie subcommands: strict parsing, usage errors, signals, progress,
 * JSON. */
#include "cli_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t pie_cli_signal = 0;

static void set_why(char *why, size_t len, const char *msg)
{
    if (why && len)
        snprintf(why, len, "%s", msg);
}

int pie_cli_parse_count(const char *s, uint64_t max, uint64_t *out, char *why, size_t whylen)
{
    /* Grammar: digits [ "." digits ] [ ("e"|"E") digits ], with "_" allowed
     * between digits of the mantissa. Evaluated exactly in integers: the
     * value is M * 10^(E - F) where F is the number of fraction digits. */
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    if (*s == '-')
        return set_why(why, whylen, "is negative"), -1;
    if (*s == '+')
        return set_why(why, whylen, "must not have a sign"), -1;
    char digits[64];
    size_t nd = 0;
    int frac = 0, in_frac = 0, any = 0, prev_digit = 0;
    const char *p = s;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (isdigit((unsigned char)*p)) {
            if (nd == 0 && *p == '0' && !in_frac) { /* skip leading zeros */
                any = prev_digit = 1;
                continue;
            }
            if (nd >= sizeof digits - 1)
                return set_why(why, whylen, "has too many digits"), -1;
            digits[nd++] = *p;
            frac += in_frac;
            any = prev_digit = 1;
        } else if (*p == '_' && prev_digit && isdigit((unsigned char)p[1])) {
            prev_digit = 0;
        } else if (*p == '.' && !in_frac) {
            in_frac = 1;
            prev_digit = 0;
        } else {
            return set_why(why, whylen, "is not a number"), -1;
        }
    }
    if (!any)
        return set_why(why, whylen, "is not a number"), -1;
    long exp = 0;
    if (*p) {
        p++;
        if (*p == '+')
            p++;
        int neg = *p == '-';
        if (neg)
            p++;
        if (!isdigit((unsigned char)*p))
            return set_why(why, whylen, "has a malformed exponent"), -1;
        for (; isdigit((unsigned char)*p); p++) {
            exp = exp * 10 + (*p - '0');
            if (exp > 1000)
                return set_why(why, whylen, "is out of range"), -1;
        }
        if (*p)
            return set_why(why, whylen, "is not a number"), -1;
        if (neg)
            exp = -exp;
    }
    /* Drop trailing zeros of the mantissa into the exponent. */
    long e10 = exp - frac;
    while (nd > 0 && digits[nd - 1] == '0') {
        nd--;
        e10++;
    }
    if (nd == 0)
        return set_why(why, whylen, "must be positive"), -1;
    if (e10 < 0)
        return set_why(why, whylen, "is not a whole number"), -1;
    uint64_t v = 0;
    for (size_t i = 0; i < nd; i++) {
        unsigned d = (unsigned)(digits[i] - '0');
        if (d > max || v > (max - d) / 10)
            return set_why(why, whylen, "is too large"), -1;
        v = v * 10 + d;
    }
    for (long i = 0; i < e10; i++) {
        if (v > max / 10)
            return set_why(why, whylen, "is too large"), -1;
        v *= 10;
    }
    *out = v;
    return 0;
}

int pie_cli_parse_workers(const char *s, unsigned *out, char *why, size_t whylen)
{
    if (s && strcmp(s, "auto") == 0) {
        *out = 0;
        return 0;
    }
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return set_why(why, whylen, "must be a positive integer or 'auto'"), -1;
    errno = 0;
    unsigned long v = strtoul(s, NULL, 10);
    if (v == 0)
        return set_why(why, whylen, "must be at least 1"), -1;
    if (errno || v > PIE_MAX_WORKERS) {
        char msg[64];
        snprintf(msg, sizeof msg, "must be at most %u", PIE_MAX_WORKERS);
        return set_why(why, whylen, msg), -1;
    }
    *out = (unsigned)v;
    return 0;
}

int pie_cli_parse_u64(const char *s, uint64_t *out, char *why, size_t whylen)
{
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    int base = 10;
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return set_why(why, whylen, "is not a number"), -1;
    for (const char *q = p; *q; q++)
        if (base == 10 ? !isdigit((unsigned char)*q) : !isxdigit((unsigned char)*q))
            return set_why(why, whylen, "must be an unsigned 64-bit integer"), -1;
    errno = 0;
    unsigned long long v = strtoull(p, NULL, base);
    if (errno == ERANGE)
        return set_why(why, whylen, "does not fit in 64 bits"), -1;
    *out = v;
    return 0;
}

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

int pie_cli_set_backend(const char *cmd, pie_cli_common *c, const char *v)
{
    pie_backend b;
    if (pie_backend_from_name(v, &b) != PIE_OK)
        return pie_cli_usage(cmd,
                             "invalid value for --backend: '%s' (expected serial, process, "
                             "thread or mpi)",
                             v);
    if (!pie_backend_available(b))
        return pie_cli_usage(cmd,
                             "invalid value for --backend: the %s backend is not in this build", v);
    c->backend = b;
    c->have_backend = 1;
    return PIE_EXIT_OK;
}

int pie_cli_set_isa(const char *cmd, pie_cli_common *c, const char *v)
{
    pie_isa isa;
    if (pie_isa_from_name(v, &isa) != PIE_OK)
        return pie_cli_usage(cmd,
                             "invalid value for --isa: '%s' (expected auto, scalar, aesni, "
                             "avx2 or avx512)",
                             v);
    if (pie_isa_check(isa) != PIE_OK)
        return pie_cli_usage(cmd,
                             "invalid value for --isa: the %s kernel is not supported on this "
                             "CPU or not built in (see 'pie cpu-info')",
                             v);
    c->isa = isa;
    return PIE_EXIT_OK;
}

int pie_cli_parse_seconds(const char *s, double max, double *out, char *why, size_t whylen)
{
    if (!s || !*s)
        return set_why(why, whylen, "is empty"), -1;
    if (*s == '-')
        return set_why(why, whylen, "is negative"), -1;
    size_t digits = 0, dots = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (*p == '.' && dots == 0)
            dots++;
        else
            return set_why(why, whylen, "is not a number of seconds"), -1;
    }
    if (digits == 0 || digits > 30)
        return set_why(why, whylen, "is not a number of seconds"), -1;
    double v = strtod(s, NULL);
    if (!(v > 0.0))
        return set_why(why, whylen, "must be positive"), -1;
    if (v > max) {
        char msg[64];
        snprintf(msg, sizeof msg, "must be at most %g", max);
        return set_why(why, whylen, msg), -1;
    }
    *out = v;
    return 0;
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

int pie_cli_set_workers(const char *cmd, pie_cli_common *c, const char *v)
{
    char why[96];
    if (pie_cli_parse_workers(v, &c->workers, why, sizeof why) != 0)
        return pie_cli_usage(cmd, "invalid value for --workers: '%s' %s", v, why);
    return PIE_EXIT_OK;
}

int pie_cli_common_defaults(const char *cmd, pie_cli_common *c)
{
    *c = (pie_cli_common){.backend = PIE_BACKEND_PROCESS, .isa = PIE_ISA_AUTO, .progress = -1};
    const char *w = getenv("PIE_WORKERS");
    if (w && *w) {
        char why[96];
        if (pie_cli_parse_workers(w, &c->workers, why, sizeof why) != 0)
            return pie_cli_usage(cmd, "invalid PIE_WORKERS: '%s' %s", w, why);
    }
    const char *isa = getenv("PIE_ISA");
    if (isa && *isa) {
        pie_isa v;
        if (pie_isa_from_name(isa, &v) != PIE_OK || pie_isa_check(v) != PIE_OK)
            return pie_cli_usage(cmd, "invalid PIE_ISA: '%s' is unknown or not supported here",
                                 isa);
        c->isa = v;
    }
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
    if (c->backend == PIE_BACKEND_MPI)
        pie_mpi_init();
    return ctx;
}

/* How far the run got, for the deadline's message (set by the progress
 * callback; lock-free atomics, so the signal handler may read them). */
static atomic_uint_fast64_t cli_done, cli_total;
static volatile sig_atomic_t cli_deadline_armed;
/* Between pie_cli_progress_init and _done: a run whose chunks the progress
 * callback follows (mc, hex, digits). Other commands get no deadline. */
static volatile sig_atomic_t cli_deadline_enabled;

static size_t put_str(char *buf, size_t n, const char *s)
{
    while (*s && n < 200)
        buf[n++] = *s++;
    return n;
}

static size_t put_u64(char *buf, size_t n, uint64_t v)
{
    char tmp[24];
    int k = 0;
    do
        tmp[k++] = (char)('0' + v % 10);
    while ((v /= 10) && k < 24);
    while (k > 0 && n < 200)
        buf[n++] = tmp[--k];
    return n;
}

/* The run did not stop within the deadline after SIGINT/SIGTERM: the thread
 * and serial backends stop only between chunks, and a chunk may take long.
 * Leave now (async-signal-safe: write and _exit); the workers of a process
 * run would die with us (PR_SET_PDEATHSIG), and the library writes output
 * files only after the chunks, when this deadline is no longer armed. */
static void on_deadline(int sig)
{
    (void)sig;
    char msg[256];
    uint64_t total = atomic_load(&cli_total);
    size_t n = put_str(msg, 0, "pie: interrupted after ");
    n = put_u64(msg, n, atomic_load(&cli_done));
    if (total) {
        n = put_str(msg, n, " of ");
        n = put_u64(msg, n, total);
    }
    n = put_str(msg, n, " chunks; the chunks still running were abandoned\n");
    if (write(STDERR_FILENO, msg, n) < 0)
        _exit(128 + (pie_cli_signal ? (int)pie_cli_signal : SIGINT));
    _exit(128 + (pie_cli_signal ? (int)pie_cli_signal : SIGINT));
}

static void on_signal(int sig)
{
    pie_cli_signal = sig;
    /* While chunks are running, give the library 0.5 s to stop them (the
     * process backend needs ~50 ms); after the last chunk (a workload's
     * own final phase, e.g. writing a file) let it finish instead. */
    uint64_t done = atomic_load(&cli_done), total = atomic_load(&cli_total);
    if (cli_deadline_enabled && !cli_deadline_armed && (total == 0 || done < total)) {
        cli_deadline_armed = 1;
        struct itimerval it = {{0, 0}, {0, 500000}};
        setitimer(ITIMER_REAL, &it, NULL);
    }
}

void pie_cli_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: let poll() and friends return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_deadline;
    sigaction(SIGALRM, &sa, NULL);
    /* A closed stdout (pie mc | head) must be an error we report, not a death. */
    signal(SIGPIPE, SIG_IGN);
}

int pie_cli_signal_exit(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL); /* stopped in time: no forced exit */
    return 128 + (pie_cli_signal ? (int)pie_cli_signal : SIGINT);
}

double pie_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void pie_cli_progress_init(pie_cli_progress *p, int mode, const char *label)
{
    /* Under mpirun only rank 0 draws progress. */
    *p = (pie_cli_progress){
        .mode = pie_mpi_rank() > 0 ? 0 : mode, .tty = isatty(STDERR_FILENO), .label = label};
    p->start = pie_cli_now();
    cli_deadline_enabled = 1;
}

void pie_cli_progress_cb(void *user, uint64_t done, uint64_t total)
{
    pie_cli_progress *p = user;
    atomic_store(&cli_done, done);
    atomic_store(&cli_total, total);
    if (p->mode == 0 || (p->mode < 0 && !p->tty) || total == 0)
        return;
    double now = pie_cli_now();
    double elapsed = now - p->start;
    if (p->mode < 0 && elapsed < 1.0) /* short runs stay quiet */
        return;
    double every = p->tty ? 0.03 : 2.0;
    if (done < total && now - p->last_draw < every)
        return;
    p->last_draw = now;
    double frac = (double)done / (double)total;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30.0);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %5.1f%%  %.1fs elapsed, ~%.1fs left ", p->label, bar,
                100.0 * frac, elapsed, eta);
    } else {
        fprintf(stderr, "%s: %.1f%% (%llu/%llu chunks), %.1fs elapsed\n", p->label, 100.0 * frac,
                (unsigned long long)done, (unsigned long long)total, elapsed);
    }
    fflush(stderr);
    p->drawn = 1;
}

void pie_cli_progress_done(pie_cli_progress *p)
{
    cli_deadline_enabled = 0; /* the run returned: the command finishes by itself */
    if (p->drawn && p->tty)
        fprintf(stderr, "\r%*s\r", 78, "");
    p->drawn = 0;
}

void pie_cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void pie_cli_json_double(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

const char *pie_cli_thousands(uint64_t v, char *buf, size_t len)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
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
    default:
        return PIE_CLI_NOT_COMMON;
    }
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
