/** @brief `pie bench scaling`: the Python baselines (bench/python/), each paired with pie. */
#include "cli_bench.h"
#include "cli_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef PIE_BENCH_PYTHON_DIR_DEFAULT
#define PIE_BENCH_PYTHON_DIR_DEFAULT "bench/python"
#endif

/* The interpreter (PIE_BENCH_PYTHON, default python3 on PATH) and the
 * directory of the scripts (PIE_BENCH_PYTHON_DIR, default the source tree's
 * bench/python, fixed at build time). */
static const char *py_interp(void)
{
    const char *p = getenv("PIE_BENCH_PYTHON");
    return p && *p ? p : "python3";
}

static const char *py_dir(void)
{
    const char *p = getenv("PIE_BENCH_PYTHON_DIR");
    return p && *p ? p : PIE_BENCH_PYTHON_DIR_DEFAULT;
}

/* Run a command; its stdout (and stderr) into buf. Returns the exit status,
 * or -1 if it could not be started or was killed. */
static int capture(const char *cmd, char *buf, size_t len)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = 0, k;
    while (n + 1 < len && (k = fread(buf + n, 1, len - 1 - n, p)) > 0)
        n += k;
    buf[n] = '\0';
    char sink[256];
    while (fread(sink, 1, sizeof sink, p) > 0) /* drain so the child never blocks */
        ;
    int st = pclose(p);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double json_number(const char *s, const char *key)
{
    char pat[48];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(s, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* Run one script; fills seconds/per_second/work or a note. */
static int py_run(bench *b, const char *script, const char *args, bench_python *out)
{
    char cmd[1200], buf[4096];
    if (pie_cli_signal) {
        snprintf(out->note, sizeof out->note, "interrupted");
        return -1;
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s' %s 2>&1", py_interp(), py_dir(), script, args);
    char what[64];
    snprintf(what, sizeof what, "python %s", script);
    bench_progress(b, what, 1);
    int st = capture(cmd, buf, sizeof buf);
    b->runs_done++;
    if (st == 3 && strstr(buf, "skipped")) {
        snprintf(out->note, sizeof out->note, "skipped: numpy is not importable by %s",
                 py_interp());
        return -1;
    }
    double sec = json_number(buf, "seconds"), work = json_number(buf, "work");
    if (st != 0 || !(sec > 0) || !(work > 0)) {
        char *nl = strchr(buf, '\n');
        if (nl)
            *nl = '\0';
        snprintf(out->note, sizeof out->note, "failed (exit %d): %.100s", st, buf);
        return -1;
    }
    out->ran = 1;
    out->seconds = sec;
    out->work = (uint64_t)work;
    out->per_second = work / sec;
    return 0;
}

static const bench_point *find_strong(const bench *b, pie_backend be, unsigned w)
{
    for (size_t i = 0; i < b->npts; i++)
        if (strcmp(b->pts[i].experiment, "strong") == 0 && b->pts[i].backend == be &&
            b->pts[i].workers == w && b->pts[i].nt > 0)
            return &b->pts[i];
    return NULL;
}

static bench_python *new_py(bench *b, const char *name, const char *unit, unsigned workers)
{
    bench_python *p = &b->py[b->npy++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->unit = unit;
    p->workers = workers;
    p->pie_per_second = NAN;
    return p;
}

static void pair(const bench *b, bench_python *p, pie_backend be, unsigned w)
{
    const bench_point *q = find_strong(b, be, w);
    if (!q && be == PIE_BACKEND_SERIAL)
        q = find_strong(b, PIE_BACKEND_PROCESS, 1);
    if (!q)
        return;
    p->pie_per_second = q->throughput;
    snprintf(p->pie_ref, sizeof p->pie_ref, "pie mc %s, %u worker%s", pie_backend_name(q->backend),
             q->workers, q->workers == 1 ? "" : "s");
}

static void mc_baselines(bench *b)
{
    unsigned c = b->cores;
    double target = b->quick ? 0.3 : 2.0;
    char args[160];
    /* Calibrate the pure-Python rate with a small run, then size each
     * baseline to take about `target` seconds. */
    bench_python cal = {0};
    snprintf(args, sizeof args, "--samples %d", b->quick ? 100000 : 300000);
    if (py_run(b, "mc_serial.py", args, &cal) != 0) {
        snprintf(b->py_note, sizeof b->py_note, "Python baselines failed: %s", cal.note);
        return;
    }
    uint64_t n = (uint64_t)(cal.per_second * target);
    if (n < 100000)
        n = 100000;

    bench_python *p = new_py(b, "python-serial", "samples", 1);
    snprintf(args, sizeof args, "--samples %" PRIu64, n);
    if (py_run(b, "mc_serial.py", args, p) == 0)
        pair(b, p, PIE_BACKEND_SERIAL, 1);

    p = new_py(b, "python-pool", "samples", c);
    snprintf(args, sizeof args, "--samples %" PRIu64 " --workers %u", n * c, c);
    if (py_run(b, "mc_pool.py", args, p) == 0)
        pair(b, p, PIE_BACKEND_PROCESS, c);

    p = new_py(b, "python-threads", "samples", c);
    snprintf(args, sizeof args, "--samples %" PRIu64 " --workers %u", n, c);
    if (py_run(b, "mc_threads.py", args, p) == 0)
        pair(b, p, PIE_BACKEND_THREAD, c);

    p = new_py(b, "python-numpy", "samples", 1);
    snprintf(args, sizeof args, "--samples %d", 2000000);
    bench_python ncal = {0};
    if (py_run(b, "mc_numpy.py", args, &ncal) != 0) {
        snprintf(p->note, sizeof p->note, "%s", ncal.note);
    } else {
        snprintf(args, sizeof args, "--samples %" PRIu64,
                 (uint64_t)(ncal.per_second * target) + 1000000);
        if (py_run(b, "mc_numpy.py", args, p) == 0)
            pair(b, p, PIE_BACKEND_SERIAL, 1);
    }
}

static void digits_baseline(bench *b)
{
    uint64_t d = b->quick ? 1000 : 4000;
    bench_python *p = new_py(b, "python-decimal-bbp", "digits", 1);
    char args[64];
    snprintf(args, sizeof args, "--digits %" PRIu64, d);
    if (py_run(b, "bbp_decimal.py", args, p) != 0)
        return;
    if (!bench_wl_available(BENCH_DIGITS)) {
        snprintf(p->note, sizeof p->note, "pie digits is not in this build: no ratio");
        return;
    }
    /* pie digits on one core, same digit count, median of 5. */
    bench_wl saved = b->wl;
    b->wl = BENCH_DIGITS;
    double t[5];
    unsigned n = 0;
    for (; n < 5; n++) {
        bench_run r;
        if (bench_run_once(b, PIE_BACKEND_SERIAL, 1, d, &r) != PIE_EXIT_OK)
            break;
        t[n] = r.seconds;
    }
    b->wl = saved;
    if (n == 5) {
        p->pie_per_second = (double)d / bench_median(t, n);
        snprintf(p->pie_ref, sizeof p->pie_ref, "pie digits serial, %" PRIu64 " digits", d);
    }
}

int bench_python_baselines(bench *b)
{
    b->phase = "python";
    if (!b->python) {
        snprintf(b->py_note, sizeof b->py_note, "Python baselines not run (--no-python)");
        return PIE_EXIT_OK;
    }
    if (strchr(py_interp(), '\'') || strchr(py_dir(), '\'')) {
        snprintf(b->py_note, sizeof b->py_note,
                 "Python baselines skipped: a quote in PIE_BENCH_PYTHON or PIE_BENCH_PYTHON_DIR");
        return PIE_EXIT_OK;
    }
    char cmd[600], buf[256];
    snprintf(cmd, sizeof cmd, "'%s' -c 'print(42)' 2>/dev/null", py_interp());
    if (capture(cmd, buf, sizeof buf) != 0 || strncmp(buf, "42", 2) != 0) {
        snprintf(b->py_note, sizeof b->py_note,
                 "Python baselines skipped: '%s' not found (set PIE_BENCH_PYTHON)", py_interp());
        fprintf(stderr, "pie bench: %s\n", b->py_note);
        return PIE_EXIT_OK;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/mc_common.py", py_dir());
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(b->py_note, sizeof b->py_note,
                 "Python baselines skipped: scripts not found in %.120s (set "
                 "PIE_BENCH_PYTHON_DIR)",
                 py_dir());
        fprintf(stderr, "pie bench: %s\n", b->py_note);
        return PIE_EXIT_OK;
    }
    fclose(f);
    snprintf(b->py_note, sizeof b->py_note, "interpreter %s, scripts in %.120s", py_interp(),
             py_dir());
    if (b->wl == BENCH_MC)
        mc_baselines(b);
    if (b->wl == BENCH_MC || b->wl == BENCH_DIGITS)
        digits_baseline(b);
    if (b->wl == BENCH_HEX)
        snprintf(b->py_note, sizeof b->py_note,
                 "no Python baseline for hex digit extraction (run --workload mc or digits)");
    return pie_cli_signal ? pie_cli_signal_exit() : PIE_EXIT_OK;
}
