/** @brief Process backend, worker lifecycle: fork with pipes, replace, reap by pid, shut down. */
#include "placement.h"
#include "process_backend.h"
#include "sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Workers are reaped by pid, never with waitpid(-1): the host program may
 * have children of its own.
 */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* In the child of pie__proc_spawn(k), with every signal blocked: become
 * worker k, reading requests from req[0] and answering on res[1]. */
static _Noreturn void become_worker(const pstate *s, unsigned k, const int req[2], const int res[2])
{
    /* Handlers inherited from the host would run host code here: restore
     * the defaults. SIGINT is ignored: on Ctrl-C the parent decides (it
     * cancels, kills and reaps us), so a terminal's SIGINT to the whole
     * process group cannot race with that. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN &&
            sa.sa_handler != SIG_DFL) {
            sa.sa_handler = SIG_DFL;
            sa.sa_flags = 0;
            sigaction(sig, &sa, NULL);
        }
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
    /* Die with the parent; the getppid() check closes the race where the
     * parent died before prctl took effect. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != s->parent)
        _exit(0);
    pie__proc_pin_self(s->ctx, k); /* --pin: this worker's CPU */
    /* Keep only our own two pipe ends (and stdin/out/err). Any other
     * descriptor would hold someone's pipe open: another worker's of this
     * run, or, with several runs at once in the host's threads, another
     * run's, whose workers would then never see EOF at its end (killed
     * after the grace period) and whose lost workers would go unnoticed. */
    pie__close_fds_except(req[0], res[1]);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    pie__proc_worker_main(s, k, req[0], res[1]);
}

pie_status pie__proc_spawn(pstate *s, unsigned k)
{
    worker *w = &s->w[k];
    int req[2], res[2];
    if (pipe2(req, O_CLOEXEC) != 0)
        return pie__fail(s->ctx, PIE_ESYSTEM, "pipe: %s", strerror(errno));
    if (pipe2(res, O_CLOEXEC) != 0) {
        int e = errno;
        close(req[0]);
        close(req[1]);
        return pie__fail(s->ctx, PIE_ESYSTEM, "pipe: %s", strerror(e));
    }
    /* Block every signal across fork so that no handler of the host program
     * runs in the child before the child has reset the dispositions. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* A test build's "forkfail" makes the fork fail here (errno EAGAIN). */
    pid_t pid = pie__fault_before_fork(s->faults) == 0 ? fork() : -1;
    if (pid == 0)
        become_worker(s, k, req, res);
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(req[0]);
    close(res[1]);
    if (pid < 0) {
        close(req[1]);
        close(res[0]);
        return pie__fail(s->ctx, PIE_ESYSTEM, "fork: %s", strerror(fork_errno));
    }
    pie__set_nonblock(res[0], 1);
    w->pid = pid;
    w->to_fd = req[1];
    w->from_fd = res[0];
    w->ninflight = 0;
    pie__frame_reader_reset(&w->rd);
    return PIE_OK;
}

/* Spawn worker k; a failed fork or pipe (EAGAIN under a process limit,
 * EMFILE) is not fatal while another worker lives: the run carries on with
 * fewer workers and the slot stays empty. */
pie_status pie__proc_respawn(pstate *s, unsigned k)
{
    pie_status st = pie__proc_spawn(s, k);
    if (st != PIE_ESYSTEM)
        return st;
    for (unsigned j = 0; j < s->nw; j++) {
        if (s->w[j].pid > 0) {
            pie__forget_error(s->ctx); /* fewer workers is not a failure */
            return PIE_OK;
        }
    }
    char why[256];
    snprintf(why, sizeof why, "%s", pie_ctx_last_error(s->ctx));
    return pie__fail(s->ctx, st, "no worker left to run the job: %s", why);
}

static void account_rusage(pstate *s, const struct rusage *ru)
{
    /* ru_maxrss is in KiB on Linux. */
    s->stats->worker_peak_rss_bytes += (uint64_t)ru->ru_maxrss * 1024u;
    s->stats->worker_cpu_seconds +=
        (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
        ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) * 1e-6;
}

static const char *exit_meaning(int code)
{
    switch (code) {
    case PIE_PROC_EXIT_PROTOCOL:
        return " (bad request from the parent)";
    case PIE_PROC_EXIT_SEND:
        return " (could not send its result)";
    case PIE_PROC_EXIT_NOMEM:
        return " (ran out of memory)";
    default:
        return "";
    }
}

static void describe_status(int status, char *why, size_t whylen)
{
    /* pie never SIGKILLs a worker it reports on this way: a SIGKILL from
     * outside is most often the kernel's out-of-memory killer. */
    if (WIFSIGNALED(status))
        snprintf(why, whylen, "killed by signal %d (%s%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 WTERMSIG(status) == SIGKILL ? "; likely the out-of-memory killer" : "");
    else if (WIFEXITED(status))
        snprintf(why, whylen, "exited with code %d%s", WEXITSTATUS(status),
                 exit_meaning(WEXITSTATUS(status)));
}

/* Reap worker k. A worker that has not ended yet gets `grace` seconds to do
 * so (a closed pipe usually means it is exiting: its status says why), then
 * SIGKILL. `why` (if not NULL) receives how it ended, or "" if we killed it.
 * Returns its exit code if it exited by itself, else -1. */
int pie__proc_reap(pstate *s, unsigned k, double grace, char *why, size_t whylen)
{
    worker *w = &s->w[k];
    close_fd(&w->to_fd);
    close_fd(&w->from_fd);
    if (why && whylen)
        why[0] = '\0';
    if (w->pid <= 0)
        return -1;
    int status = 0, killed = 0;
    struct rusage ru;
    double deadline = pie__now() + grace;
    pid_t r;
    for (;;) {
        r = wait4(w->pid, &status, killed ? 0 : WNOHANG, &ru);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 0)
            break; /* reaped, or an error (not our child any more) */
        if (pie__now() >= deadline) {
            kill(w->pid, SIGKILL);
            killed = 1;
        } else {
            struct timespec ts = {0, 2000000}; /* 2 ms; ends as soon as the child does */
            nanosleep(&ts, NULL);
        }
    }
    int code = -1;
    if (r == w->pid) {
        account_rusage(s, &ru);
        if (why && !killed)
            describe_status(status, why, whylen);
        if (!killed && WIFEXITED(status))
            code = WEXITSTATUS(status);
    }
    w->pid = 0;
    return code;
}

void pie__proc_release(pstate *s)
{
    for (unsigned k = 0; k < s->nw; k++) {
        if (s->w[k].to_fd < 0)
            continue;                               /* released before */
        pie__proc_note_cpu(s->ctx, k, s->w[k].pid); /* where it ran, before it exits */
        close_fd(&s->w[k].to_fd);
    }
}

/* Orderly shutdown: close the request pipes (workers exit on EOF), give them
 * a moment, then kill whatever is left, and reap everyone. */
void pie__proc_shutdown(pstate *s, int force)
{
    pie__proc_release(s);
    if (!force) {
        double deadline = pie__now() + 1.0;
        for (unsigned k = 0; k < s->nw; k++) {
            worker *w = &s->w[k];
            while (w->pid > 0) {
                int status;
                struct rusage ru;
                pid_t r = wait4(w->pid, &status, WNOHANG, &ru);
                if (r == w->pid) {
                    account_rusage(s, &ru);
                    w->pid = 0;
                } else if (r < 0 && errno != EINTR) {
                    w->pid = 0;
                } else if (pie__now() > deadline) {
                    break;
                } else {
                    struct timespec ts = {0, 1000000};
                    nanosleep(&ts, NULL);
                }
            }
        }
    }
    for (unsigned k = 0; k < s->nw; k++) {
        pie__proc_reap(s, k, 0.0, NULL, 0);
        pie__frame_reader_free(&s->w[k].rd);
    }
}
