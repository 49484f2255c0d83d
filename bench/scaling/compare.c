/** @brief `pie bench compare DIR_A DIR_B`: every point two bench runs share, the ratio of their
 * medians with a bootstrap interval and a Mann-Whitney U test, and a verdict. */
#include "cli_util.h"
#include "scaling.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cmd = "bench compare";

static const char help[] =
    "Usage: pie bench compare DIR_A DIR_B [--json] [--alpha A]\n"
    "Compare two 'pie bench scaling' result directories point by point (a point is\n"
    "workload, experiment, backend and workers). For each point both hold: the\n"
    "ratio of median times B / A with a bootstrap 95% interval, a two-sided\n"
    "Mann-Whitney U test, and a verdict: B \"faster\", \"slower\", or \"no\n"
    "significant difference\" at level A (default 0.05). Points of different sizes\n"
    "are compared per work unit. Warns when a point has fewer than 9 runs or the\n"
    "machines differ.\n"
    "\n"
    "  --json       one JSON object on stdout\n"
    "  --alpha A    significance level, 0 < A < 0.5 (default 0.05)\n"
    "\n"
    "Exit status: 0 success (whatever the verdicts), 2 bad usage or a directory\n"
    "that is not a bench result, or two that share no point.\n";

#define MIN_REPEATS 9

typedef struct cpoint {
    char key[96]; /* "mc strong process 4" */
    double size;
    double t[BENCH_MAX_REPEATS];
    unsigned n;
} cpoint;

typedef struct cdir {
    const char *dir;
    cpoint *p;
    size_t np;
    char cpu[160];
    double cores;
} cdir;

static cpoint *find_or_add(cdir *d, const char *key, double size)
{
    for (size_t i = 0; i < d->np; i++)
        if (strcmp(d->p[i].key, key) == 0)
            return &d->p[i];
    cpoint *p = realloc(d->p, (d->np + 1) * sizeof *p);
    if (!p)
        return NULL;
    d->p = p;
    p = &d->p[d->np++];
    memset(p, 0, sizeof *p);
    snprintf(p->key, sizeof p->key, "%s", key);
    p->size = size;
    return p;
}

/* The machine from results.json: "cpu_model" and "cores" (best effort). */
static void read_machine(cdir *d)
{
    char path[1100], buf[8192];
    snprintf(path, sizeof path, "%s/results.json", d->dir);
    d->cpu[0] = '\0';
    d->cores = NAN;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strstr(buf, "\"cpu_model\":\"");
    if (p) {
        p += 13;
        snprintf(d->cpu, sizeof d->cpu, "%.*s", (int)strcspn(p, "\""), p);
    }
    p = strstr(buf, "\"cores\":");
    if (p)
        d->cores = strtod(p + 8, NULL);
}

/* Read DIR/runs.csv; a usage error when it is missing or not ours. */
static int read_dir(cdir *d)
{
    char path[1100], line[2048];
    snprintf(path, sizeof path, "%s/runs.csv", d->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return pie_cli_usage(cmd, "'%s' is not a pie bench result directory (no runs.csv)", d->dir);
    if (!fgets(line, sizeof line, f) ||
        strncmp(line,
                "workload,experiment,backend,workers,workers_used,size,unit,pin,round,order,"
                "seconds,",
                72) != 0) {
        fclose(f);
        return pie_cli_usage(cmd, "'%s' is not a pie bench result directory (unknown runs.csv)",
                             d->dir);
    }
    while (fgets(line, sizeof line, f)) {
        char *fld[12], *save = NULL, *t = strtok_r(line, ",", &save);
        int k = 0;
        for (; t && k < 12; t = strtok_r(NULL, ",", &save))
            fld[k++] = t;
        if (k < 11)
            continue;
        char key[96];
        snprintf(key, sizeof key, "%s %s %s %s", fld[0], fld[1], fld[2], fld[3]);
        cpoint *p = find_or_add(d, key, strtod(fld[5], NULL));
        if (!p) {
            fclose(f);
            return pie_cli_fail(cmd, "out of memory");
        }
        if (p->n < BENCH_MAX_REPEATS)
            p->t[p->n++] = strtod(fld[10], NULL);
    }
    fclose(f);
    if (d->np == 0)
        return pie_cli_usage(cmd, "'%s' is not a pie bench result directory (no runs)", d->dir);
    read_machine(d);
    return PIE_EXIT_OK;
}

typedef struct verdict {
    const cpoint *a, *b;
    double ma, mb, ratio, lo, hi, u, z, p;
    int per_unit;
    const char *word;
} verdict;

static void judge(const cpoint *a, const cpoint *b, double alpha, verdict *v)
{
    double ta[BENCH_MAX_REPEATS], tb[BENCH_MAX_REPEATS];
    v->a = a, v->b = b;
    v->per_unit = a->size != b->size;
    /* Different sizes: seconds per unit (meaningful where cost is linear). */
    for (unsigned i = 0; i < a->n; i++)
        ta[i] = v->per_unit ? a->t[i] / a->size : a->t[i];
    for (unsigned i = 0; i < b->n; i++)
        tb[i] = v->per_unit ? b->t[i] / b->size : b->t[i];
    v->ma = bench_median(ta, a->n);
    v->mb = bench_median(tb, b->n);
    v->ratio = v->mb / v->ma;
    bench_ci_ratio(tb, b->n, ta, a->n, BENCH_BOOTSTRAP_SEED, &v->lo, &v->hi);
    v->p = bench_mann_whitney(tb, b->n, ta, a->n, &v->u, &v->z);
    int sig = v->p < alpha && !(v->lo <= 1.0 && v->hi >= 1.0);
    v->word = !sig ? "no significant difference" : v->ratio < 1 ? "faster" : "slower";
}

static void print_json(const cdir *A, const cdir *B, const verdict *v, size_t nv, double alpha,
                       char warn[][240], unsigned nwarn)
{
    FILE *f = stdout;
    fputs("{\"a\":", f);
    pie_cli_json_string(f, A->dir);
    fputs(",\"b\":", f);
    pie_cli_json_string(f, B->dir);
    fputs(",\"alpha\":", f);
    pie_cli_json_double(f, alpha);
    fputs(",\"warnings\":[", f);
    for (unsigned i = 0; i < nwarn; i++) {
        fputs(i ? "," : "", f);
        pie_cli_json_string(f, warn[i]);
    }
    fputs("],\"points\":[", f);
    for (size_t i = 0; i < nv; i++) {
        const verdict *x = &v[i];
        fputs(i ? ",\n{\"point\":" : "\n{\"point\":", f);
        pie_cli_json_string(f, x->a->key);
        fprintf(f, ",\"runs_a\":%u,\"runs_b\":%u,\"per_unit\":%s,\"median_a\":", x->a->n, x->b->n,
                x->per_unit ? "true" : "false");
        pie_cli_json_double(f, x->ma);
        fputs(",\"median_b\":", f);
        pie_cli_json_double(f, x->mb);
        fputs(",\"ratio_b_over_a\":", f);
        pie_cli_json_double(f, x->ratio);
        fputs(",\"ratio_ci95\":[", f);
        pie_cli_json_double(f, x->lo);
        fputc(',', f);
        pie_cli_json_double(f, x->hi);
        fputs("],\"mann_whitney_u\":", f);
        pie_cli_json_double(f, x->u);
        fputs(",\"z\":", f);
        pie_cli_json_double(f, x->z);
        fputs(",\"p_value\":", f);
        pie_cli_json_double(f, x->p);
        fputs(",\"verdict\":", f);
        pie_cli_json_string(f, x->word);
        fputc('}', f);
    }
    fputs("\n]}\n", f);
}

static void print_human(const cdir *A, const cdir *B, const verdict *v, size_t nv, double alpha,
                        char warn[][240], unsigned nwarn)
{
    printf("A: %s\nB: %s\n", A->dir, B->dir);
    for (unsigned i = 0; i < nwarn; i++)
        printf("warning: %s\n", warn[i]);
    printf("B against A at level %.3g (ratio = median time B / A; < 1: B faster)\n\n", alpha);
    printf("%-28s %5s %5s %12s %12s %8s %19s %8s  %s\n", "point", "runs", "runs", "median A",
           "median B", "ratio", "95% CI", "p", "verdict");
    for (size_t i = 0; i < nv; i++) {
        const verdict *x = &v[i];
        char ci[40];
        snprintf(ci, sizeof ci, "[%.3f, %.3f]", x->lo, x->hi);
        printf("%-28s %5u %5u %11.4g%s %11.4g%s %8.3f %19s %8.3g  %s\n", x->a->key, x->a->n,
               x->b->n, x->ma, x->per_unit ? "u" : "s", x->mb, x->per_unit ? "u" : "s", x->ratio,
               ci, x->p, x->word);
    }
    if (nv && (v[0].per_unit || v[nv - 1].per_unit))
        puts("\n(u: seconds per work unit, the sizes differ)");
}

static int parse(int argc, char **argv, const char **a, const char **b, int *json, double *alpha)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'J'},
                                         {"alpha", required_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (opt == 'J') {
            *json = 1;
        } else if (opt == 'a') {
            char *end;
            *alpha = strtod(optarg, &end);
            if (*end || !(*alpha > 0 && *alpha < 0.5))
                return pie_cli_usage(cmd, "invalid value for --alpha: '%s' (0 < A < 0.5)", optarg);
        } else if (opt == ':') {
            return pie_cli_usage(cmd, "option %s needs a value", argv[optind - 1]);
        } else {
            return pie_cli_usage(cmd, "unknown option '%s' (see 'pie bench compare --help')",
                                 argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return pie_cli_usage(cmd, "expected two result directories, DIR_A and DIR_B");
    *a = argv[optind];
    *b = argv[optind + 1];
    return PIE_EXIT_OK;
}

int bench_compare(int argc, char **argv)
{
    const char *da = NULL, *db = NULL;
    int json = 0;
    double alpha = 0.05;
    int rc = parse(argc, argv, &da, &db, &json, &alpha);
    if (rc != PIE_EXIT_OK)
        return rc < 0 ? PIE_EXIT_OK : rc;
    cdir A = {.dir = da}, B = {.dir = db};
    verdict *v = NULL;
    size_t nv = 0;
    char warn[8][240];
    unsigned nwarn = 0, fewest = BENCH_MAX_REPEATS;
    if ((rc = read_dir(&A)) != PIE_EXIT_OK || (rc = read_dir(&B)) != PIE_EXIT_OK)
        goto out;
    v = calloc(A.np, sizeof *v);
    for (size_t i = 0; v && i < A.np; i++)
        for (size_t j = 0; j < B.np; j++)
            if (strcmp(A.p[i].key, B.p[j].key) == 0) {
                judge(&A.p[i], &B.p[j], alpha, &v[nv++]);
                fewest = A.p[i].n < fewest ? A.p[i].n : fewest;
                fewest = B.p[j].n < fewest ? B.p[j].n : fewest;
            }
    if (!v) {
        rc = pie_cli_fail(cmd, "out of memory");
        goto out;
    }
    if (nv == 0) {
        rc = pie_cli_usage(cmd,
                           "'%s' and '%s' share no point (workload, experiment, backend, "
                           "workers)",
                           da, db);
        goto out;
    }
    if (fewest < MIN_REPEATS)
        snprintf(warn[nwarn++], sizeof warn[0],
                 "some points have only %u runs: fewer than %d leave the test little power "
                 "(use --repeats %d or more)",
                 fewest, MIN_REPEATS, MIN_REPEATS);
    if (strcmp(A.cpu, B.cpu) != 0 || !(A.cores == B.cores))
        snprintf(warn[nwarn++], sizeof warn[0],
                 "the machines differ: %.60s (%g CPUs) and %.60s (%g CPUs)",
                 A.cpu[0] ? A.cpu : "unknown", A.cores, B.cpu[0] ? B.cpu : "unknown", B.cores);
    if (json)
        print_json(&A, &B, v, nv, alpha, warn, nwarn);
    else
        print_human(&A, &B, v, nv, alpha, warn, nwarn);
    rc = PIE_EXIT_OK; /* main's close_stdout reports a failed write, with its cause */
out:
    free(v);
    free(A.p);
    free(B.p);
    return rc;
}
