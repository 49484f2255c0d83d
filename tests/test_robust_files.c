/** @brief Checkpoints and memory limits the host gets wrong: an unremovable checkpoint, a FIFO or
 * a huge file in its place, a memory cgroup, RLIMIT_AS. */
#include "memlimit.h"
#include "test_child.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

/*
 *   - unremovable checkpoint (as nobody when root): the checkpoint directory
 *     becomes read-only during the run; the finished result is returned
 *     (PIE_OK) and the failed removal is a warning (pie_ctx_last_warning);
 *   - a FIFO at the checkpoint's path: no blocking open, recomputed;
 *   - a 1 GiB sparse file there: not read into memory, recomputed;
 *   - the memory cgroup parser on fake v1 and v2 trees;
 *   - RLIMIT_AS: a digits run that cannot fit is refused up front.
 */

static char base[64];

static void mc_options(pie_mc_options *o)
{
    pie_mc_options_init(o);
    o->samples = 2 * PIE_MC_CHUNK_SAMPLES + 1000; /* 3 chunks */
    o->seed = 5;
}

static uint64_t mc_reference(void)
{
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    pie_mc_options o;
    mc_options(&o);
    pie_mc_result *r = NULL;
    CHECK(pie_mc_run(ctx, &o, &r) == PIE_OK);
    uint64_t inside = r ? r->inside : 0;
    pie_result_free(r);
    pie_ctx_free(ctx);
    return inside;
}

/* ---------------------------------------------------------------------- */
/* The checkpoint directory becomes read-only during the run.              */

static void make_readonly(void *user, const char *phase, uint64_t done, uint64_t total)
{
    (void)phase;
    (void)done;
    (void)total;
    chmod(user, 0555);
}

static int unremovable_case(void *arg)
{
    (void)arg;
    if (tc_drop_root() != 0)
        return TC_SKIP;
    char ck[128];
    snprintf(ck, sizeof ck, "%s/ro", base);
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    pie_ctx_set_checkpoint_dir(ctx, ck);
    pie_ctx_set_progress(ctx, make_readonly, ck);
    pie_mc_options o;
    pie_mc_options_init(&o);
    o.samples = 3 * PIE_MC_CHUNK_SAMPLES; /* 3 chunks: progress before the end */
    o.seed = 5;
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, &o, &r);
    CHECKF(st == PIE_OK && r && r->chunks_done == 3, "read-only checkpoint dir: %s (%s)",
           pie_status_name(st), pie_ctx_last_error(ctx));
    CHECKF(strstr(pie_ctx_last_warning(ctx), "could not remove checkpoint"), "no warning: '%s'",
           pie_ctx_last_warning(ctx));
    pie_result_free(r);
    /* The next run starts without the warning. */
    pie_ctx_set_checkpoint_dir(ctx, NULL);
    CHECK(pie_mc_run(ctx, &o, &r) == PIE_OK && pie_ctx_last_warning(ctx)[0] == '\0');
    pie_result_free(r);
    pie_ctx_free(ctx);
    return test_failures() ? TC_FAIL : TC_PASS;
}

static void remove_tree(const char *dir)
{
    chmod(dir, 0755);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* ---------------------------------------------------------------------- */
/* Something else at the checkpoint's path.                                 */

static void cancel_now(void *user, const char *phase, uint64_t done, uint64_t total)
{
    (void)phase;
    (void)total;
    if (done >= 1) /* after the first chunk */
        *(volatile sig_atomic_t *)user = 1;
}

/* Leave a checkpoint of the mc job in dir (a run cancelled after its first
 * chunk) and return its path in out. */
static int checkpoint_path(const char *dir, char *out, size_t n)
{
    static volatile sig_atomic_t flag;
    flag = 0;
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    pie_ctx_set_checkpoint_dir(ctx, dir);
    pie_ctx_set_cancel_flag(ctx, &flag);
    pie_ctx_set_progress(ctx, cancel_now, (void *)&flag);
    pie_mc_options o;
    mc_options(&o);
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, &o, &r);
    pie_result_free(r);
    pie_ctx_free(ctx);
    CHECKF(st == PIE_ECANCELED, "cancelled run: %s", pie_status_name(st));
    out[0] = '\0';
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "pie-", 4) == 0 &&
            (size_t)snprintf(out, n, "%s/%s", dir, e->d_name) >= n)
            out[0] = '\0';
    if (d)
        closedir(d);
    return out[0] ? 0 : -1;
}

typedef struct resume_arg {
    const char *dir;
    uint64_t want;
    uint64_t max_rss_mib;
} resume_arg;

static int resume_case(void *arg)
{
    const resume_arg *a = arg;
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_backend(ctx, PIE_BACKEND_SERIAL);
    pie_ctx_set_checkpoint_dir(ctx, a->dir);
    pie_mc_options o;
    mc_options(&o);
    pie_mc_result *r = NULL;
    pie_status st = pie_mc_run(ctx, &o, &r);
    CHECKF(st == PIE_OK && r && r->inside == a->want, "%s: %s (%s)", a->dir, pie_status_name(st),
           pie_ctx_last_error(ctx));
    pie_result_free(r);
    pie_ctx_free(ctx);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    CHECKF((uint64_t)ru.ru_maxrss / 1024 < a->max_rss_mib, "peak RSS %ld MiB: the file was read",
           ru.ru_maxrss / 1024);
    return test_failures() ? TC_FAIL : TC_PASS;
}

static void not_a_checkpoint(uint64_t want)
{
    char dir[128], path[256];
    snprintf(dir, sizeof dir, "%s/ck", base);
    if (checkpoint_path(dir, path, sizeof path) != 0) {
        CHECKF(0, "no checkpoint left in %s", dir);
        return;
    }
    resume_arg a = {dir, want, 200};
    unlink(path);
    CHECK(mkfifo(path, 0644) == 0);
    TC_EXPECT_PASS("a FIFO at the checkpoint's path", tc_run(resume_case, &a, 10, NULL));
    unlink(path); /* still the FIFO if the case hung */

    CHECK(checkpoint_path(dir, path, sizeof path) == 0);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "PIECKPT\n", 8) == 8 && ftruncate(fd, (off_t)1 << 30) == 0);
    if (fd >= 0)
        close(fd);
    TC_EXPECT_PASS("a 1 GiB sparse file at the checkpoint's path",
                   tc_run(resume_case, &a, 20, NULL));
    remove_tree(dir);
}

/* ---------------------------------------------------------------------- */
/* Memory limits                                                            */

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    CHECKF(f != NULL, "create %s", p);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void mkdirs(const char *root, const char *path)
{
    char p[512];
    snprintf(p, sizeof p, "%s%s", root, path);
    for (char *s = p + strlen(root) + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

static void cgroup_parser(void)
{
    char root[128], proc[160], d[256];
    snprintf(root, sizeof root, "%s/cg", base);
    snprintf(proc, sizeof proc, "%s/cgroup", base);
    mkdir(root, 0755);
    /* v2: the limit sits on the parent; inactive page cache is not use. */
    mkdirs(root, "/a/b");
    snprintf(d, sizeof d, "%s/a/b", root);
    put(d, "memory.max", "max\n");
    put(d, "memory.current", "100\n");
    snprintf(d, sizeof d, "%s/a", root);
    put(d, "memory.max", "1000000\n");
    put(d, "memory.current", "400000\n");
    put(d, "memory.stat", "anon 5\ninactive_file 100000\nactive_file 7\n");
    put(base, "cgroup", "0::/a/b\n");
    CHECK(pie__mem_cgroup_room(proc, root) == 700000);
    put(base, "cgroup", "0::/a\n");
    CHECK(pie__mem_cgroup_room(proc, root) == 700000);
    put(base, "cgroup", "0::/\n");
    CHECK(pie__mem_cgroup_room(proc, root) == UINT64_MAX);
    /* v1 (hybrid: a v2 line too): the hierarchical limit counts. */
    mkdirs(root, "/memory/x/y");
    snprintf(d, sizeof d, "%s/memory/x/y", root);
    put(d, "memory.limit_in_bytes", "9223372036854771712\n");
    put(d, "memory.usage_in_bytes", "1000000\n");
    put(d, "memory.stat", "cache 5\nhierarchical_memory_limit 5000000\ntotal_inactive_file 0\n");
    put(base, "cgroup", "5:cpu,memory:/x/y\n0::/\n");
    CHECK(pie__mem_cgroup_room(proc, root) == 4000000);
    put(base, "cgroup", "5:cpu,memoryx:/x/y\n");
    CHECK(pie__mem_cgroup_room(proc, root) == UINT64_MAX);
    /* A container sees the host's path, but only its own group is mounted. */
    snprintf(d, sizeof d, "%s/memory", root);
    put(d, "memory.limit_in_bytes", "3000000\n");
    put(d, "memory.usage_in_bytes", "1000000\n");
    put(base, "cgroup", "4:memory:/docker/abc\n");
    CHECK(pie__mem_cgroup_room(proc, root) == 2000000);
    pie__mem_limits m = {8000000, 2000000, UINT64_MAX};
    CHECK(pie__mem_available(&m) == 2000000);
    m.cgroup_room = UINT64_MAX;
    CHECK(pie__mem_available(&m) == 8000000);
}

#if !defined(__SANITIZE_ADDRESS__)
static int address_space_case(void *arg)
{
    (void)arg;
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0;
    if (!f || fscanf(f, "%llu", &pages) != 1)
        return TC_SKIP;
    fclose(f);
    uint64_t vm = pages * (uint64_t)sysconf(_SC_PAGESIZE);
    struct rlimit rl = {(rlim_t)(vm + (UINT64_C(24) << 20)), (rlim_t)(vm + (UINT64_C(24) << 20))};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return TC_SKIP;
    pie_ctx *ctx = pie_ctx_create();
    pie_ctx_set_workers(ctx, 2);
    pie_digits_options o;
    pie_digits_options_init(&o);
    o.digits = 2000000;
    pie_digits_result *r = NULL;
    double t0 = tf_now();
    pie_status st = pie_digits_run(ctx, &o, &r);
    CHECKF(st == PIE_ENOMEM && strstr(pie_ctx_last_error(ctx), "address-space") &&
               tf_now() - t0 < 1.0,
           "2e6 digits under RLIMIT_AS = VmSize + 24 MiB: %s (%s) after %.1f s",
           pie_status_name(st), pie_ctx_last_error(ctx), tf_now() - t0);
    pie_result_free(r);
    o.digits = 1000; /* fits */
    st = pie_digits_run(ctx, &o, &r);
    CHECKF(st == PIE_OK, "1000 digits under the same limit: %s (%s)", pie_status_name(st),
           pie_ctx_last_error(ctx));
    pie_result_free(r);
    pie_ctx_free(ctx);
    return test_failures() ? TC_FAIL : TC_PASS;
}
#endif

int main(void)
{
    test_begin("test_robust_files");
    tf_become_subreaper();
    double t0 = tf_now();
    snprintf(base, sizeof base, "/tmp/pie-robust-XXXXXX");
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(base, 0777); /* the unprivileged case creates its directory here */
    uint64_t want = mc_reference();
    char ro[128];
    snprintf(ro, sizeof ro, "%s/ro", base);
    TC_EXPECT_PASS("checkpoint directory made read-only during the run",
                   tc_run(unremovable_case, NULL, 20, NULL));
    remove_tree(ro);
    not_a_checkpoint(want);
    cgroup_parser();
#if defined(__SANITIZE_ADDRESS__)
    printf("skip RLIMIT_AS: AddressSanitizer reserves terabytes of address space\n");
#else
    TC_EXPECT_PASS("digits under RLIMIT_AS", tc_run(address_space_case, NULL, 20, NULL));
#endif
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    CHECK(system(cmd) == 0);
    CHECKF(tf_leftover_children(2.0) == 0, "a process was left behind");
    printf("%.1f s\n", tf_now() - t0);
    return test_finish();
}
