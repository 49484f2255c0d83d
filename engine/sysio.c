/** @brief EINTR-safe, loop-until-done I/O; SIGPIPE turned into EPIPE without touching dispositions.
 */
#include "sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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
