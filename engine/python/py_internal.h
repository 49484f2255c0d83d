/** @brief Internals of the pie._pie extension module, shared by its files (py_*.c). */
#ifndef PIE_PY_INTERNAL_H
#define PIE_PY_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pie.h"

/*
 * The module is the thin C layer of the `pie` Python package: the package
 * (pie/__init__.py and friends) checks arguments and builds the result
 * dataclasses; this layer owns the pie_ctx, runs the library with the GIL
 * released and maps statuses to exceptions. Names are `piepy_*`: `pie_*` is
 * libpie's, which is linked in statically and hidden.
 */

/* The exception classes, created by the module's init (py_module.c). */
extern PyObject *piepy_error;         /* PieError(Exception): a failed run */
extern PyObject *piepy_arg_error;     /* ArgumentError(PieError, ValueError) */
extern PyObject *piepy_type_error;    /* ArgumentTypeError(PieError, TypeError) */
extern PyObject *piepy_refused_error; /* RefusedError(PieError, MemoryError) */
extern PyObject *piepy_busy_error;    /* ContextBusyError(PieError, RuntimeError) */

/* Raise the exception a failed status maps to, with the context's detail
 * (pie_ctx_last_error) as the message. `estimate` and `available` are the
 * memory figures of a refused digits run (0 otherwise). Returns NULL. */
PyObject *piepy_raise_status(const pie_ctx *ctx, pie_status st, uint64_t estimate,
                             uint64_t available);

/* A job: one call of a libpie run function on `ctx` (run in a helper thread,
 * without the GIL: it must not touch any Python object). */
typedef pie_status (*piepy_job_fn)(pie_ctx *ctx, const void *options, void **result);

/* Run `fn` on a helper thread while the calling thread waits with the GIL
 * released, wakes every 20 ms to check for signals (KeyboardInterrupt) and
 * calls `progress(done, total)` (if not None) at most every 0.1 s and once at
 * the end. A signal or an exception in `progress` raises the run's cancel
 * flag; the run's workers are stopped and reaped before this returns.
 * Returns 0 with *result and *status set (the caller frees *result), or -1
 * with a Python exception set and nothing to free. */
int piepy_run(pie_ctx *ctx, piepy_job_fn fn, const void *options, PyObject *progress, void **result,
              pie_status *status);

/* The results as dicts whose keys are the CLI's --json keys. */
PyObject *piepy_mc_dict(const pie_mc_result *r);
PyObject *piepy_hex_dict(const pie_hex_result *r);
PyObject *piepy_digits_dict(const pie_digits_result *r, const char *path);

/* A Python int in 0 .. 2^64-1 (OverflowError / TypeError otherwise). */
int piepy_u64(PyObject *o, const char *what, uint64_t *out);

extern PyTypeObject piepy_context_type;

#endif
