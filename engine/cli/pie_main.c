/** @brief The pie command: dispatches to subcommands through one table. */
#include "cli_main.h"
#include "cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

/* Adding a subcommand is one row here and one declaration in cli_main.h. */
static const subcommand subcommands[] = {
    {"mc", pie_cli_mc, "Monte Carlo estimate of pi with error bars"},
    {"digits", pie_cli_digits, "D digits of pi by the BBP series (base 10 or 16)"},
    {"hex", pie_cli_hex, "hex digits of pi at any position (BBP digit extraction)"},
    {"bench", pie_cli_bench, "scaling experiments: strong/weak, threads vs processes, vs Python"},
    {"cpu-info", pie_cli_cpu_info, "CPU features, topology and the kernel 'auto' picks"},
    {"selftest", pie_cli_selftest, "known answers for every kernel and backend; --stress"},
};

#define NSUB (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *f)
{
    fputs("Usage: pie <command> [options]\n"
          "pie computes pi and measures how that work scales across CPU cores.\n\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < NSUB; i++)
        fprintf(f, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fputs("\n"
          "  pie <command> --help   options of one command\n"
          "  pie --version          version\n\n"
          "Exit status: 0 success, 1 runtime failure, 2 bad usage or input,\n"
          "128+N when stopped by signal N (130 SIGINT,\n"
          "143 SIGTERM, 129 SIGHUP, 131 SIGQUIT).\n",
          f);
}

/* A descriptor 0-2 that the caller left closed would be taken by the next
 * file opened (the digits' temporary file as fd 2 would receive the
 * progress lines). Give each the null device, opened for the other
 * direction, so that using it fails with EBADF as if it were still closed:
 * `pie --help >&-` still reports its write error. */
static void fill_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int nfd = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (nfd >= 0 && nfd != fd) { /* a lower one was closed too: cannot be, but be sure */
            dup2(nfd, fd);
            close(nfd);
        }
    }
}

/* As coreutils' close_stdout: output that could not be written (a full
 * disk, a closed stdout) fails the command even when nothing noticed it. */
static int close_stdout(int rc)
{
    errno = 0;
    int failed = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (failed && rc == PIE_EXIT_OK) {
        if (e)
            return pie_cli_fail(NULL, "writing to standard output failed: %s", strerror(e));
        return pie_cli_fail(NULL, "writing to standard output failed");
    }
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2)
        return pie_cli_usage(NULL, "missing command (see 'pie --help')");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return PIE_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("pie %s\n", pie_version());
        return PIE_EXIT_OK;
    }
    for (size_t i = 0; i < NSUB; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    return pie_cli_usage(NULL, "unknown command '%s' (see 'pie --help')", argv[1]);
}

int main(int argc, char **argv)
{
    fill_std_fds();
    return close_stdout(dispatch(argc, argv));
}
