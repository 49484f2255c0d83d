/** @brief `pie bench scaling`: a launcher backend's point is one `mpirun -np P pie <workload>
 * --backend mpi`. */
#include "cli_util.h"
#include "scaling.h"

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

int bench_mpi_check(pie_backend be, char *why, size_t n)
{
    if (pie_backend_available(be) != PIE_OK) {
        snprintf(why, n, "the %s backend is not in this build (configure with PIE_WITH_MPI=ON)",
                 pie_backend_name(be));
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

/* A value as text (a string without its quotes, or a number) copied into
 * out (at most n - 1 characters); -1 if absent. */
static int jvalue(const char *json, const char *key, char *out, size_t n)
{
    const char *p = jfind(json, key);
    if (!p)
        return -1;
    int quoted = *p == '"';
    p += quoted;
    size_t len = quoted ? strcspn(p, "\"") : strcspn(p, ",}");
    if (len == 0 || (quoted && !p[len]))
        return -1;
    snprintf(out, n, "%.*s", (int)len, p);
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

/* rank 0's JSON -> the run's figures, the check made as bench_run_once's
 * (so that check strings compare across backends). */
static int parse_result(const bench *b, const char *json, bench_run *out)
{
    const char *sec = jfind(json, "seconds");
    const char *workers = jfind(json, "workers");
    const char *chunks = jfind(json, "chunks");
    char value[72], kernel[40] = "";
    if (!sec || !workers || !chunks || jvalue(json, b->wl->check_key, value, sizeof value) != 0)
        return -1;
    out->seconds = strtod(sec, NULL);
    out->used = (unsigned)strtoul(workers, NULL, 10);
    out->chunks = strtoull(chunks, NULL, 10);
    jvalue(json, b->wl->kernel_key, kernel, sizeof kernel);
    out->kernel = intern(kernel);
    bench_check_format(b->wl, value, out->check, sizeof out->check);
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

/* The child's command: mpirun [--oversubscribe] -np P <this pie> <workload>
 * <its size arguments> --backend <be> -j 1 --json --no-progress. */
typedef struct mpi_cmd {
    const char *argv[32];
    char self[PATH_MAX], np[24], n[24], tmpfile[PATH_MAX];
} mpi_cmd;

static int build_cmd(const bench *b, pie_backend be, unsigned workers, uint64_t size, mpi_cmd *c)
{
    const char *mpirun = bench_mpirun();
    /* The path, not /proc/self/exe: in mpirun's children that names mpirun. */
    ssize_t sl = readlink("/proc/self/exe", c->self, sizeof c->self - 1);
    if (!mpirun || sl <= 0) {
        fprintf(stderr, "pie bench: mpi: %s\n",
                mpirun ? "cannot read /proc/self/exe" : "no mpirun");
        return -1;
    }
    c->self[sl] = '\0';
    snprintf(c->np, sizeof c->np, "%u", workers);
    snprintf(c->n, sizeof c->n, "%" PRIu64, size);
    snprintf(c->tmpfile, sizeof c->tmpfile, "%s/.mpi-%s-%ld.txt", b->out,
             pie_workload_name(b->wl->id), (long)getpid());
    int a = 0;
    c->argv[a++] = mpirun;
    if (open_mpi != 0)
        c->argv[a++] = "--oversubscribe";
    c->argv[a++] = "-np";
    c->argv[a++] = c->np;
    c->argv[a++] = c->self;
    c->argv[a++] = pie_workload_name(b->wl->id);
    a += b->wl->cli_args(c->n, c->tmpfile, c->argv + a);
    const char *const tail[] = {"--backend", pie_backend_name(be), "-j", "1",
                                "--json",    "--no-progress"};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        c->argv[a++] = tail[i];
    c->argv[a] = NULL;
    return 0;
}

/* Start the command with its stdout on a pipe; the read end in *fd. */
static pid_t spawn(const mpi_cmd *c, int *fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "pie bench: mpi: pipe: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "pie bench: mpi: fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* stdin from /dev/null: mpirun forwards stdin to rank 0 otherwise. */
        int in = open("/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execv(c->argv[0], (char *const *)c->argv);
        _exit(127);
    }
    close(fds[1]);
    *fd = fds[0];
    return pid;
}

int bench_run_mpi(bench *b, pie_backend be, unsigned workers, uint64_t size, bench_run *out)
{
    static mpi_cmd c;
    static char buf[MPI_OUT_MAX];
    if (build_cmd(b, be, workers, size, &c) != 0)
        return PIE_EXIT_FAILURE;
    double t0 = pie_cli_now();
    int fd;
    pid_t pid = spawn(&c, &fd);
    if (pid < 0)
        return PIE_EXIT_FAILURE;
    drain(fd, pid, buf, sizeof buf);
    close(fd);
    int status = 0;
    int waited = wait_child(pid, &status);
    out->wall_seconds = pie_cli_now() - t0;
    unlink(c.tmpfile);
    if (pie_cli_signal) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: interrupted\n");
        return pie_cli_signal_exit();
    }
    const char *what = pie_workload_name(b->wl->id);
    if (waited != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s %s w=%u n=%s: %s -np %s failed (%s %d)\n", what,
                pie_backend_name(be), workers, c.n, c.argv[0], c.np,
                WIFSIGNALED(status) ? "signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return PIE_EXIT_FAILURE;
    }
    if (parse_result(b, buf, out) != 0) {
        bench_progress_end(b);
        fprintf(stderr, "pie bench: %s %s w=%u n=%s: unexpected output: %.200s\n", what,
                pie_backend_name(be), workers, c.n, buf);
        return PIE_EXIT_FAILURE;
    }
    out->first_cb = out->last_cb = -1;
    return PIE_EXIT_OK;
}
