/** @brief Checkpoint and resume: merged partials logged as CRC frames, saved chunks never rerun. */
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
 * How a checkpointed run works. pie__ckpt_begin loads the chunks the file
 * holds ("saved") and hands the backend a task made of the other chunks
 * only, renumbered 0 .. n-1 (so no backend needs to know about checkpoints,
 * and a saved chunk never reaches a worker). The wrapped merge interleaves:
 * before merging remaining chunk j (real id r), it merges, from the file's
 * bytes, every saved chunk below r; after merging r it appends r's partial to
 * the log. pie__ckpt_end merges the saved chunks above the last remaining one
 * and, when the run succeeded, removes the file. The merge order is exactly
 * 0, 1, 2, ... as without a checkpoint, so the result is bit-identical.
 *
 * Appends are not fsync'd one by one (a killed process loses nothing the
 * kernel has; a power cut may lose the last second, which the CRCs detect);
 * the log is synced about once a second and when a run stops.
 */

typedef struct saved_chunk {
    uint64_t chunk;
    const unsigned char *data; /* into ck->image */
    size_t len;
} saved_chunk;

struct pie__ckpt {
    pie_ctx *ctx;
    pie__task inner;
    char *fingerprint;
    char path[PIE_CKPT_DIR_MAX + 64];
    char tmp[PIE_CKPT_DIR_MAX + 96];
    int fd;
    unsigned char *image; /* the file as loaded */
    size_t image_len;
    saved_chunk *saved; /* sorted by chunk, no duplicates */
    size_t nsaved;
    size_t next_saved; /* the first saved chunk not merged yet */
    int io_errno;      /* an append failed: the run stops with PIE_EIO */
    double last_sync;
};

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
/* Loading                                                                  */

static uint64_t inner_bound(void *user, uint64_t chunk)
{
    const pie__ckpt *ck = user;
    return ck->inner.ops->max_partial(ck->inner.job, chunk);
}

static int collect(void *user, uint64_t chunk, const unsigned char *p, size_t len)
{
    pie__ckpt *ck = user;
    /* Frames are few compared with the work they stand for: grow by doubling. */
    if ((ck->nsaved & (ck->nsaved - 1)) == 0) {
        size_t cap = ck->nsaved ? 2 * ck->nsaved : 16;
        saved_chunk *s = realloc(ck->saved, cap * sizeof *s);
        if (!s)
            return -1;
        ck->saved = s;
    }
    ck->saved[ck->nsaved++] = (saved_chunk){chunk, p, len};
    return 0;
}

static int by_chunk(const void *a, const void *b)
{
    const saved_chunk *x = a, *y = b;
    if (x->chunk != y->chunk)
        return x->chunk < y->chunk ? -1 : 1;
    return x->data < y->data ? -1 : x->data > y->data; /* the earlier frame first */
}

static pie_status read_file(pie__ckpt *ck, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return pie__fail(ck->ctx, PIE_EIO, "checkpoint %s: %s", ck->path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return pie__fail(ck->ctx, PIE_EIO, "checkpoint %s is not a regular file", ck->path);
    if ((uint64_t)st.st_size > SIZE_MAX / 2)
        return pie__fail(ck->ctx, PIE_ENOMEM, "checkpoint %s is too large", ck->path);
    size_t n = (size_t)st.st_size;
    ck->image = malloc(n ? n : 1);
    if (!ck->image)
        return pie__fail(ck->ctx, PIE_ENOMEM, "out of memory loading checkpoint %s", ck->path);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pie__read_some(fd, ck->image + got, n - got);
        if (r < 0)
            return pie__fail(ck->ctx, PIE_EIO, "reading checkpoint %s: %s", ck->path,
                             strerror(errno));
        if (r == 0)
            break; /* shrank under us: use what we have */
        got += (size_t)r;
    }
    ck->image_len = got;
    return PIE_OK;
}

static pie_status load(pie__ckpt *ck)
{
    int fd = open(ck->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return PIE_OK; /* a fresh start */
        return pie__fail(ck->ctx, PIE_EIO, "opening checkpoint %s: %s", ck->path, strerror(errno));
    }
    pie_status st = read_file(ck, fd);
    close(fd);
    if (st != PIE_OK)
        return st;
    pie__ckpt_scan scan;
    if (pie__ckpt_scan_image(ck->image, ck->image_len, ck->fingerprint, ck->inner.nchunks,
                             inner_bound, collect, ck, &scan) != 0)
        return pie__fail(ck->ctx, PIE_ENOMEM, "out of memory loading checkpoint %s", ck->path);
    /* A foreign or corrupt header: nothing in the file is used (scan reported
     * no frames), and the rewrite below replaces it. */
    if (ck->nsaved > 1)
        qsort(ck->saved, ck->nsaved, sizeof *ck->saved, by_chunk);
    size_t o = 0;
    for (size_t i = 0; i < ck->nsaved; i++)
        if (o == 0 || ck->saved[i].chunk != ck->saved[o - 1].chunk)
            ck->saved[o++] = ck->saved[i];
    ck->nsaved = o;
    return PIE_OK;
}

/* Write the header and every saved chunk to a temporary file, sync it and
 * rename it over the checkpoint: a crash at any point leaves either the old
 * file or the new one, never a mix. The new file stays open for appends. */
static pie_status rewrite(pie__ckpt *ck)
{
    int fd = open(ck->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pie__fail(ck->ctx, PIE_EIO, "creating checkpoint %s: %s", ck->tmp, strerror(errno));
    size_t flen = strlen(ck->fingerprint);
    unsigned char *hdr = malloc(20 + flen);
    int rc = hdr ? 0 : -1;
    if (hdr) {
        size_t n = pie__ckpt_header(hdr, ck->fingerprint);
        rc = pie__write_all(fd, hdr, n);
        free(hdr);
    }
    for (size_t i = 0; rc == 0 && i < ck->nsaved; i++)
        rc = pie__wire_send(fd, PIE_FRAME_PARTIAL, ck->saved[i].chunk, ck->saved[i].data,
                            ck->saved[i].len);
    if (rc == 0)
        rc = fsync(fd);
    if (rc == 0)
        rc = rename(ck->tmp, ck->path);
    if (rc != 0) {
        int e = errno;
        close(fd);
        unlink(ck->tmp);
        return pie__fail(ck->ctx, PIE_EIO, "writing checkpoint %s: %s", ck->path, strerror(e));
    }
    ck->fd = fd;
    if (lseek(fd, 0, SEEK_END) < 0)
        return pie__fail(ck->ctx, PIE_EIO, "checkpoint %s: %s", ck->path, strerror(errno));
    return PIE_OK;
}

/* ---------------------------------------------------------------------- */
/* The wrapped task                                                         */

/* The real id of remaining chunk j: the j-th chunk id not in `saved`. With
 * s_i = saved[i].chunk - i nondecreasing, it is j + (1 + the largest i with
 * s_i <= j). */
static uint64_t real_chunk(const pie__ckpt *ck, uint64_t j)
{
    size_t lo = 0, hi = ck->nsaved; /* count of i with s_i <= j lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ck->saved[mid].chunk - mid <= j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return j + lo;
}

static uint64_t wrapped_id(const void *job, uint64_t j)
{
    return real_chunk(job, j);
}

static int wrapped_run(const void *job, uint64_t j, pie_kbuf *out)
{
    const pie__ckpt *ck = job;
    return ck->inner.ops->run_chunk(ck->inner.job, real_chunk(ck, j), out);
}

static uint64_t wrapped_max(const void *job, uint64_t j)
{
    const pie__ckpt *ck = job;
    return ck->inner.ops->max_partial(ck->inner.job, real_chunk(ck, j));
}

/* Merge saved chunks from the file while their ids are below `limit`. */
static int merge_saved(pie__ckpt *ck, void *acc, uint64_t limit)
{
    while (ck->next_saved < ck->nsaved && ck->saved[ck->next_saved].chunk < limit) {
        const saved_chunk *s = &ck->saved[ck->next_saved];
        int k = ck->inner.ops->merge(acc, ck->inner.job, s->chunk, s->data, s->len);
        if (k != PIE_K_OK)
            return k;
        ck->next_saved++;
    }
    return PIE_K_OK;
}

static int append(pie__ckpt *ck, uint64_t chunk, const unsigned char *p, size_t len)
{
    if (pie__wire_send(ck->fd, PIE_FRAME_PARTIAL, chunk, p, len) != 0) {
        ck->io_errno = errno ? errno : EIO;
        return -1;
    }
    double now = pie__now();
    if (now - ck->last_sync > 1.0) {
        fdatasync(ck->fd);
        ck->last_sync = now;
    }
    return 0;
}

static int wrapped_merge(void *acc, const void *job, uint64_t j, const unsigned char *p, size_t len)
{
    /* Merges run in the calling process, one at a time (the kernel contract),
     * so the checkpoint may change here: the object is ours, not const. */
    pie__ckpt *ck = (pie__ckpt *)job;
    uint64_t r = real_chunk(ck, j);
    int k = merge_saved(ck, acc, r);
    if (k == PIE_K_OK)
        k = ck->inner.ops->merge(acc, ck->inner.job, r, p, len);
    if (k == PIE_K_OK && append(ck, r, p, len) != 0)
        k = PIE_K_EINVAL; /* pie__ckpt_end turns this into PIE_EIO */
    return k;
}

/* ---------------------------------------------------------------------- */
/* Begin and end                                                            */

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

static void free_ckpt(pie__ckpt *ck)
{
    if (!ck)
        return;
    if (ck->fd >= 0)
        close(ck->fd);
    free(ck->fingerprint);
    free(ck->image);
    free(ck->saved);
    free(ck);
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

pie_status pie__ckpt_begin(pie_ctx *ctx, const pie__task *task, pie__ckpt **out, pie__task *run)
{
    static const pie_kernel_ops wrapped_ops = {"checkpoint", wrapped_run, wrapped_merge,
                                               wrapped_max};
    *out = NULL;
    *run = *task;
    if (!ctx->checkpoint_dir[0])
        return PIE_OK;
    if (!task->fingerprint)
        return pie__fail(ctx, PIE_EUNSUPPORTED, "the %s workload cannot be checkpointed",
                         task->ops->name);
    pie__ckpt *ck = calloc(1, sizeof *ck);
    if (!ck)
        return pie__fail(ctx, PIE_ENOMEM, "out of memory");
    ck->ctx = ctx;
    ck->inner = *task;
    ck->fd = -1;
    ck->fingerprint = make_fingerprint(task);
    if (!ck->fingerprint) {
        free_ckpt(ck);
        return pie__fail(ctx, PIE_ENOMEM, "the job's fingerprint is too long or memory is out");
    }
    /* Two CRCs with different seeds name the file: 64 bits, so different
     * jobs sharing a directory practically never share a file (and when they
     * do, the fingerprint inside tells them apart). */
    size_t fl = strlen(ck->fingerprint);
    uint32_t h1 = pie__crc32c(0, ck->fingerprint, fl);
    uint32_t h2 = pie__crc32c(0x9e3779b9u, ck->fingerprint, fl);
    snprintf(ck->path, sizeof ck->path, "%s/pie-%08x%08x.ckpt", ctx->checkpoint_dir, (unsigned)h1,
             (unsigned)h2);
    snprintf(ck->tmp, sizeof ck->tmp, "%s.tmp%ld", ck->path, (long)getpid());
    pie_status st = make_dir(ctx, ctx->checkpoint_dir);
    if (st == PIE_OK)
        st = load(ck);
    if (st == PIE_OK)
        st = rewrite(ck);
    if (st != PIE_OK) {
        free_ckpt(ck);
        return st;
    }
    ck->last_sync = pie__now();
    run->ops = &wrapped_ops;
    run->job = ck;
    run->nchunks = task->nchunks - ck->nsaved;
    run->chunk_id = wrapped_id;
    *out = ck;
    return PIE_OK;
}

pie_status pie__ckpt_end(pie_ctx *ctx, pie__ckpt *ck, pie_status st, pie__run_stats *stats)
{
    if (!ck)
        return st;
    if (st == PIE_OK) {
        int k = merge_saved(ck, ck->inner.acc, UINT64_MAX);
        if (k != PIE_K_OK)
            st = pie__fail(ctx, pie__from_kernel(k),
                           "a chunk saved in checkpoint %s does not merge: %s (delete the file)",
                           ck->path, pie_strerror(pie__from_kernel(k)));
    }
    stats->chunks_done += ck->next_saved;
    stats->chunks_resumed += ck->next_saved;
    if (ck->io_errno)
        st = pie__fail(ctx, PIE_EIO, "appending to checkpoint %s: %s", ck->path,
                       strerror(ck->io_errno));
    if (st == PIE_OK) {
        if (unlink(ck->path) != 0 && errno != ENOENT)
            st = pie__fail(ctx, PIE_EIO, "removing checkpoint %s: %s", ck->path, strerror(errno));
        rmdir(ctx->checkpoint_dir); /* only if now empty; a user's own files stay */
    } else if (ck->fd >= 0) {
        fdatasync(ck->fd);
    }
    free_ckpt(ck);
    return st;
}

pie_status pie_ctx_set_checkpoint_dir(pie_ctx *ctx, const char *dir)
{
    if (!ctx)
        return PIE_EINVAL;
    if (!dir) {
        ctx->checkpoint_dir[0] = '\0';
        return PIE_OK;
    }
    size_t n = strlen(dir);
    if (n == 0)
        return pie__fail(ctx, PIE_EINVAL, "the checkpoint directory is empty");
    if (n >= PIE_CKPT_DIR_MAX)
        return pie__fail(ctx, PIE_EINVAL, "the checkpoint directory name is longer than %u bytes",
                         PIE_CKPT_DIR_MAX - 1);
    memcpy(ctx->checkpoint_dir, dir, n + 1);
    return PIE_OK;
}
