/** @brief `pie bench scaling`: an mpi point is one `mpirun -np P pie <workload> --backend mpi`. */
#include "cli_bench.h"
#include "cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* CMake's FindMPI result (MPIEXEC_EXECUTABLE); empty when MPI was not found. */
#ifndef PIE_BENCH_MPIRUN_DEFAULT
#define PIE_BENCH_MPIRUN_DEFAULT ""
#endif

/* The rank-0 JSON is one line of a few hundred bytes (digits write to a file). */
#define MPI_OUT_MAX 65536

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A name without a slash is looked up on PATH, as a shell would. */
static int resolve(const char *name, char *out, size_t n)
{
    if (strchr(name, '/')) {
        if (!executable(name))
            return -1;
        snprintf(out, n, "%s", name);
        return 0;
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len > 0 && len + strlen(name) + 2 <= n) {
            memcpy(out, path, len);
            out[len] = '/';
            memcpy(out + len + 1, name, strlen(name) + 1);
            if (executable(out))
                return 0;
        }
        path = end ? end + 1 : NULL;
    }
    return -1;
}

const char *bench_mpirun(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("PIE_BENCH_MPIRUN");
    const char *want = env && *env ? env : PIE_BENCH_MPIRUN_DEFAULT;
    if (!*want || resolve(want, path, sizeof path) != 0)
        return NULL;
    return path;
}

/* Open MPI refuses more ranks than cores without --oversubscribe; MPICH's
 * mpiexec oversubscribes by default and does not know the flag. */
static int open_mpi = -1;

static int is_open_mpi(const char *mpirun)
{
    char cmdline[PATH_MAX + 32], line[256];
    if (strchr(mpirun, '\''))
        return 1;
    snprintf(cmdline, sizeof cmdline, "'%s' --version 2>/dev/null </dev/null", mpirun);
    FILE *p = popen(cmdline, "r");
    int found = 0;
    while (p && fgets(line, sizeof line, p))
        found |= strstr(line, "Open MPI") != NULL || strstr(line, "OpenRTE") != NULL;
    if (p)
        pclose(p);
    return found;
}

int bench_mpi_check(char *why, size_t n)
{
    if (!pie_backend_available(PIE_BACKEND_MPI)) {
        snprintf(why, n, "the mpi backend is not in this build (configure with PIE_WITH_MPI=ON)");
        return -1;
    }
    if (!bench_mpirun()) {
        const char *env = getenv("PIE_BENCH_MPIRUN");
        snprintf(why, n, "--backends mpi: no mpirun found (%.200s); set PIE_BENCH_MPIRUN",
                 env && *env                 ? env
                 : *PIE_BENCH_MPIRUN_DEFAULT ? PIE_BENCH_MPIRUN_DEFAULT
                                             : "none at build time");
        return -1;
    }
    open_mpi = is_open_mpi(bench_mpirun());
    /* Open MPI refuses to start as root without these (the bench's own
     * environment, inherited by every mpirun it starts). */
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    }
    return 0;
}

/* The value after "key": in a flat JSON object, as text; NULL if absent. */
static const char *jfind(const char *json, const char *key)
{
    char pat[48];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? p + strlen(pat) : NULL;
}

/* A string value copied into out (at most n - 1 characters); -1 if absent. */
static int jstring(const char *json, const char *key, char *out, size_t n)
{
    const char *p = jfind(json, key);
    if (!p || *p != '"')
        return -1;
    const char *end = strchr(p + 1, '"');
    if (!end)
        return -1;
    snprintf(out, n, "%.*s", (int)(end - p - 1), p + 1);
    return 0;
}

/* Kernel names live as long as the points that point at them. */
static const char *intern(const char *s)
{
    static char names[8][40];
    for (size_t i = 0; i < 8; i++) {
        if (strcmp(names[i], s) == 0)
            return names[i];
        if (!names[i][0]) {
            snprintf(names[i], sizeof names[i], "%s", s);
            return names[i];
        }
    }
    return "other";
}

/* rank 0's JSON -> the run's figures, in the library-run format of
 * bench_run_once (so that check strings compare across backends). */
static int parse_result(const bench *b, const char *json, bench_run *out)
{
    const char *sec = jfind(json, "seconds");
    const char *workers = jfind(json, "workers");
    const char *chunks = jfind(json, "chunks");
    char text[72], kernel[40] = "";
    if (!sec || !workers || !chunks)
        return -1;
    out->seconds = strtod(sec, NULL);
    out->used = (unsigned)strtoul(workers, NULL, 10);
    out->chunks = strtoull(chunks, NULL, 10);
    jstring(json, b->wl == BENCH_DIGITS ? "algorithm" : "kernel", kernel, sizeof kernel);
    out->kernel = intern(kernel);
    switch (b->wl) {
    case BENCH_MC: {
        const char *in = jfind(json, "inside");
        if (!in)
            return -1;
        snprintf(out->check, sizeof out->check, "inside=%" PRIu64,
                 (uint64_t)strtoull(in, NULL, 10));
        break;
    }
    case BENCH_DIGITS:
        if (jstring(json, "sha256", text, sizeof text) != 0)
            return -1;
        snprintf(out->check, sizeof out->check, "sha256=%.16s", text);
        break;
    case BENCH_HEX:
        if (jstring(json, "hex", text, sizeof text) != 0)
            return -1;
        snprintf(out->check, sizeof out->check, "hex=%.60s", text);
        break;
    }
    return out->seconds >= 0 ? 0 : -1;
}

/* Collects the child's stdout until EOF. Polls so that SIGINT/SIGTERM (no
 * SA_RESTART) are seen: the first one is passed to mpirun, which forwards it
 * to its ranks, and the loop then reads on until mpirun has gone. */
static size_t drain(int fd, pid_t pid, char *buf, size_t cap)
{
    size_t len = 0;
    int forwarded = 0;
    for (;;) {
        if (pie_cli_signal && !forwarded) {
            kill(pid, SIGTERM);
            forwarded = 1;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, 200);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char tmp[4096];
        ssize_t got = read(fd, tmp, sizeof tmp);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t take = (size_t)got < cap - 1 - len ? (size_t)got : cap - 1 - len;
        memcpy(buf + len, tmp, take);
        len += take;
    }
    buf[len] = '\0';
    return len;
}

static int wait_child(pid_t pid, int *status)
{
    for (;;) {
        if (waitpid(pid, status, 0) == pid)
            return 0;
        if (errno != EINTR)
            return -1;
        if (pie_cli_signal)
            kill(pid, SIGTERM);
    }
}

int bench_run_mpi(bench *b, unsigned workers, uint64_t size, bench_run *out)
{
    const char *mpirun = bench_mpirun();
    char self[PATH_MAX], np[24], n[24], tmpfile[PATH_MAX];
    /* The path, not /proc/self/exe: in mpirun's children that names mpirun. */
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!mpirun || sl <= 0) {
        fprintf(stderr, "pie bench: mpi: %s\n",
                mpirun ? "cannot read /proc/self/exe" : "no mpirun");
        return PIE_EXIT_FAILURE;
    }
    self[sl] = '\0';
    snprintf(np, sizeof np, "%u", workers);
    snprintf(n, sizeof n, "%" PRIu64, size);
    snprintf(tmpfile, sizeof tmpfile, "%s/.mpi-digits-%ld.txt", b->out, (long)getpid());
    const char *argv[24] = {mpirun};
    int a = 1;
    if (open_mpi != 0)
        argv[a++] = "--oversubscribe";
    argv[a++] = "-np";
    argv[a++] = np;
    argv[a++] = self;
    argv[a++] = bench_wl_name(b->wl);
    if (b->wl == BENCH_MC) {
        argv[a++] = "-n";
        argv[a++] = n;
    } else if (b->wl == BENCH_DIGITS) {
        argv[a++] = "-d";
        argv[a++] = n;
        argv[a++] = "-o"; /* the digits to a file, not into the JSON */
        argv[a++] = tmpfile;
    } else {
        argv[a++] = "-p";
        argv[a++] = n;
        argv[a++] = "-c";
        argv[a++] = "8"; /* as the library runs of the bench (BENCH_HEX_COUNT) */
        argv[a++] = "--formula";
        argv[a++] = "bellard";
    }
    static const char *const tail[] = {"--backend", "mpi", "-j", "1", "--json", "--no-progress"};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        argv[a++] = tail[i];
    argv[a] = NULL;

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "pie bench: mpi: pipe: %s\n", strerror(errno));
        return PIE_EXIT_FAILURE;
    }
    double t0 = pie_cli_now();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "pie bench: mpi: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return PIE_EXIT_FAILURE;
    }
    if (pid == 0) {
        /* stdin from /dev/null: mpirun forwards stdin to rank 0 otherwise. */
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execv(mpirun, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    static char buf[MPI_OUT_MAX];
    drain(fds[0], pid, buf, sizeof buf);
    close(fds[0]);
    int status = 0;
    int waited = wait_child(pid, &status);
    out->wall_seconds = pie_cli_now() - t0;
    if (b->wl == BENCH_DIGITS)
        unlink(tmpfile);
    if (pie_cli_signal) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: interrupted\n");
        return pie_cli_signal_exit();
    }
    const char *what = bench_wl_name(b->wl);
    if (waited != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s mpi w=%u n=%s: %s -np %s failed (%s %d)\n", what, workers, n,
                mpirun, np, WIFSIGNALED(status) ? "signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return PIE_EXIT_FAILURE;
    }
    if (parse_result(b, buf, out) != 0) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s mpi w=%u n=%s: unexpected output: %.200s\n", what, workers,
                n, buf);
        return PIE_EXIT_FAILURE;
    }
    out->first_cb = out->last_cb = -1;
    return PIE_EXIT_OK;
}
