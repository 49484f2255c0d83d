/** @brief An output file that appears whole or not at all: a temporary file, then rename. */
#include "atomic_file.h"
#include "sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SYMLINKS 40 /* as the kernel's ELOOP limit */
#define TMP_NAME "/.pie.XXXXXX"

/* `path` with every symlink at its end followed (a dangling one gives the
 * name it points to, which `>` would create). NULL with errno. */
static char *follow_links(const char *path)
{
    char *cur = strdup(path);
    for (int hop = 0; cur && hop <= MAX_SYMLINKS; hop++) {
        struct stat st;
        char link[PATH_MAX];
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0)
            return cur; /* the checks below say why */
        link[n] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t keep = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = malloc(keep + (size_t)n + 1);
        if (next) {
            memcpy(next, cur, keep);
            memcpy(next + keep, link, (size_t)n + 1);
        }
        free(cur);
        cur = next;
    }
    if (cur) {
        free(cur);
        errno = ELOOP;
    }
    return NULL;
}

/* The directory part of `target` into a new string ("." or "/" included). */
static char *dir_of(const char *target)
{
    const char *slash = strrchr(target, '/');
    if (!slash)
        return strdup(".");
    if (slash == target)
        return strdup("/");
    return strndup(target, (size_t)(slash - target));
}

/* The process's umask, read without changing it (umask() would race other
 * threads creating files). */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[128];
    unsigned m;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Umask: %o", &m) == 1) {
            fclose(f);
            return (mode_t)m;
        }
    if (f)
        fclose(f);
    mode_t um = umask(022);
    umask(um);
    return um;
}

static int writable(const char *p, int mode)
{
    return faccessat(AT_FDCWD, p, mode, AT_EACCESS) == 0;
}

/* The checks on the target's directory and on an existing regular file. */
static pie_status check_replace(pie_ctx *ctx, pie__atomic_file *f, const char *dir)
{
    struct stat ds;
    if (stat(dir, &ds) != 0 || !S_ISDIR(ds.st_mode) || !writable(dir, W_OK | X_OK))
        return pie__fail(ctx, PIE_EINVAL, "cannot create the output file '%s': %s", f->path,
                         strerror(errno ? errno : ENOTDIR));
    if (f->have_old && !writable(f->target, W_OK))
        return pie__fail(ctx, PIE_EINVAL, "cannot write the output file '%s': %s", f->path,
                         strerror(errno));
    /* In a sticky directory (/tmp) only the file's or the directory's owner
     * (or root) may replace a file: the final rename would fail. */
    uid_t me = geteuid();
    if (f->have_old && (ds.st_mode & S_ISVTX) && me != 0 && f->old.st_uid != me && ds.st_uid != me)
        return pie__fail(ctx, PIE_EINVAL,
                         "cannot replace the output file '%s': it belongs to another user "
                         "in a sticky directory",
                         f->path);
    const char *base = strrchr(f->target, '/') ? strrchr(f->target, '/') + 1 : f->target;
    long name_max = pathconf(dir, _PC_NAME_MAX);
    if (!f->have_old && name_max > 0 && strlen(base) > (size_t)name_max)
        return pie__fail(ctx, PIE_EINVAL, "cannot create the output file '%s': %s", f->path,
                         strerror(ENAMETOOLONG));
    return PIE_OK;
}

pie_status pie__atomic_check(pie_ctx *ctx, const char *path, pie__atomic_file *f)
{
    *f = (pie__atomic_file){.path = path, .fd = -1};
    if (path[0] == 0)
        return pie__fail(ctx, PIE_EINVAL, "the output path is empty");
    f->target = follow_links(path);
    if (!f->target)
        return errno == ENOMEM
                   ? pie__fail(ctx, PIE_ENOMEM, "out of memory")
                   : pie__fail(ctx, PIE_EINVAL, "cannot follow the output path '%s': %s", path,
                               strerror(errno));
    size_t n = strlen(f->target);
    struct stat st;
    errno = 0;
    if (f->target[n - 1] == '/' || (stat(f->target, &st) == 0 && S_ISDIR(st.st_mode)))
        return pie__fail(ctx, PIE_EINVAL, "the output path '%s' is a directory", path);
    if (errno == 0 && S_ISSOCK(st.st_mode))
        return pie__fail(ctx, PIE_EINVAL, "the output path '%s' is a socket", path);
    if (errno == 0 && !S_ISREG(st.st_mode)) { /* a FIFO or a device: written in place */
        f->direct = 1;
        if (!writable(f->target, W_OK))
            return pie__fail(ctx, PIE_EINVAL, "cannot write the output file '%s': %s", path,
                             strerror(errno));
        return PIE_OK;
    }
    if (errno == 0) {
        f->have_old = 1;
        f->old = st;
    } else if (errno != ENOENT) {
        return pie__fail(ctx, PIE_EINVAL, "cannot create the output file '%s': %s", path,
                         strerror(errno));
    }
    char *dir = dir_of(f->target);
    if (!dir)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    errno = 0;
    pie_status st2 = check_replace(ctx, f, dir);
    free(dir);
    return st2;
}

pie_status pie__atomic_open(pie_ctx *ctx, pie__atomic_file *f)
{
    if (f->direct) {
        /* A FIFO blocks here until its reader comes, as with `>`; a signal
         * (the CLI's handlers do not restart calls) ends the wait. */
        while ((f->fd = open(f->target, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
            if (errno == EINTR && pie__cancelled(ctx))
                return pie__fail(ctx, PIE_ECANCELED, "cancelled while opening '%s'", f->path);
            if (errno != EINTR)
                return pie__fail(ctx, PIE_EIO, "cannot open the output file '%s': %s", f->path,
                                 strerror(errno));
        }
        return PIE_OK;
    }
    char *dir = dir_of(f->target);
    size_t n = dir ? strlen(dir) : 0;
    f->tmp = dir ? malloc(n + sizeof TMP_NAME) : NULL;
    if (!f->tmp) {
        free(dir);
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    }
    memcpy(f->tmp, dir, n);
    memcpy(f->tmp + n, TMP_NAME, sizeof TMP_NAME);
    free(dir);
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        free(f->tmp);
        f->tmp = NULL;
        return pie__fail(ctx, PIE_EIO, "cannot create a temporary file for '%s': %s", f->path,
                         strerror(e));
    }
    return PIE_OK;
}

void pie__atomic_abort(pie__atomic_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->tmp)
        unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
    free(f->target);
    f->target = NULL;
}

/* Remove the temporary file and report errno `e`. */
static pie_status fail_io(pie_ctx *ctx, pie__atomic_file *f, const char *what, int e)
{
    pie__atomic_abort(f);
    return pie__fail(ctx, PIE_EIO, "%s '%s' failed: %s", what, f->path, strerror(e));
}

pie_status pie__atomic_write(pie_ctx *ctx, pie__atomic_file *f, const void *data, size_t n)
{
    if (pie__write_all(f->fd, data, n) != 0)
        return fail_io(ctx, f, "writing", errno);
    return PIE_OK;
}

/* The replaced file's owner (where permitted) and mode, or 0666 & ~umask
 * for a new file. A set-id bit is kept only with the owner it belongs to. */
static int set_mode(pie__atomic_file *f)
{
    if (!f->have_old)
        return fchmod(f->fd, 0666 & ~current_umask());
    mode_t mode = f->old.st_mode & 07777;
    if (fchown(f->fd, f->old.st_uid, f->old.st_gid) != 0) {
        mode &= ~(mode_t)S_ISUID;
        if (fchown(f->fd, (uid_t)-1, f->old.st_gid) != 0)
            mode &= ~(mode_t)S_ISGID;
    }
    return fchmod(f->fd, mode);
}

pie_status pie__atomic_commit(pie_ctx *ctx, pie__atomic_file *f)
{
    if (!f->direct && (set_mode(f) != 0 || fsync(f->fd) != 0))
        return fail_io(ctx, f, "writing", errno);
    if (!f->direct && pie__cancelled(ctx)) {
        pie__atomic_abort(f);
        return pie__fail(ctx, PIE_ECANCELED, "cancelled before '%s' was renamed into place",
                         f->path);
    }
    /* After close the descriptor is gone whatever close said. */
    int rc = close(f->fd);
    f->fd = -1;
    if (rc != 0)
        return fail_io(ctx, f, "writing", errno);
    if (f->direct) {
        pie__atomic_abort(f);
        return PIE_OK;
    }
    if (rename(f->tmp, f->target) != 0)
        return fail_io(ctx, f, "renaming the temporary file onto", errno);
    free(f->tmp);
    f->tmp = NULL;
    pie__atomic_abort(f);
    return PIE_OK;
}
