/** @brief `pie bench scaling`: the PSS sampler (this process and its children, every 10 ms). */
#include "pss.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* PSS in KiB of /proc/<pid>/smaps_rollup ("self" when pid is 0); -1 if unreadable. */
long pss_read(long pid)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/smaps_rollup");
    else
        snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0) {
            kib = strtol(line + 4, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

static void note_child(pss_sampler *s, long pid)
{
    long kib = pss_read(pid);
    if (kib < 0)
        return; /* gone already, or not readable */
    for (int i = 0; i < s->npids; i++)
        if (s->pid[i] == pid) {
            if (kib > s->pss_kib[i])
                s->pss_kib[i] = kib;
            return;
        }
    if (s->npids < PSS_MAX_PIDS) {
        s->pid[s->npids] = pid;
        s->pss_kib[s->npids++] = kib;
    }
}

/* Children of this process: /proc/self/task/<tid>/children lists the
 * children each thread forked (the process backend forks from the thread
 * that called the run). Falls back to scanning /proc/<pid>/stat for our pid
 * as parent when the kernel lacks the children file. */
static void scan_children(pss_sampler *s)
{
    DIR *d = opendir("/proc/self/task");
    int found_file = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        found_file = 1;
        long pid;
        while (fscanf(f, "%ld", &pid) == 1)
            note_child(s, pid);
        fclose(f);
    }
    if (d)
        closedir(d);
    if (found_file)
        return;
    long self = (long)getpid();
    d = opendir("/proc");
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* the command name may hold spaces */
        char state;
        long ppid;
        if (p && sscanf(p + 1, " %c %ld", &state, &ppid) == 2 && ppid == self)
            note_child(s, strtol(e->d_name, NULL, 10));
    }
    if (d)
        closedir(d);
}

static void *pss_main(void *arg)
{
    pss_sampler *s = arg;
    struct timespec ts = {0, 10 * 1000 * 1000}; /* 10 ms */
    while (!atomic_load(&s->stop)) {
        long self = pss_read(0);
        if (self > s->self_max_kib)
            s->self_max_kib = self;
        scan_children(s);
        s->samples++;
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int pss_start(pss_sampler *s)
{
    memset(s, 0, sizeof *s);
    s->self_max_kib = -1;
    s->available = pss_read(0) >= 0;
    atomic_init(&s->stop, 0);
    if (!s->available)
        return -1;
    return pthread_create(&s->thread, NULL, pss_main, s) == 0 ? 0 : -1;
}

void pss_stop(pss_sampler *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
}
