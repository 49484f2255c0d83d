/** @brief `pie bench scaling`: the Python baselines (installed with pie), each paired with pie. */
#include "cli_util.h"
#include "scaling.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where the scripts lie relative to the directory of the pie binary: the
 * installed layout (bin/ -> share/pie/python, set by CMake from the install
 * directories), then the build tree (CMake links build/share/pie/python to
 * the source's bench/python). */
#ifndef PIE_BENCH_PYTHON_REL
#define PIE_BENCH_PYTHON_REL "../share/pie/python"
#endif
#define PIE_BENCH_PYTHON_BUILD_REL "share/pie/python"

/* The interpreter: PIE_BENCH_PYTHON, default python3 on PATH. */
static const char *py_interp(void)
{
    const char *p = getenv("PIE_BENCH_PYTHON");
    return p && *p ? p : "python3";
}

static int has_scripts(const char *dir)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%.*s/mc_common.py", PATH_MAX + 64, dir);
    return access(path, R_OK) == 0;
}

const char *bench_python_dir(void)
{
    static char dir[PATH_MAX + 64];
    const char *env = getenv("PIE_BENCH_PYTHON_DIR");
    if (env && *env)
        return env;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    static const char *const rel[] = {PIE_BENCH_PYTHON_REL, PIE_BENCH_PYTHON_BUILD_REL};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char found[sizeof dir];
        snprintf(found, sizeof found, "%s/%s", self, rel[i]);
        if (has_scripts(found)) {
            if (!realpath(found, dir)) /* "bin/../share" reads better as "share" */
                snprintf(dir, sizeof dir, "%s", found);
            return dir;
        }
    }
    return NULL;
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

/* A string value ("key": "value") of the script's JSON line into out. */
static void json_text(const char *s, const char *key, char *out, size_t len)
{
    char pat[48];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(s, pat);
    out[0] = '\0';
    if (p) {
        p += strlen(pat);
        size_t n = strcspn(p, "\"");
        snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
    }
}

/* Run one script; fills seconds/per_second/work or a note. */
static int py_run(bench *b, const char *script, const char *args, bench_python *out)
{
    char cmd[1200], buf[4096];
    if (pie_cli_signal) {
        snprintf(out->note, sizeof out->note, "interrupted");
        return -1;
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s' %s 2>&1", py_interp(), bench_python_dir(), script,
             args);
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
    json_text(buf, "python", out->py_version, sizeof out->py_version);
    json_text(buf, "numpy", out->np_version, sizeof out->np_version);
    json_text(buf, "start_method", out->start_method, sizeof out->start_method);
    if (out->py_version[0])
        snprintf(b->env.python, sizeof b->env.python, "%s", out->py_version);
    if (out->np_version[0])
        snprintf(b->env.numpy, sizeof b->env.numpy, "%s", out->np_version);
    out->seconds = sec;
    out->work = (uint64_t)work;
    out->per_second = work / sec;
    return 0;
}

static bench_python *new_py(bench *b, const char *name, pie_workload wl, unsigned workers)
{
    bench_python *p = &b->py[b->npy++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->workload = wl;
    p->unit = bench_workload_of(wl)->unit;
    p->workers = workers;
    p->pie_per_second = NAN;
    return p;
}

/* Pair a baseline with the strong point at w workers of the first backend
 * like (want, avoid); a one-worker pairing falls back on a forked worker. */
static void pair(const bench *b, bench_python *p, unsigned want, unsigned avoid, unsigned w)
{
    const bench_point *q = NULL;
    int be = bench_backend_like(b, want, avoid);
    if (be >= 0)
        q = bench_find(b, "strong", (pie_backend)be, w);
    if (!q && (want & PIE_BACKEND_ONE_WORKER)) {
        be = bench_backend_like(b, PIE_BACKEND_FORKS, PIE_BACKEND_NEEDS_LAUNCHER);
        q = be >= 0 ? bench_find(b, "strong", (pie_backend)be, 1) : NULL;
    }
    if (!q || !q->nt)
        return;
    p->pie_per_second = q->throughput;
    snprintf(p->pie_ref, sizeof p->pie_ref, "pie %s %s, %u worker%s", pie_workload_name(b->wl->id),
             pie_backend_name(q->backend), q->workers, q->workers == 1 ? "" : "s");
}

/* The loop's Python forms against pie's Monte Carlo: each sized from a
 * calibration run to take about `target` seconds. */
static void mc_baselines(bench *b)
{
    const unsigned one = PIE_BACKEND_ONE_WORKER, launcher = PIE_BACKEND_NEEDS_LAUNCHER;
    unsigned c = b->cores;
    double target = b->quick ? 0.3 : 2.0;
    char args[160];
    bench_python cal = {0};
    snprintf(args, sizeof args, "--samples %d", b->quick ? 100000 : 300000);
    if (py_run(b, "mc_serial.py", args, &cal) != 0) {
        snprintf(b->py_note, sizeof b->py_note, "Python baselines failed: %s", cal.note);
        return;
    }
    uint64_t n = (uint64_t)(cal.per_second * target);
    if (n < 100000)
        n = 100000;

    bench_python *p = new_py(b, "python-serial", PIE_WORKLOAD_MC, 1);
    snprintf(args, sizeof args, "--samples %" PRIu64, n);
    if (py_run(b, "mc_serial.py", args, p) == 0)
        pair(b, p, one, 0, 1);

    /* Pool with each start method, and ProcessPoolExecutor (Python's
     * default method, which becomes forkserver on Linux in 3.14). */
    static const char *const methods[] = {"fork", "spawn", "forkserver"};
    for (size_t i = 0; i < 4; i++) {
        char name[32] = "python-executor";
        if (i < 3)
            snprintf(name, sizeof name, "python-pool-%s", methods[i]);
        p = new_py(b, name, PIE_WORKLOAD_MC, c);
        snprintf(args, sizeof args, "--samples %" PRIu64 " --workers %u%s%s", n * c, c,
                 i < 3 ? " --start-method " : "", i < 3 ? methods[i] : "");
        if (py_run(b, i < 3 ? "mc_pool.py" : "mc_executor.py", args, p) == 0)
            pair(b, p, PIE_BACKEND_FORKS, launcher, c);
    }

    p = new_py(b, "python-threads", PIE_WORKLOAD_MC, c);
    snprintf(args, sizeof args, "--samples %" PRIu64 " --workers %u", n, c);
    if (py_run(b, "mc_threads.py", args, p) == 0)
        pair(b, p, PIE_BACKEND_IN_PROCESS, one | launcher, c);

    p = new_py(b, "python-numpy", PIE_WORKLOAD_MC, 1);
    snprintf(args, sizeof args, "--samples %d", 2000000);
    bench_python ncal = {0};
    if (py_run(b, "mc_numpy.py", args, &ncal) != 0) {
        snprintf(p->note, sizeof p->note, "%s", ncal.note);
    } else {
        snprintf(args, sizeof args, "--samples %" PRIu64,
                 (uint64_t)(ncal.per_second * target) + 1000000);
        if (py_run(b, "mc_numpy.py", args, p) == 0)
            pair(b, p, one, 0, 1);
    }
}

/* Decimal BBP against pie digits on one worker, same digit count, median of 5. */
static void digits_baseline(bench *b)
{
    uint64_t d = b->quick ? 1000 : 4000;
    bench_python *p = new_py(b, "python-decimal-bbp", PIE_WORKLOAD_DIGITS, 1);
    char args[64];
    snprintf(args, sizeof args, "--digits %" PRIu64, d);
    if (py_run(b, "bbp_decimal.py", args, p) != 0)
        return;
    const bench_workload *saved = b->wl;
    b->wl = bench_workload_of(PIE_WORKLOAD_DIGITS);
    pie_backend ref = bench_reference_backend();
    double t[5];
    unsigned n = 0;
    for (; n < 5; n++) {
        bench_run r;
        if (bench_run_once(b, ref, 1, d, &r) != PIE_EXIT_OK)
            break;
        t[n] = r.seconds;
    }
    b->wl = saved;
    if (n == 5) {
        p->pie_per_second = (double)d / bench_median(t, n);
        snprintf(p->pie_ref, sizeof p->pie_ref, "pie digits %s, %" PRIu64 " digits",
                 pie_backend_name(ref), d);
    }
}

/* Pure-Python BBP digit extraction against pie hex on one worker at the
 * same position (8 digits), sized from a short calibration. */
static void hex_baseline(bench *b)
{
    bench_python cal = {0};
    if (py_run(b, "bbp_hex.py", "--position 20000", &cal) != 0) {
        snprintf(b->py_note, sizeof b->py_note, "Python baselines failed: %s", cal.note);
        return;
    }
    uint64_t pos = (uint64_t)(cal.per_second * (b->quick ? 0.3 : 2.0));
    pos = pos < 1000 ? 1000 : pos;
    bench_python *p = new_py(b, "python-bbp-hex", PIE_WORKLOAD_HEX, 1);
    char args[64];
    snprintf(args, sizeof args, "--position %" PRIu64, pos);
    if (py_run(b, "bbp_hex.py", args, p) != 0)
        return;
    pie_backend ref = bench_reference_backend();
    double t[5];
    unsigned n = 0;
    for (; n < 5; n++) {
        bench_run r;
        if (bench_run_once(b, ref, 1, pos, &r) != PIE_EXIT_OK)
            break;
        t[n] = r.seconds;
    }
    if (n == 5) {
        p->pie_per_second = (double)pos / bench_median(t, n);
        snprintf(p->pie_ref, sizeof p->pie_ref, "pie hex %s, position %" PRIu64,
                 pie_backend_name(ref), pos);
    }
}

/* Adding a baseline group: a row with the workloads whose bench runs it
 * (bits 1 << pie_workload), its runs (progress) and its function. */
static const struct {
    unsigned runs_with;
    unsigned runs;
    void (*run)(bench *b);
} groups[] = {
    {1u << PIE_WORKLOAD_MC, 9, mc_baselines},
    {1u << PIE_WORKLOAD_HEX, 7, hex_baseline},
    {1u << PIE_WORKLOAD_MC | 1u << PIE_WORKLOAD_DIGITS, 6, digits_baseline},
};

unsigned long bench_python_runs(const bench *b)
{
    unsigned long n = 0;
    for (size_t i = 0; b->python && i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i].runs_with & 1u << b->wl->id)
            n += groups[i].runs;
    return n;
}

/* Why the baselines cannot run (into b->py_note), or 0 when they can. */
static int unavailable(bench *b)
{
    const char *dir = bench_python_dir();
    if (strchr(py_interp(), '\'') || (dir && strchr(dir, '\''))) {
        snprintf(b->py_note, sizeof b->py_note,
                 "Python baselines skipped: a quote in PIE_BENCH_PYTHON or PIE_BENCH_PYTHON_DIR");
        return -1;
    }
    char cmd[600], buf[256];
    snprintf(cmd, sizeof cmd, "'%s' -c 'print(42)' 2>/dev/null", py_interp());
    if (capture(cmd, buf, sizeof buf) != 0 || strncmp(buf, "42", 2) != 0) {
        snprintf(b->py_note, sizeof b->py_note,
                 "Python baselines skipped: '%s' not found (set PIE_BENCH_PYTHON)", py_interp());
        fprintf(stderr, "pie bench: %s\n", b->py_note);
        return -1;
    }
    if (!dir || !has_scripts(dir)) {
        snprintf(b->py_note, sizeof b->py_note,
                 "Python baselines skipped: scripts not found in %.120s (set "
                 "PIE_BENCH_PYTHON_DIR)",
                 dir ? dir : "share/pie/python beside the pie binary");
        fprintf(stderr, "pie bench: %s\n", b->py_note);
        return -1;
    }
    return 0;
}

int bench_python_baselines(bench *b)
{
    b->phase = "python";
    if (!b->python) {
        snprintf(b->py_note, sizeof b->py_note, "Python baselines not run (--no-python)");
        return PIE_EXIT_OK;
    }
    if (!bench_python_runs(b)) {
        snprintf(b->py_note, sizeof b->py_note,
                 "no Python baseline for %s (run --workload mc, hex or digits)",
                 pie_workload_name(b->wl->id));
        return PIE_EXIT_OK;
    }
    if (unavailable(b))
        return PIE_EXIT_OK;
    snprintf(b->py_note, sizeof b->py_note, "interpreter %s, scripts in %.120s", py_interp(),
             bench_python_dir());
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i].runs_with & 1u << b->wl->id)
            groups[i].run(b);
    return pie_cli_signal ? pie_cli_signal_exit() : PIE_EXIT_OK;
}
