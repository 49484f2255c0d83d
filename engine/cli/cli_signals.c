/** @brief SIGINT/SIGTERM/SIGHUP/SIGQUIT: raise the library's cancel flag, and leave by a deadline
 * if a chunk does not return. */
#include "cli_util.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

volatile sig_atomic_t pie_cli_signal = 0;

/* How far the run got, for the deadline's message (set by the progress
 * callback; lock-free atomics, so the signal handler may read them). */
static atomic_uint_fast64_t cli_done, cli_total;
static volatile sig_atomic_t cli_deadline_armed;
/* Between pie_cli_progress_init and _done: a run whose chunks the progress
 * callback follows (mc, hex, digits). Other commands get no deadline. */
static volatile sig_atomic_t cli_deadline_enabled;

static size_t put_str(char *buf, size_t n, const char *s)
{
    while (*s && n < 200)
        buf[n++] = *s++;
    return n;
}

static size_t put_u64(char *buf, size_t n, uint64_t v)
{
    char tmp[24];
    int k = 0;
    do
        tmp[k++] = (char)('0' + v % 10);
    while ((v /= 10) && k < 24);
    while (k > 0 && n < 200)
        buf[n++] = tmp[--k];
    return n;
}

/* The run did not stop within the deadline after a signal: the thread
 * and serial backends stop only between chunks, and a chunk may take long.
 * Leave now (async-signal-safe: write and _exit); the workers of a process
 * run would die with us (PR_SET_PDEATHSIG). No output file can be left
 * behind: the library creates its temporary file only after the last chunk
 * (in the "output" phase), and the deadline is armed only while chunks run;
 * a signal in a later phase is honoured by the library itself. */
static void on_deadline(int sig)
{
    (void)sig;
    char msg[256];
    uint64_t total = atomic_load(&cli_total);
    size_t n = put_str(msg, 0, "pie: interrupted after ");
    n = put_u64(msg, n, atomic_load(&cli_done));
    if (total) {
        n = put_str(msg, n, " of ");
        n = put_u64(msg, n, total);
    }
    n = put_str(msg, n, " chunks; the chunks still running were abandoned\n");
    if (write(STDERR_FILENO, msg, n) < 0)
        _exit(128 + (pie_cli_signal ? (int)pie_cli_signal : SIGINT));
    _exit(128 + (pie_cli_signal ? (int)pie_cli_signal : SIGINT));
}

static void on_signal(int sig)
{
    pie_cli_signal = sig;
    /* While chunks are running, give the library 0.5 s to stop them (the
     * process backend needs ~50 ms); after the last chunk (a workload's
     * own final phase, e.g. writing a file) let it finish instead. */
    uint64_t done = atomic_load(&cli_done), total = atomic_load(&cli_total);
    if (cli_deadline_enabled && !cli_deadline_armed && (total == 0 || done < total)) {
        cli_deadline_armed = 1;
        struct itimerval it = {{0, 0}, {0, 500000}};
        setitimer(ITIMER_REAL, &it, NULL);
    }
}

void pie_cli_install_signals(void)
{
    /* A hang-up (the terminal closed) and SIGQUIT end a run like Ctrl-C
     * (129, 131), so that nothing is left behind; SIGQUIT gives no core. */
    static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaddset(&sa.sa_mask, stop_signals[i]);
    sa.sa_flags = 0; /* no SA_RESTART: let poll() and friends return EINTR */
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
        /* A signal the caller ignores stays ignored (nohup, a script's
         * background job under Ctrl-C), as shells expect. */
        if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(stop_signals[i], &sa, NULL);
    }
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_deadline;
    sigaction(SIGALRM, &sa, NULL);
    /* A closed stdout (pie mc | head) must be an error we report, not a death. */
    signal(SIGPIPE, SIG_IGN);
}

void pie_cli_deadline_enable(int on)
{
    cli_deadline_enabled = on;
}

void pie_cli_note_chunks(uint64_t done, uint64_t total)
{
    atomic_store(&cli_done, done);
    atomic_store(&cli_total, total);
}

int pie_cli_signal_exit(void)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL); /* stopped in time: no forced exit */
    return 128 + (pie_cli_signal ? (int)pie_cli_signal : SIGINT);
}
