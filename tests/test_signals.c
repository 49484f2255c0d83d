/** @brief pie under SIGINT/SIGTERM (stop, reap, exit 130/143 in 1 s) and SIGKILL (workers go). */
#include "test_fault_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

/*
 * Runs the built `pie` (path in PIE_BIN) as a child of this process, which is
 * a child subreaper: a worker that outlives pie lands here and is counted.
 * The signal is sent only once pie is provably running the job: its SIGINT
 * and SIGTERM handlers are installed (SigCgt in /proc/PID/status) and, for
 * the process backend, its workers exist (/proc/PID/task/PID/children); no
 * sleep stands in for that.
 */

static const char *pie_bin;

static int count_children_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    long v;
    while (fscanf(f, "%ld", &v) == 1)
        n++;
    fclose(f);
    return n;
}

static int children_of(pid_t pid, pid_t *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0;
    long v;
    while (n < max && fscanf(f, "%ld", &v) == 1)
        out[n++] = (pid_t)v;
    fclose(f);
    return n;
}

static int count_threads(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* Whether pid has handlers for SIGINT and SIGTERM (bits 2 and 15 of SigCgt). */
static int handlers_installed(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long mask = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigCgt: %llx", &mask) == 1)
            break;
    if (f)
        fclose(f);
    unsigned long long want = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1));
    return (mask & want) == want;
}

typedef struct proc {
    pid_t pid;
    int err_fd; /* read end of pie's stderr */
} proc;

static proc start_out(char *const argv[], const char *dir, const char *out)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (dir && chdir(dir) != 0)
            _exit(127);
        dup2(p[1], 2);
        int null =
            out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open("/dev/null", O_WRONLY);
        dup2(null, 1);
        close(p[0]);
        close(p[1]);
        execv(pie_bin, argv);
        _exit(127);
    }
    close(p[1]);
    return (proc){pid, p[0]};
}

static proc start(char *const argv[], const char *dir)
{
    return start_out(argv, dir, NULL);
}

/* Poll until pie runs the job: handlers in place and `workers` children
 * (or, with want_threads, more than one thread). */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    long utime = 0, stime = 0;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

static int wait_running(pid_t pid, int workers, int want_threads, long min_ticks)
{
    double deadline = tf_now() + 20.0;
    while (tf_now() < deadline) {
        int ok = handlers_installed(pid);
        if (ok && workers > 0)
            ok = count_children_of(pid) >= workers;
        if (ok && want_threads)
            ok = count_threads(pid) > 1;
        if (ok && min_ticks > 0)
            ok = cpu_ticks(pid) >= min_ticks;
        if (ok)
            return 1;
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return 0;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Wait for pid to end within `seconds`; returns its wait status or -1. */
static int wait_exit(pid_t pid, double seconds, double *took)
{
    double t0 = tf_now();
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            *took = tf_now() - t0;
            return status;
        }
        if (tf_now() - t0 > seconds) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            *took = tf_now() - t0;
            return -1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static size_t read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == cap - 1)
            break;
    }
    buf[n] = '\0';
    close(fd);
    return n;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n == 0;
}

typedef struct sigcase {
    const char *name;
    const char *args[16];
    int sig;
    int workers;      /* children to wait for (process backend) */
    int want_threads; /* thread backend */
    long min_ticks;   /* CPU time (clock ticks) pie must have used: chunks are running */
    const char *says; /* a part the message must contain, or NULL */
} sigcase;

#define A(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
static const sigcase cases[] = {
    {"mc process SIGINT", A("mc", "-n", "1e15", "-j", "2", "--no-progress"), SIGINT, 2, 0, 0, NULL},
    {"mc process SIGTERM", A("mc", "-n", "1e15", "-j", "3"), SIGTERM, 3, 0, 0, NULL},
    {"mc thread SIGINT", A("mc", "-n", "1e15", "-j", "2", "--backend", "thread"), SIGINT, 0, 1, 0,
     NULL},
    {"mc serial SIGTERM", A("mc", "-n", "1e15", "--backend", "serial"), SIGTERM, 0, 0, 0, NULL},
    {"hex process SIGINT", A("hex", "-p", "1e11", "-c", "8", "-j", "2"), SIGINT, 2, 0, 0, NULL},
    /* Chunks of minutes each: the thread backend cannot stop them, so the
     * CLI's deadline ends the process (docs/faults.md). */
    {"hex thread SIGTERM (deadline)",
     A("hex", "-p", "1e11", "-c", "8", "-j", "2", "--backend", "thread"), SIGTERM, 0, 1, 20,
     "abandoned"},
    {"digits -o process SIGTERM", A("digits", "-d", "3e7", "-o", "pi.txt", "-j", "2"), SIGTERM, 2,
     0, 0, NULL},
    {"digits -o process SIGINT", A("digits", "-d", "3e7", "-o", "pi.txt", "-j", "2"), SIGINT, 2, 0,
     0, NULL},
    {"mc --checkpoint SIGINT", A("mc", "-n", "1e15", "-j", "2", "--checkpoint", "ck"), SIGINT, 2, 0,
     0, NULL},
};
#undef A

static void interrupt_case(const sigcase *c, const char *tmp)
{
    char *argv[18];
    int n = 0;
    argv[n++] = (char *)"pie";
    for (int i = 0; c->args[i]; i++)
        argv[n++] = (char *)c->args[i];
    argv[n] = NULL;
    proc p = start(argv, tmp);
    if (!wait_running(p.pid, c->workers, c->want_threads, c->min_ticks)) {
        CHECKF(0, "%s: pie did not start running", c->name);
        kill(p.pid, SIGKILL);
        waitpid(p.pid, NULL, 0);
        close(p.err_fd);
        return;
    }
    pid_t workers[16];
    int nworkers = children_of(p.pid, workers, 16);
    kill(p.pid, c->sig);
    double took;
    int status = wait_exit(p.pid, 5.0, &took);
    char err[2048];
    read_all(p.err_fd, err, sizeof err);
    int want = 128 + c->sig;
    CHECKF(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == want,
           "%s: status %#x, want exit %d", c->name, (unsigned)status, want);
    CHECKF(took < 1.0, "%s: took %.3f s to stop", c->name, took);
    CHECKF(count_lines(err) == 1 && strstr(err, "interrupted after ") && strstr(err, " chunks"),
           "%s: stderr is not one line saying how far it got: '%s'", c->name, err);
    CHECKF(!c->says || strstr(err, c->says), "%s: message lacks '%s'", c->name, c->says);
    /* pie reaped its workers before exiting: none was handed to us. */
    for (int i = 0; i < nworkers; i++)
        CHECKF(kill(workers[i], 0) != 0, "%s: worker %d still exists", c->name, (int)workers[i]);
    CHECKF(tf_leftover_children(0.0) == 0, "%s: processes left behind", c->name);
    printf("%-28s exit %d after %.3f s, %d workers: %s", c->name,
           status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, took, nworkers, err);
    if (strstr(c->name, "digits")) {
        /* No half-written output: neither the file nor a temporary one. */
        CHECKF(dir_is_empty(tmp), "%s: files left in %s", c->name, tmp);
    }
    if (strstr(c->name, "checkpoint")) {
        char ck[512];
        snprintf(ck, sizeof ck, "%s/ck", tmp);
        CHECKF(!dir_is_empty(ck), "%s: the checkpoint was not kept", c->name);
        char cmd[1100];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", ck);
        CHECKF(system(cmd) == 0, "rm");
    }
}

static off_t file_size_in(const char *dir)
{
    DIR *d = opendir(dir);
    off_t size = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[600];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && stat(path, &st) == 0)
            size += st.st_size;
    }
    if (d)
        closedir(d);
    return size;
}

static int same_file(const char *a, const char *b)
{
    char x[256] = "", y[256] = "";
    FILE *f = fopen(a, "r"), *g = fopen(b, "r");
    size_t n = f ? fread(x, 1, sizeof x - 1, f) : 0, m = g ? fread(y, 1, sizeof y - 1, g) : 0;
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    return n > 0 && n == m && memcmp(x, y, n) == 0;
}

/* Ctrl-C in the middle of a checkpointed run, then the same command again:
 * it resumes and prints what an uninterrupted run prints. */
static void resume_after_sigint(const char *tmp)
{
    char ref[300], got[300], ck[300];
    snprintf(ref, sizeof ref, "%s/ref.txt", tmp);
    snprintf(got, sizeof got, "%s/got.txt", tmp);
    snprintf(ck, sizeof ck, "%s/ck", tmp);
    char *plain[] = {(char *)"pie", (char *)"mc", (char *)"-n", (char *)"1e9", (char *)"--seed",
                     (char *)"4",   (char *)"-q", (char *)"-j", (char *)"2",   NULL};
    char *with_ck[] = {(char *)"pie",
                       (char *)"mc",
                       (char *)"-n",
                       (char *)"1e9",
                       (char *)"--seed",
                       (char *)"4",
                       (char *)"-q",
                       (char *)"-j",
                       (char *)"2",
                       (char *)"--checkpoint",
                       ck,
                       NULL};
    double took;
    proc p = start_out(plain, NULL, ref);
    int st = wait_exit(p.pid, 60, &took);
    close(p.err_fd);
    CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "resume: reference run");
    p = start_out(with_ck, NULL, got);
    /* Wait until a few chunks are in the checkpoint (header + frames). */
    double deadline = tf_now() + 30;
    while (file_size_in(ck) < 400 && tf_now() < deadline && waitpid(p.pid, NULL, WNOHANG) == 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    kill(p.pid, SIGINT);
    st = wait_exit(p.pid, 5, &took);
    close(p.err_fd);
    CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 130, "resume: interrupted run %#x",
           (unsigned)st);
    CHECKF(file_size_in(ck) >= 400, "resume: checkpoint not kept");
    p = start_out(with_ck, NULL, got);
    st = wait_exit(p.pid, 60, &took);
    close(p.err_fd);
    CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "resume: resumed run");
    CHECKF(same_file(ref, got), "resume: resumed result differs from the reference");
    CHECKF(access(ck, F_OK) != 0, "resume: checkpoint left after success");
    printf("%-28s resumed from the checkpoint, same result\n", "mc --checkpoint resume");
    unlink(ref);
    unlink(got);
    CHECKF(tf_leftover_children(0.2) == 0, "resume: processes left behind");
}

/* pie killed outright: PR_SET_PDEATHSIG takes its workers within 1 s. */
static void parent_killed(const char *name, char *const argv[], int nworkers)
{
    proc p = start(argv, NULL);
    if (!wait_running(p.pid, nworkers, 0, 0)) {
        CHECKF(0, "%s: pie did not start running", name);
        kill(p.pid, SIGKILL);
        waitpid(p.pid, NULL, 0);
        close(p.err_fd);
        return;
    }
    pid_t workers[16];
    int n = children_of(p.pid, workers, 16);
    kill(p.pid, SIGKILL);
    double t0 = tf_now();
    waitpid(p.pid, NULL, 0);
    close(p.err_fd);
    /* The orphans come to us (subreaper): reap them as they die. */
    int alive = n;
    while (alive > 0 && tf_now() - t0 < 1.0) {
        alive = 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        for (int i = 0; i < n; i++)
            alive += kill(workers[i], 0) == 0;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    CHECKF(alive == 0, "%s: %d of %d workers still alive 1 s after SIGKILL", name, alive, n);
    printf("%-28s %d workers gone %.3f s after SIGKILL\n", name, n, tf_now() - t0);
    CHECKF(tf_leftover_children(0.5) == 0, "%s: processes left behind", name);
}

int main(void)
{
    test_begin("test_signals");
    pie_bin = getenv("PIE_BIN");
    if (!pie_bin) {
        fprintf(stderr, "PIE_BIN is not set\n");
        return 1;
    }
    tf_become_subreaper();
    double t0 = tf_now();
    char tmp[] = "/tmp/pie_signals_XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].want_threads && strstr(cases[i].name, "thread")) {
            char *probe[] = {(char *)"pie",       (char *)"mc",     (char *)"-n", (char *)"1",
                             (char *)"--backend", (char *)"thread", (char *)"-q", NULL};
            proc p = start(probe, NULL);
            double took;
            int st = wait_exit(p.pid, 10.0, &took);
            close(p.err_fd);
            if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
                continue; /* no thread backend in this build */
        }
        interrupt_case(&cases[i], tmp);
    }
    resume_after_sigint(tmp);
    char *mc[] = {(char *)"pie", (char *)"mc", (char *)"-n", (char *)"1e15",
                  (char *)"-j",  (char *)"2",  NULL};
    parent_killed("mc process SIGKILL", mc, 2);
    char *hex[] = {(char *)"pie", (char *)"hex", (char *)"-p", (char *)"1e11",
                   (char *)"-j",  (char *)"3",   NULL};
    parent_killed("hex process SIGKILL", hex, 3);
    rmdir(tmp);
    printf("%.1f s\n", tf_now() - t0);
    return test_finish();
}
