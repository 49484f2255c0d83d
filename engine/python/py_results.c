/** @brief libpie's results as dicts keyed like the CLI's --json output (engine/cli/cli_*.c). */
#include "py_internal.h"

/* Keys and order follow print_json in engine/cli/cli_mc.c, cli_hex.c and
 * cli_digits.c; tests/python/test_parity.py checks that they stay equal. */

static double per_second(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

PyObject *piepy_mc_dict(const pie_mc_result *r)
{
    return Py_BuildValue(
        "{s:d,s:K,s:K,s:d,s:(dd),s:d,s:d,s:d,s:d,s:I,s:s,s:K,s:s,s:K,s:K,s:s,s:s,s:s}", "estimate",
        r->estimate, "samples", (unsigned long long)r->samples, "inside",
        (unsigned long long)r->inside, "std_error", r->std_error, "ci95", r->ci95_lo, r->ci95_hi,
        "abs_error", r->abs_error, "z_score", r->z_score, "seconds", r->seconds,
        "samples_per_second", per_second(r->samples, r->seconds), "workers", r->workers, "backend",
        pie_backend_name(r->backend), "seed", (unsigned long long)r->seed, "kernel", r->kernel,
        "chunks", (unsigned long long)r->chunks_total, "chunk_retries",
        (unsigned long long)r->chunk_retries, "pin", r->pin, "worker_cpus", r->worker_cpus,
        "version", pie_version());
}

PyObject *piepy_hex_dict(const pie_hex_result *r)
{
    return Py_BuildValue("{s:K,s:I,s:s,s:s,s:s,s:d,s:I,s:s,s:s,s:I,s:K,s:K,s:s,s:s,s:s}",
                         "position", (unsigned long long)r->position, "count", r->count, "hex",
                         r->hex, "formula", pie_hex_formula_name(r->formula), "checked_by",
                         pie_hex_formula_name(r->checked_by), "seconds", r->seconds, "workers",
                         r->workers, "backend", pie_backend_name(r->backend), "kernel", r->kernel,
                         "passes", r->passes, "chunks", (unsigned long long)r->chunks_total,
                         "chunk_retries", (unsigned long long)r->chunk_retries, "pin", r->pin,
                         "worker_cpus", r->worker_cpus, "version", pie_version());
}

/* The digits' part after the timings: terms .. the output or the digits. */
static int digits_tail(PyObject *d, const pie_digits_result *r, const char *path)
{
    PyObject *pi =
        path ? Py_NewRef(Py_None)
             : PyUnicode_DecodeASCII(r->text ? r->text : "", (Py_ssize_t)r->text_len, NULL);
    PyObject *out = path ? PyUnicode_DecodeFSDefault(path) : Py_NewRef(Py_None);
    PyObject *tail =
        pi && out
            ? Py_BuildValue("{s:K,s:K,s:I,s:K,s:K,s:O,s:O,s:s,s:s,s:s,s:d,s:d,s:d,s:d,s:d,s:d}",
                            "terms", (unsigned long long)r->terms, "precision_bits",
                            (unsigned long long)r->precision_bits, "attempts", r->attempts,
                            "chunks", (unsigned long long)r->chunks_total, "chunk_retries",
                            (unsigned long long)r->chunk_retries, "output", out, "pi", pi, "pin",
                            r->pin, "worker_cpus", r->worker_cpus, "version", pie_version(),
                            "cpu_seconds", r->cpu_seconds, "cpu_seconds_series",
                            r->cpu_seconds_series, "cpu_seconds_division", r->cpu_seconds_division,
                            "cpu_seconds_radix", r->cpu_seconds_radix, "cpu_seconds_output",
                            r->cpu_seconds_output, "cpu_seconds_verify", r->cpu_seconds_verify)
            : NULL;
    Py_XDECREF(pi);
    Py_XDECREF(out);
    int rc = tail ? PyDict_Update(d, tail) : -1;
    Py_XDECREF(tail);
    return rc;
}

PyObject *piepy_digits_dict(const pie_digits_result *r, const char *path)
{
    PyObject *d = Py_BuildValue(
        "{s:K,s:I,s:d,s:I,s:s,s:s,s:s,s:s,s:K,s:K,s:O,s:s,s:d,s:d,s:d,s:d,s:d}", "digits",
        (unsigned long long)r->digits, "base", r->base, "seconds", r->seconds, "workers",
        r->workers, "backend", pie_backend_name(r->backend), "algorithm", r->algorithm_name,
        "big_ops", r->big_ops_name, "sha256", r->sha256, "peak_rss_bytes",
        (unsigned long long)r->peak_rss_bytes, "memory_estimate_bytes",
        (unsigned long long)r->memory_estimate_bytes, "verified", r->verified ? Py_True : Py_False,
        "verify_note", r->verify_note, "seconds_series", r->seconds_series, "seconds_division",
        r->seconds_division, "seconds_radix", r->seconds_radix, "seconds_output", r->seconds_output,
        "seconds_verify", r->seconds_verify);
    if (d && digits_tail(d, r, path) < 0)
        Py_CLEAR(d);
    return d;
}
