/** @brief EINTR-safe, loop-until-done I/O; SIGPIPE turned into EPIPE without touching dispositions.
 */
#include "sysio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

ssize_t pie__read_some(int fd, void *buf, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

int pie__write_all(int fd, const void *buf, size_t n)
{
    /* A library may not change the process's SIGPIPE disposition, so block
     * it in this thread for the duration of the write; if our write raised
     * it, consume the pending signal before unblocking (the classic
     * "SIGPIPE without signal()" recipe). */
    sigset_t pipe_set, old_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);

    const unsigned char *p = buf;
    int rc = 0, saved = 0;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            saved = errno;
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    if (rc < 0 && saved == EPIPE && !was_pending) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old_set, NULL);
    if (rc < 0)
        errno = saved;
    return rc;
}

int pie__set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, fl);
}

/* close_range(lo, hi) through the system call (glibc < 2.34 lacks the
 * wrapper); -1 with ENOSYS where the kernel (< 5.9) lacks it. */
static int close_fd_range(unsigned lo, unsigned hi)
{
    if (lo > hi)
        return 0;
#ifdef SYS_close_range
    return (int)syscall(SYS_close_range, lo, hi, 0u);
#else
    errno = ENOSYS;
    return -1;
#endif
}

static void close_listed_except(int a, int b)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name || fd < 3 || fd == a || fd == b || fd == self)
            continue;
        close((int)fd); /* closing while listing is fine: the entries are a snapshot per read */
    }
    closedir(d);
}

void pie__close_fds_except(int a, int b)
{
    if (a > b) {
        int t = a;
        a = b;
        b = t;
    }
    /* The ranges [3, a), (a, b), (b, max], each clipped to start at 3. */
    unsigned lo = 3;
    int keep[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (keep[i] < (int)lo)
            continue;
        if (keep[i] > (int)lo && close_fd_range(lo, (unsigned)keep[i] - 1) != 0) {
            close_listed_except(a, b);
            return;
        }
        lo = (unsigned)keep[i] + 1;
    }
    if (close_fd_range(lo, ~0u) != 0)
        close_listed_except(a, b);
}
