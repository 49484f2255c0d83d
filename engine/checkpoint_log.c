/** @brief The checkpoint log: its CRC-framed format, and opening, loading, appending, removing it.
 */
#include "checkpoint.h"
#include "sysio.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Appends are not fsync'd one by one (a killed process loses nothing the
 * kernel has; a power cut may lose the last second, which the CRCs detect);
 * the log is synced about once a second and when a run stops.
 */

/* ---------------------------------------------------------------------- */
/* The file format (no I/O)                                                */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t pie__ckpt_header(unsigned char *out, const char *fingerprint)
{
    size_t n = strlen(fingerprint);
    memcpy(out, PIE_CKPT_MAGIC, 8);
    put32(out + 8, PIE_CKPT_VERSION);
    put32(out + 12, (uint32_t)n);
    memcpy(out + 16, fingerprint, n);
    put32(out + 16 + n, pie__crc32c(0, out, 16 + n));
    return 20 + n;
}

/* Where the next frame might start after a bad one: the next frame magic. */
static size_t resync(const unsigned char *buf, size_t len, size_t from)
{
    static const unsigned char magic[4] = {0x50, 0x49, 0x45, 0x21}; /* PIE_WIRE_MAGIC, LE */
    for (size_t i = from; i + 4 <= len; i++)
        if (memcmp(buf + i, magic, 4) == 0)
            return i;
    return len;
}

int pie__ckpt_scan_image(const unsigned char *buf, size_t len, const char *fingerprint,
                         uint64_t nchunks, pie__ckpt_bound_fn bound, pie__ckpt_chunk_fn fn,
                         void *user, pie__ckpt_scan *scan)
{
    *scan = (pie__ckpt_scan){0};
    if (len < 20 || memcmp(buf, PIE_CKPT_MAGIC, 8) != 0 || get32(buf + 8) != PIE_CKPT_VERSION)
        return 0;
    uint32_t flen = get32(buf + 12);
    if (flen > PIE_CKPT_MAX_FINGERPRINT || len - 20 < flen ||
        pie__crc32c(0, buf, 16 + (size_t)flen) != get32(buf + 16 + flen))
        return 0;
    if (flen != strlen(fingerprint) || memcmp(buf + 16, fingerprint, flen) != 0) {
        scan->header = -1;
        return 0;
    }
    scan->header = 1;
    size_t off = 20 + (size_t)flen;
    while (off < len) {
        const unsigned char *h = buf + off;
        pie__frame_hdr fh;
        int ok = len - off >= PIE_WIRE_HEADER;
        if (ok) {
            uint64_t chunk = pie_kget_u64(h + 8);
            uint64_t max = chunk < nchunks ? bound(user, chunk) : 0;
            ok = pie__wire_parse_header(h, max, &fh) == PIE_WIRE_OK &&
                 fh.type == PIE_FRAME_PARTIAL && fh.chunk < nchunks &&
                 fh.length <= len - off - PIE_WIRE_HEADER &&
                 pie__wire_check_crc(h, h + PIE_WIRE_HEADER, fh.length) == PIE_WIRE_OK;
        }
        if (!ok) {
            scan->frames_bad++;
            off = resync(buf, len, off + 1);
            continue;
        }
        scan->frames_ok++;
        int rc = fn(user, fh.chunk, h + PIE_WIRE_HEADER, (size_t)fh.length);
        if (rc != 0)
            return rc;
        off += PIE_WIRE_HEADER + (size_t)fh.length;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The saved chunks                                                         */

/* With s_i = entry[i].chunk - i nondecreasing, remaining chunk j is
 * j + #{i : s_i <= j}. */
uint64_t pie__ckpt_real_chunk(const pie__ckpt_saved *s, uint64_t j)
{
    size_t lo = 0, hi = s->n; /* count of i with s_i <= j lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->entry[mid].chunk - mid <= j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return j + lo;
}

int pie__ckpt_merge_saved(pie__ckpt_saved *s, const pie__task *task, void *acc, uint64_t limit)
{
    while (s->next < s->n && s->entry[s->next].chunk < limit) {
        const pie__ckpt_entry *e = &s->entry[s->next];
        int k = task->ops->merge(acc, task->job, e->chunk, s->image + e->off, (size_t)e->len);
        if (k != PIE_K_OK)
            return k;
        s->next++;
    }
    return PIE_K_OK;
}

void pie__ckpt_saved_free(pie__ckpt_saved *s)
{
    free(s->image);
    free(s->entry);
    *s = (pie__ckpt_saved){0};
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                  */

typedef struct loader {
    pie__ckpt_saved *saved;
    const pie__task *task;
} loader;

static uint64_t load_bound(void *user, uint64_t chunk)
{
    const pie__task *t = ((const loader *)user)->task;
    return t->ops->max_partial(t->job, chunk);
}

static int load_collect(void *user, uint64_t chunk, const unsigned char *p, size_t len)
{
    pie__ckpt_saved *s = ((loader *)user)->saved;
    /* Frames are few compared with the work they stand for: grow by doubling. */
    if ((s->n & (s->n - 1)) == 0) {
        size_t cap = s->n ? 2 * s->n : 16;
        pie__ckpt_entry *e = realloc(s->entry, cap * sizeof *e);
        if (!e)
            return -1;
        s->entry = e;
    }
    s->entry[s->n++] = (pie__ckpt_entry){chunk, (uint64_t)(p - s->image), len};
    return 0;
}

static int by_chunk(const void *a, const void *b)
{
    const pie__ckpt_entry *x = a, *y = b;
    if (x->chunk != y->chunk)
        return x->chunk < y->chunk ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off; /* the earlier frame first */
}

/* Whether a file of `size` bytes can be the task's checkpoint. A run writes
 * the header, then at most one frame per chunk (each chunk is appended once,
 * a resume rewrites only valid frames). Twice that, plus 64 KiB, is
 * accepted, so that a file with repeated frames or stray bytes, which the
 * reader skips, still gives its chunks; a bigger one is garbage (a sparse
 * or foreign file) that must not be read into memory. The loop stops as
 * soon as the size is within the bound: a real file costs one pass over its
 * own chunks at most. */
static int size_possible(const pie__task *task, size_t fingerprint_len, uint64_t size)
{
    const uint64_t slack = UINT64_C(64) << 10;
    uint64_t bound = 20 + (uint64_t)fingerprint_len;
    for (uint64_t c = 0; c < task->nchunks && 2 * bound + slack < size; c++) {
        uint64_t p = task->ops->max_partial(task->job, c);
        bound += PIE_WIRE_HEADER + (p < (UINT64_C(1) << 60) ? p : (UINT64_C(1) << 60));
    }
    return size <= 2 * bound + slack;
}

/* Read the file into s->image. Anything but a regular file of a size the
 * job can produce (a FIFO, a device, a directory, a huge or sparse file)
 * is damage: s->image stays NULL, nothing is read, every chunk is
 * recomputed and the rewrite replaces the file. */
static pie_status read_image(pie_ctx *ctx, const pie__task *task, size_t fingerprint_len,
                             const char *path, int fd, pie__ckpt_saved *s)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return pie__fail(ctx, PIE_EIO, "checkpoint %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
        !size_possible(task, fingerprint_len, (uint64_t)st.st_size))
        return PIE_OK;
    if ((uint64_t)st.st_size > SIZE_MAX / 2)
        return pie__fail(ctx, PIE_ENOMEM, "checkpoint %s is too large", path);
    size_t n = (size_t)st.st_size;
    s->image = malloc(n ? n : 1);
    if (!s->image)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory loading checkpoint %s", path);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pie__read_some(fd, s->image + got, n - got);
        if (r < 0)
            return pie__fail(ctx, PIE_EIO, "reading checkpoint %s: %s", path, strerror(errno));
        if (r == 0)
            break; /* shrank under us: use what we have */
        got += (size_t)r;
    }
    s->image_len = got;
    return PIE_OK;
}

static pie_status load(pie_ctx *ctx, const pie__task *task, const char *path,
                       const char *fingerprint, pie__ckpt_saved *s)
{
    /* O_NONBLOCK: a FIFO at the path must not block the open (nor a read:
     * it is refused after fstat anyway). O_NOCTTY: nor may a terminal
     * become ours. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENXIO)
            return PIE_OK; /* a fresh start (ENXIO: a socket or a device without a driver) */
        return pie__fail(ctx, PIE_EIO, "opening checkpoint %s: %s", path, strerror(errno));
    }
    pie_status st = read_image(ctx, task, strlen(fingerprint), path, fd, s);
    close(fd);
    if (st != PIE_OK || !s->image)
        return st;
    loader ld = {s, task};
    pie__ckpt_scan scan;
    if (pie__ckpt_scan_image(s->image, s->image_len, fingerprint, task->nchunks, load_bound,
                             load_collect, &ld, &scan) != 0)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory loading checkpoint %s", path);
    /* A foreign or corrupt header: nothing in the file is used (scan reported
     * no frames), and the rewrite replaces it. */
    if (s->n > 1)
        qsort(s->entry, s->n, sizeof *s->entry, by_chunk);
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++)
        if (o == 0 || s->entry[i].chunk != s->entry[o - 1].chunk)
            s->entry[o++] = s->entry[i];
    s->n = o;
    return PIE_OK;
}

/* ---------------------------------------------------------------------- */
/* Opening                                                                  */

static pie_status make_dir(pie_ctx *ctx, const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return pie__fail(ctx, PIE_EIO, "cannot create checkpoint directory %s: %s", dir,
                         strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pie__fail(ctx, PIE_EIO, "checkpoint path %s is not a directory", dir);
    return PIE_OK;
}

static char *make_fingerprint(const pie__task *task)
{
    const char *fmt = "pie %s; kernel %s; chunks %llu; %s";
    int n = snprintf(NULL, 0, fmt, PIE_VERSION_STRING, task->ops->name,
                     (unsigned long long)task->nchunks, task->fingerprint);
    if (n < 0 || (unsigned)n > PIE_CKPT_MAX_FINGERPRINT)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        snprintf(s, (size_t)n + 1, fmt, PIE_VERSION_STRING, task->ops->name,
                 (unsigned long long)task->nchunks, task->fingerprint);
    return s;
}

/* Two CRCs with different seeds name the file: 64 bits, so different jobs
 * sharing a directory practically never share a file (and when they do, the
 * fingerprint inside tells them apart). */
static void name_log(pie__ckpt_log *log, const char *dir, const char *fingerprint)
{
    size_t fl = strlen(fingerprint);
    uint32_t h1 = pie__crc32c(0, fingerprint, fl);
    uint32_t h2 = pie__crc32c(0x9e3779b9u, fingerprint, fl);
    snprintf(log->path, sizeof log->path, "%s/pie-%08x%08x.ckpt", dir, (unsigned)h1, (unsigned)h2);
    snprintf(log->tmp, sizeof log->tmp, "%s.tmp%ld", log->path, (long)getpid());
}

/* Write the header and every saved chunk to a temporary file, sync it and
 * rename it over the checkpoint: a crash at any point leaves either the old
 * file or the new one, never a mix. The new file stays open for appends. */
static pie_status rewrite(pie_ctx *ctx, pie__ckpt_log *log, const char *fingerprint,
                          const pie__ckpt_saved *s)
{
    int fd = open(log->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pie__fail(ctx, PIE_EIO, "creating checkpoint %s: %s", log->tmp, strerror(errno));
    unsigned char *hdr = malloc(20 + strlen(fingerprint));
    int rc = hdr ? 0 : -1;
    if (hdr) {
        size_t n = pie__ckpt_header(hdr, fingerprint);
        rc = pie__write_all(fd, hdr, n);
        free(hdr);
    }
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        rc = pie__wire_send(fd, PIE_FRAME_PARTIAL, s->entry[i].chunk, s->image + s->entry[i].off,
                            s->entry[i].len);
    if (rc == 0)
        rc = fsync(fd);
    if (rc == 0)
        rc = rename(log->tmp, log->path);
    if (rc != 0) {
        int e = errno;
        close(fd);
        unlink(log->tmp);
        return pie__fail(ctx, PIE_EIO, "writing checkpoint %s: %s", log->path, strerror(e));
    }
    log->fd = fd;
    if (lseek(fd, 0, SEEK_END) < 0)
        return pie__fail(ctx, PIE_EIO, "checkpoint %s: %s", log->path, strerror(errno));
    return PIE_OK;
}

pie_status pie__ckpt_log_open(pie_ctx *ctx, const pie__task *task, pie__ckpt_log *log,
                              pie__ckpt_saved *saved)
{
    *log = (pie__ckpt_log){.fd = -1};
    *saved = (pie__ckpt_saved){0};
    if (!task->fingerprint)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s workload cannot be checkpointed",
                         task->ops->name);
    char *fingerprint = make_fingerprint(task);
    if (!fingerprint)
        return pie__fail(ctx, PIE_ENOMEM, "the job's fingerprint is too long or memory is out");
    name_log(log, ctx->checkpoint_dir, fingerprint);
    pie_status st = make_dir(ctx, ctx->checkpoint_dir);
    if (st == PIE_OK)
        st = load(ctx, task, log->path, fingerprint, saved);
    if (st == PIE_OK)
        st = rewrite(ctx, log, fingerprint, saved);
    free(fingerprint);
    if (st != PIE_OK) {
        if (log->fd >= 0)
            close(log->fd);
        log->fd = -1;
        pie__ckpt_saved_free(saved);
        return st;
    }
    log->last_sync = pie__now();
    return PIE_OK;
}

/* ---------------------------------------------------------------------- */
/* Appending and the end of a run                                          */

int pie__ckpt_log_append(pie__ckpt_log *log, uint64_t chunk, const unsigned char *p, size_t len)
{
    if (log->io_errno)
        return -1;
    if (pie__wire_send(log->fd, PIE_FRAME_PARTIAL, chunk, p, len) != 0) {
        log->io_errno = errno ? errno : EIO;
        return -1;
    }
    double now = pie__now();
    if (now - log->last_sync > 1.0) {
        fdatasync(log->fd);
        log->last_sync = now;
    }
    return 0;
}

int pie__ckpt_log_finish(pie__ckpt_log *log, int done, const char *dir)
{
    if (log->fd < 0)
        return 0;
    int rc = 0, e = 0;
    if (done) {
        if (unlink(log->path) != 0 && errno != ENOENT) {
            rc = -1;
            e = errno;
        }
        rmdir(dir); /* only if now empty; a user's own files stay */
    } else {
        fdatasync(log->fd);
    }
    close(log->fd);
    log->fd = -1;
    errno = e;
    return rc;
}

int pie__ckpt_log_remove(const char *dir, const pie__task *task)
{
    char *fingerprint = make_fingerprint(task);
    if (!fingerprint) {
        errno = ENOMEM;
        return -1;
    }
    pie__ckpt_log log;
    name_log(&log, dir, fingerprint);
    free(fingerprint);
    if (unlink(log.path) != 0 && errno != ENOENT)
        return -1;
    rmdir(dir); /* only if now empty */
    return 0;
}

pie_status pie__ckpt_fail_merge(pie_ctx *ctx, const pie__ckpt_log *log, int kstatus)
{
    pie_status st = pie__from_kernel(kstatus);
    return pie__fail(ctx, st, "a chunk saved in checkpoint %s does not merge: %s (delete the file)",
                     log->path, pie_strerror(st));
}

pie_status pie__ckpt_fail_append(pie_ctx *ctx, const pie__ckpt_log *log, int err)
{
    return pie__fail(ctx, PIE_EIO, "appending to checkpoint %s: %s", log->path, strerror(err));
}
