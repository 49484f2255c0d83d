/** @brief Checkpoint/resume: same bytes after an interruption, corrupt or foreign files recomputed.
 */
#include "checkpoint.h"
#include "test_fault_util.h"
#include "wire.h"

#include <fcntl.h>
#include <sys/stat.h>

/*
 * A run is interrupted (its cancel flag raised from the progress callback
 * after some chunks; on the serial backend, which stops exactly there: on
 * the others a lagging worker can let the merge jump to the end), then run
 * again with the same checkpoint directory: the
 * result must equal an uninterrupted run, the saved chunks must be merged
 * from the file and not run again, and the directory must be gone after the
 * success. Then the saved file is damaged in every way we can think of and
 * each resume must still give the same result, using exactly the frames that
 * survived. For the toy job on serial, thread and process backends; for mc,
 * hex and digits through the public API.
 */

static char dir[256];

/* Whether this build honours PIE_FAULT (docs/faults.md): a malformed spec is
 * then refused. */
static int injection_built(void)
{
    tf_job job = {2, 1, 0};
    tf_acc acc;
    pie__run_stats stats;
    pie_ctx *ctx = pie_ctx_create();
    setenv("PIE_FAULT", "no-such-fault:1", 1);
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    pie_ctx_free(ctx);
    return st == PIE_EINVAL;
}

typedef struct stopper {
    volatile sig_atomic_t flag;
    uint64_t after; /* raise the flag once this many chunks are merged */
} stopper;

static void stop_after(void *user, const char *phase, uint64_t done, uint64_t total)
{
    (void)phase;
    (void)total;
    stopper *s = user;
    if (done >= s->after)
        __atomic_store_n(&s->flag, 1, __ATOMIC_RELAXED);
}

static pie_ctx *make_ctx(pie_backend b, unsigned workers, stopper *stop)
{
    pie_ctx *ctx = pie_ctx_create();
    if (!ctx || pie_ctx_set_backend(ctx, b) != PIE_OK || pie_ctx_set_workers(ctx, workers) ||
        pie_ctx_set_checkpoint_dir(ctx, dir) != PIE_OK) {
        fprintf(stderr, "context setup failed\n");
        exit(1);
    }
    if (stop) {
        pie_ctx_set_cancel_flag(ctx, &stop->flag);
        pie_ctx_set_progress(ctx, stop_after, stop);
    }
    return ctx;
}

/* The one checkpoint file in dir ("" if none); returns how many there are. */
static int ckpt_file(char *path, size_t len)
{
    int n = 0;
    path[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t len)
{
    mkdir(dir, 0777);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static int dir_exists(void)
{
    struct stat st;
    return stat(dir, &st) == 0;
}

/* ---------------------------------------------------------------------- */

static void toy_resume(pie_backend b, unsigned workers)
{
    const char *bn = pie_backend_name(b);
    tf_job job = {40, 3, 200000}; /* chunks long enough for the cancel to land mid-run */
    uint64_t ref = tf_reference(&job);
    stopper stop = {0, 15};
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    tf_acc acc;
    pie__run_stats stats;
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    CHECKF(st == PIE_ECANCELED, "%s: interrupted run gave %s", bn, pie_status_name(st));
    pie_ctx_free(ctx);
    char path[512];
    CHECKF(ckpt_file(path, sizeof path) == 1, "%s: no checkpoint file after the interruption", bn);

    tf_runs = 0;
    ctx = make_ctx(b, workers, NULL);
    /* On the process backend, proof that saved chunks are not run again: a
     * saved chunk that would fail on every attempt does not fail the run. */
    int inject = b == PIE_BACKEND_PROCESS && injection_built();
    if (inject)
        setenv("PIE_FAULT", "exit=3:2:all", 1);
    st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    CHECKF(st == PIE_OK && acc.h == ref, "%s: resumed run: %s (%s)", bn, pie_status_name(st),
           pie_ctx_last_error(ctx));
    CHECKF(stats.chunks_resumed >= 15, "%s: only %llu chunks resumed", bn,
           (unsigned long long)stats.chunks_resumed);
    CHECKF(stats.chunks_done == job.nchunks, "%s: chunks_done %llu", bn,
           (unsigned long long)stats.chunks_done);
    if (b != PIE_BACKEND_PROCESS) /* chunks run in this process: count them */
        CHECKF((uint64_t)tf_runs == job.nchunks - stats.chunks_resumed,
               "%s: %d chunks run, %llu resumed of %llu", bn, (int)tf_runs,
               (unsigned long long)stats.chunks_resumed, (unsigned long long)job.nchunks);
    CHECKF(!dir_exists(), "%s: checkpoint directory left after success", bn);
    CHECKF(tf_leftover_children(0.0) == 0, "%s: processes left behind", bn);
    pie_ctx_free(ctx);
}

/* A missing chunk that fails for good is named by its own id in a resumed run. */
static void toy_resumed_failure(void)
{
    tf_job job = {30, 4, 200000};
    uint64_t ref = tf_reference(&job);
    stopper stop = {0, 10};
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    tf_acc acc;
    pie__run_stats stats;
    CHECKF(tf_run_job(ctx, &job, &acc, &stats) == PIE_ECANCELED, "resumed failure: interrupt");
    pie_ctx_free(ctx);
    ctx = make_ctx(PIE_BACKEND_PROCESS, 2, NULL);
    setenv("PIE_FAULT", "exit=3:27:all", 1);
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    unsetenv("PIE_FAULT");
    CHECKF(st == PIE_EWORKER && strstr(pie_ctx_last_error(ctx), "chunk 27 failed"),
           "resumed failure: %s (%s)", pie_status_name(st), pie_ctx_last_error(ctx));
    CHECKF(dir_exists(), "resumed failure: the checkpoint must stay");
    st = tf_run_job(ctx, &job, &acc, &stats);
    CHECKF(st == PIE_OK && acc.h == ref && stats.chunks_resumed >= 10,
           "resumed failure, then success: %s, %llu resumed", pie_status_name(st),
           (unsigned long long)stats.chunks_resumed);
    CHECKF(!dir_exists(), "resumed failure: directory left after success");
    pie_ctx_free(ctx);
}

/* Save an interrupted run's file, then resume from damaged copies of it. */
static void toy_damage(void)
{
    tf_job job = {24, 8, 0}, other = {24, 9, 0};
    uint64_t ref = tf_reference(&job);
    char path[512], other_path[512];

    /* The other job's file, for the foreign case. */
    stopper stop = {0, 30};
    pie_ctx *ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    tf_acc acc;
    pie__run_stats stats;
    stop.after = 10;
    tf_run_job(ctx, &other, &acc, &stats);
    ckpt_file(other_path, sizeof other_path);
    size_t other_len;
    unsigned char *foreign = slurp(other_path, &other_len);
    unlink(other_path);

    stop = (stopper){0, 20};
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    CHECKF(st == PIE_ECANCELED, "damage: interrupted run gave %s", pie_status_name(st));
    pie_ctx_free(ctx);
    CHECKF(ckpt_file(path, sizeof path) == 1, "damage: no checkpoint");
    size_t len;
    unsigned char *good = slurp(path, &len);
    CHECKF(good && foreign && strcmp(path, other_path) != 0, "damage: files");
    if (!good || !foreign)
        return;
    size_t flen = strlen(PIE_CKPT_MAGIC) + 8 + good[12] + 256u * good[13] + 4; /* header */
    size_t nframes = 0;
    for (size_t off = flen; off + PIE_WIRE_HEADER <= len; nframes++)
        off += PIE_WIRE_HEADER + pie_kget_u64(good + off + 16);
    CHECKF(nframes >= 20, "damage: only %zu frames saved", nframes);

    unsigned char *buf = malloc(2 * len + other_len + 64);
    struct {
        const char *name;
        size_t n;
        uint64_t want_resumed;
    } cases[] = {
        {"intact", 0, nframes},
        {"payload byte flipped", 0, nframes - 1},
        {"tail torn", 0, nframes - 1},
        {"header CRC broken", 0, 0},
        {"foreign job", 0, 0},
        {"random bytes", 0, 0},
        {"empty file", 0, 0},
        {"frames duplicated", 0, nframes},
        {"junk between frames", 0, nframes},
        {"chunk id out of range", 0, nframes - 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = len;
        memcpy(buf, good, len);
        switch (i) {
        case 1: /* a byte inside the 3rd frame's payload */
        {
            size_t off = flen;
            for (int k = 0; k < 2; k++)
                off += PIE_WIRE_HEADER + pie_kget_u64(good + off + 16);
            buf[off + PIE_WIRE_HEADER + 3] ^= 0x40;
            break;
        }
        case 2:
            n = len - 5;
            break;
        case 3:
            buf[20] ^= 1; /* inside the fingerprint */
            break;
        case 4:
            memcpy(buf, foreign, other_len);
            n = other_len;
            break;
        case 5:
            for (size_t k = 0; k < n; k++)
                buf[k] = (unsigned char)tf_mix(k);
            break;
        case 6:
            n = 0;
            break;
        case 7:
            memcpy(buf + len, good + flen, len - flen);
            n = 2 * len - flen;
            break;
        case 8: /* 7 junk bytes (with a frame magic among them) after the first frame */
        {
            size_t off = flen + PIE_WIRE_HEADER + pie_kget_u64(good + flen + 16);
            static const unsigned char junk[7] = {'P', 'I', 'E', '!', 1, 2, 3};
            memmove(buf + off + 7, good + off, len - off);
            memcpy(buf + off, junk, 7);
            n = len + 7;
            break;
        }
        case 9: /* a valid frame for chunk 1000 of a 24-chunk job, in place of frame 1 */
        {
            unsigned char payload[8] = {0};
            size_t off = flen, fl = PIE_WIRE_HEADER + pie_kget_u64(good + flen + 16);
            unsigned char hdr[PIE_WIRE_HEADER];
            pie__wire_header(hdr, PIE_FRAME_PARTIAL, 1000, payload, 8);
            memcpy(buf, good, off);
            memcpy(buf + off, hdr, sizeof hdr);
            memcpy(buf + off + sizeof hdr, payload, 8);
            memcpy(buf + off + sizeof hdr + 8, good + off + fl, len - off - fl);
            n = len - fl + sizeof hdr + 8;
            break;
        }
        }
        spit(path, buf, n);
        ctx = make_ctx(i % 2 ? PIE_BACKEND_PROCESS : PIE_BACKEND_SERIAL, 2, NULL);
        st = tf_run_job(ctx, &job, &acc, &stats);
        CHECKF(st == PIE_OK && acc.h == ref, "%s: %s (%s)", cases[i].name, pie_status_name(st),
               pie_ctx_last_error(ctx));
        CHECKF(stats.chunks_resumed == cases[i].want_resumed, "%s: %llu resumed, want %llu",
               cases[i].name, (unsigned long long)stats.chunks_resumed,
               (unsigned long long)cases[i].want_resumed);
        CHECKF(!dir_exists(), "%s: directory left after success", cases[i].name);
        pie_ctx_free(ctx);
    }
    free(buf);
    free(good);
    free(foreign);
}

/* A directory that cannot hold the checkpoint: a clear error, no work. */
static void bad_dirs(void)
{
    tf_job job = {4, 1, 0};
    pie_ctx *ctx = pie_ctx_create();
    CHECKF(pie_ctx_set_checkpoint_dir(ctx, "") == PIE_EINVAL, "empty name accepted");
    char longname[1100];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECKF(pie_ctx_set_checkpoint_dir(ctx, longname) == PIE_EINVAL, "long name accepted");
    CHECKF(pie_ctx_set_checkpoint_dir(NULL, "x") == PIE_EINVAL, "NULL context accepted");
    CHECKF(pie_ctx_set_checkpoint_dir(ctx, "/proc/no/such/dir") == PIE_OK, "setter");
    tf_acc acc;
    pie__run_stats stats;
    pie_status st = tf_run_job(ctx, &job, &acc, &stats);
    CHECKF(st == PIE_EIO && strstr(pie_ctx_last_error(ctx), "/proc/no/such/dir"),
           "uncreatable directory: %s %s", pie_status_name(st), pie_ctx_last_error(ctx));
    CHECKF(pie_ctx_set_checkpoint_dir(ctx, NULL) == PIE_OK, "turning it off");
    st = tf_run_job(ctx, &job, &acc, &stats);
    CHECKF(st == PIE_OK, "after turning it off: %s", pie_status_name(st));
    pie_ctx_free(ctx);
}

/* ---------------------------------------------------------------------- */
/* The workloads through the public API                                     */

static void mc_resume(void)
{
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 6 * PIE_MC_CHUNK_SAMPLES + 77;
    o.seed = 5;
    pie_mc_result *ref, *got;
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    CHECKF(pie_mc_run(ctx, &o, &ref) == PIE_OK, "mc reference");
    pie_ctx_free(ctx);
    stopper stop = {0, 3};
    ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    pie_status st = pie_mc_run(ctx, &o, &got);
    CHECKF(st == PIE_ECANCELED && got->chunks_done >= 3, "mc interrupted: %s, %llu done",
           pie_status_name(st), (unsigned long long)got->chunks_done);
    pie_result_free(got);
    pie_ctx_free(ctx);
    /* Resume on another backend. */
    ctx = make_ctx(pie_backend_available(PIE_BACKEND_THREAD) == PIE_OK ? PIE_BACKEND_THREAD
                                                                       : PIE_BACKEND_SERIAL,
                   2, NULL);
    st = pie_mc_run(ctx, &o, &got);
    CHECKF(st == PIE_OK && got->inside == ref->inside && got->chunks_done == got->chunks_total,
           "mc resumed: %s %s", pie_status_name(st), pie_ctx_last_error(ctx));
    CHECKF(!dir_exists(), "mc: directory left");
    pie_result_free(got);
    pie_ctx_free(ctx);
    /* Another seed is another job: the file is not used for it. */
    stop = (stopper){0, 2};
    ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    pie_mc_run(ctx, &o, &got);
    pie_result_free(got);
    pie_ctx_free(ctx);
    ctx = make_ctx(PIE_BACKEND_SERIAL, 1, NULL);
    o.seed = 6;
    st = pie_mc_run(ctx, &o, &got);
    CHECKF(st == PIE_OK && got->inside != ref->inside, "mc other seed: %s", pie_status_name(st));
    char path[512];
    CHECKF(ckpt_file(path, sizeof path) == 1, "mc: seed 5's checkpoint should remain");
    unlink(path);
    rmdir(dir);
    pie_result_free(got);
    pie_result_free(ref);
    pie_ctx_free(ctx);
}

static void hex_resume(void)
{
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.position = 200000;
    o.count = 10;
    pie_hex_result *ref, *got;
    pie_ctx *ctx = pie_ctx_create();
    CHECKF(pie_hex_run(ctx, &o, &ref) == PIE_OK, "hex reference");
    pie_ctx_free(ctx);
    stopper stop = {0, 50};
    ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    pie_status st = pie_hex_run(ctx, &o, &got);
    CHECKF(st == PIE_ECANCELED, "hex interrupted: %s", pie_status_name(st));
    pie_result_free(got);
    pie_ctx_free(ctx);
    ctx = make_ctx(PIE_BACKEND_PROCESS, 2, NULL); /* resumed on the process backend */
    st = pie_hex_run(ctx, &o, &got);
    CHECKF(st == PIE_OK && strcmp(got->hex, ref->hex) == 0, "hex resumed: %s %s vs %s",
           pie_ctx_last_error(ctx), got->hex, ref->hex);
    CHECKF(!dir_exists(), "hex: directory left");
    pie_result_free(got);
    pie_result_free(ref);
    pie_ctx_free(ctx);
}

static void digits_resume(void)
{
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 20000;
    o.base = 10;
    pie_digits_result *ref, *got;
    pie_ctx *ctx = pie_ctx_create();
    CHECKF(pie_digits_run(ctx, &o, &ref) == PIE_OK && ref->text, "digits reference");
    pie_ctx_free(ctx);
    stopper stop = {0, 5};
    ctx = make_ctx(PIE_BACKEND_SERIAL, 1, &stop);
    pie_status st = pie_digits_run(ctx, &o, &got);
    CHECKF(st == PIE_ECANCELED, "digits interrupted: %s", pie_status_name(st));
    pie_result_free(got);
    pie_ctx_free(ctx);
    ctx = make_ctx(PIE_BACKEND_PROCESS, 2, NULL);
    st = pie_digits_run(ctx, &o, &got);
    CHECKF(st == PIE_OK && got->text && ref->text && strcmp(got->text, ref->text) == 0,
           "digits resumed: %s %s", pie_status_name(st), pie_ctx_last_error(ctx));
    CHECKF(!dir_exists(), "digits: directory left");
    pie_result_free(got);
    pie_result_free(ref);
    pie_ctx_free(ctx);
}

int main(void)
{
    test_begin("test_checkpoint");
    tf_become_subreaper();
    double t0 = tf_now();
    char tmp[] = "/tmp/pie_ckpt_XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/ck", tmp);
    toy_resume(PIE_BACKEND_SERIAL, 1);
    toy_resume(PIE_BACKEND_PROCESS, 3);
    if (pie_backend_available(PIE_BACKEND_THREAD) == PIE_OK)
        toy_resume(PIE_BACKEND_THREAD, 2);
    toy_damage();
    if (injection_built())
        toy_resumed_failure();
    bad_dirs();
    mc_resume();
    hex_resume();
    digits_resume();
    rmdir(dir);
    rmdir(tmp);
    CHECKF(tf_leftover_children(0.5) == 0, "processes left behind");
    printf("%.1f s\n", tf_now() - t0);
    return test_finish();
}
