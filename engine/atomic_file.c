/** @brief An output file that appears whole or not at all: a temporary file, then rename. */
#include "atomic_file.h"
#include "sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pie_status pie__atomic_open(pie_ctx *ctx, const char *path, pie__atomic_file *f)
{
    struct stat st;
    f->path = path;
    f->tmp = NULL;
    f->fd = -1;
    if (path[0] == 0)
        return pie__fail(ctx, PIE_EINVAL, "the output path is empty");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return pie__fail(ctx, PIE_EINVAL, "the output path '%s' is a directory", path);
    size_t n = strlen(path);
    f->tmp = malloc(n + 16);
    if (!f->tmp)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    snprintf(f->tmp, n + 16, "%s.tmp.XXXXXX", path);
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        int e = errno;
        free(f->tmp);
        f->tmp = NULL;
        return pie__fail(ctx, PIE_EINVAL, "cannot create the output file '%s': %s", path,
                         strerror(e));
    }
    return PIE_OK;
}

void pie__atomic_abort(pie__atomic_file *f)
{
    if (!f->tmp)
        return;
    close(f->fd);
    unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
}

/* Remove the temporary file and report errno `e`. */
static pie_status fail_io(pie_ctx *ctx, pie__atomic_file *f, int e)
{
    pie__atomic_abort(f);
    return pie__fail(ctx, PIE_EIO, "writing '%s' failed: %s", f->path, strerror(e));
}

pie_status pie__atomic_write(pie_ctx *ctx, pie__atomic_file *f, const void *data, size_t n)
{
    if (pie__write_all(f->fd, data, n) != 0)
        return fail_io(ctx, f, errno);
    return PIE_OK;
}

pie_status pie__atomic_commit(pie_ctx *ctx, pie__atomic_file *f)
{
    /* The file mode follows the umask, as a plain creat() would give. */
    mode_t um = umask(0);
    umask(um);
    if (fchmod(f->fd, 0666 & ~um) != 0 || fsync(f->fd) != 0)
        return fail_io(ctx, f, errno);
    /* After close the descriptor is gone whatever close said: only the
     * name is left to remove. */
    int rc = close(f->fd);
    f->fd = -1;
    if (rc != 0 || rename(f->tmp, f->path) != 0) {
        int e = errno;
        unlink(f->tmp);
        free(f->tmp);
        f->tmp = NULL;
        return pie__fail(ctx, PIE_EIO, "writing '%s' failed: %s", f->path, strerror(e));
    }
    free(f->tmp);
    f->tmp = NULL;
    return PIE_OK;
}
