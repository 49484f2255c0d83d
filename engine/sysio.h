/** @brief EINTR-safe, loop-until-done I/O on file descriptors. */
#ifndef PIE_SYSIO_H
#define PIE_SYSIO_H

#include <stddef.h>
#include <sys/types.h>

/* read() retried on EINTR; returns bytes read, 0 at EOF, -1 with errno. */
ssize_t pie__read_some(int fd, void *buf, size_t n);
/* Write all n bytes, retrying on EINTR and short writes; 0 or -1 with errno.
 * SIGPIPE is held off for the calling thread during the write, so a closed
 * reader shows up as EPIPE instead of killing the process. */
int pie__write_all(int fd, const void *buf, size_t n);
/* Set or clear O_NONBLOCK; 0 or -1. */
int pie__set_nonblock(int fd, int on);
/* In a freshly forked child: close every descriptor from 3 up except `a`
 * and `b` (close_range where the kernel has it, else /proc/self/fd). */
void pie__close_fds_except(int a, int b);

#endif
