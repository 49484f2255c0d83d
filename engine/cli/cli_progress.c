/** @brief Progress on stderr: a bar on a terminal, lines when forced, the phase named. */
#include "cli_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double pie_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void pie_cli_progress_init(pie_cli_progress *p, int mode, const char *cmd, int show_phase)
{
    /* Under mpirun only rank 0 draws progress. */
    *p = (pie_cli_progress){.mode = pie_mpi_rank() > 0 ? 0 : mode,
                            .tty = isatty(STDERR_FILENO),
                            .cmd = cmd,
                            .show_phase = show_phase};
    snprintf(p->label, sizeof p->label, "pie %s", cmd);
    p->start = pie_cli_now();
    pie_cli_deadline_enable(1);
}

/* The digits phases after the series (pie.h): the library honours a cancel
 * there by itself, and a forced exit could abandon the output file. */
static int after_chunks(const char *phase)
{
    static const char *const names[] = {"division", "radix conversion", "verify", "output"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(phase, names[i]) == 0)
            return 1;
    return 0;
}

/* A new phase: its name on the progress line; a phase without a count
 * announces itself once. The signal deadline follows the phase. */
static void on_phase(pie_cli_progress *p, const char *phase, uint64_t total)
{
    p->phase = phase;
    pie_cli_note_chunks(0, 0);
    pie_cli_deadline_enable(!after_chunks(phase));
    if (!p->show_phase)
        return;
    snprintf(p->label, sizeof p->label, "pie %s: %s", p->cmd, phase);
    if (total || p->mode == 0 || (p->mode < 0 && !p->tty))
        return;
    if (p->mode < 0 && pie_cli_now() - p->start < 1.0)
        return;
    if (p->tty)
        fprintf(stderr, "\r%-78s\r%s ...", "", p->label);
    else
        fprintf(stderr, "%s, %.1fs elapsed\n", p->label, pie_cli_now() - p->start);
    fflush(stderr);
    p->drawn = 1;
}

void pie_cli_progress_cb(void *user, const char *phase, uint64_t done, uint64_t total)
{
    pie_cli_progress *p = user;
    if (phase != p->phase)
        on_phase(p, phase, total);
    if (total == 0)
        return;
    pie_cli_note_chunks(done, total);
    if (p->mode == 0 || (p->mode < 0 && !p->tty) || total == 0)
        return;
    double now = pie_cli_now();
    double elapsed = now - p->start;
    if (p->mode < 0 && elapsed < 1.0) /* short runs stay quiet */
        return;
    double every = p->tty ? 0.03 : 2.0;
    if (done < total && now - p->last_draw < every)
        return;
    p->last_draw = now;
    double frac = (double)done / (double)total;
    double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30.0);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %5.1f%%  %.1fs elapsed, ~%.1fs left ", p->label, bar,
                100.0 * frac, elapsed, eta);
    } else {
        fprintf(stderr, "%s: %.1f%% (%llu/%llu chunks), %.1fs elapsed\n", p->label, 100.0 * frac,
                (unsigned long long)done, (unsigned long long)total, elapsed);
    }
    fflush(stderr);
    p->drawn = 1;
}

void pie_cli_progress_done(pie_cli_progress *p)
{
    pie_cli_deadline_enable(0); /* the run returned: the command finishes by itself */
    if (p->drawn && p->tty)
        fprintf(stderr, "\r%*s\r", 78, "");
    p->drawn = 0;
}
