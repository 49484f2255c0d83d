/** @brief For tests: run a case in a forked child with a deadline; drop root for a case. */
#ifndef PIE_TEST_CHILD_H
#define PIE_TEST_CHILD_H

#include "test_fault_util.h"

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit codes of a case run by tc_run: */
enum { TC_PASS = 0, TC_FAIL = 1, TC_SKIP = 77, TC_HUNG = -1 };

/* Run fn(arg) in a child process in its own process group; its exit status
 * is what fn returns. After `seconds` the group is killed (a hang): TC_HUNG.
 * `poke`, if not NULL, is called in the parent with the child's pid once the
 * child has started, and may signal it. */
static inline int tc_run(int (*fn)(void *), void *arg, double seconds, void (*poke)(pid_t))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return TC_FAIL;
    if (pid == 0) {
        setpgid(0, 0);
        atomic_store(&test_state_()->failures, 0); /* the parent's failures are not ours */
        _exit(fn(arg));
    }
    setpgid(pid, pid); /* either side may get there first */
    if (poke)
        poke(pid);
    double deadline = tf_now() + seconds;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (tf_now() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return TC_HUNG;
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : TC_FAIL;
}

/* In a child: become the unprivileged user nobody (65534) when root, so that
 * permissions and process limits apply. 0, or -1 if that is not possible. */
static inline int tc_drop_root(void)
{
    if (geteuid() != 0)
        return 0;
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        return -1;
    return 0;
}

/* Report a case's outcome: a check in the parent, or one skip line. */
#define TC_EXPECT_PASS(name, rc)                                                                   \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ == TC_SKIP)                                                                        \
            printf("skip %s: not possible here (see its comment)\n", name);                        \
        else                                                                                       \
            CHECKF(rc_ == TC_PASS, "%s: %s", name,                                                 \
                   rc_ == TC_HUNG ? "hung (killed at the deadline)" : "failed (see above)");       \
    } while (0)

#endif
