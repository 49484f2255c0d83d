/** @brief pie._pie.Context: a pie_ctx, its settings, and the three runs (mc, hex, digits). */
#include "py_internal.h"

#include <string.h>

/*
 * The C rule "a context must not be used by two threads at once" becomes an
 * exception: `busy` is set while a run (or a setter) is in progress. It is
 * read and written only with the GIL held, so no atomics are needed: a second
 * thread can only get here while the first has released the GIL inside
 * piepy_run, and then it finds busy set.
 */
/* PyObject_HEAD is a declaration without its semicolon, which clang-format joins. */
/* clang-format off */
typedef struct piepy_context {
    PyObject_HEAD
    pie_ctx *ctx;
    int busy;
} piepy_context;
/* clang-format on */

/* The context, or NULL with an exception when closed or busy. */
static pie_ctx *usable(piepy_context *self)
{
    if (!self->ctx) {
        PyErr_SetString(piepy_arg_error, "the context is closed");
        return NULL;
    }
    if (self->busy) {
        PyErr_SetString(piepy_busy_error,
                        "the context is running in another thread (a context runs one job at a "
                        "time: use one context per thread)");
        return NULL;
    }
    return self->ctx;
}

static int set_failed(pie_ctx *ctx, pie_status st)
{
    if (st == PIE_OK)
        return 0;
    piepy_raise_status(ctx, st, 0, 0);
    return -1;
}

static int configure(pie_ctx *ctx, const char *backend, unsigned workers, const char *isa,
                     double chunk_timeout, PyObject *checkpoint, const char *pin)
{
    pie_backend b;
    pie_isa i;
    if (pie_backend_from_name(backend, &b) != PIE_OK) {
        PyErr_Format(piepy_arg_error, "invalid value for backend: '%s'", backend);
        return -1;
    }
    if (pie_isa_from_name(isa, &i) != PIE_OK) {
        PyErr_Format(piepy_arg_error, "invalid value for isa: '%s'", isa);
        return -1;
    }
    const char *dir = NULL;
    if (checkpoint != Py_None && !(dir = PyBytes_AsString(checkpoint)))
        return -1;
    if (set_failed(ctx, pie_ctx_set_backend(ctx, b)) || set_failed(ctx, pie_ctx_set_isa(ctx, i)) ||
        set_failed(ctx, pie_ctx_set_workers(ctx, workers)) ||
        set_failed(ctx, pie_ctx_set_chunk_timeout(ctx, chunk_timeout)) ||
        set_failed(ctx, pie_ctx_set_checkpoint_dir(ctx, dir)) ||
        set_failed(ctx, pie_ctx_set_pin(ctx, pin)))
        return -1;
    return 0;
}

/* Context(backend, workers, isa, chunk_timeout, checkpoint, pin): names as the
 * library spells them, workers 0 for auto, checkpoint bytes (os.fsencode) or
 * None. The package checks the values first, with the CLI's messages. */
static int ctx_init(piepy_context *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"backend",    "workers", "isa", "chunk_timeout",
                             "checkpoint", "pin",     NULL};
    const char *backend = "process", *isa = "auto", *pin = "none";
    unsigned workers = 0;
    double chunk_timeout = 0.0;
    PyObject *checkpoint = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|sIsdOs:Context", kwlist, &backend, &workers, &isa,
                                     &chunk_timeout, &checkpoint, &pin))
        return -1;
    if (self->busy) {
        usable(self);
        return -1;
    }
    if (!self->ctx && !(self->ctx = pie_ctx_create())) {
        PyErr_NoMemory();
        return -1;
    }
    self->busy = 1;
    int rc = configure(self->ctx, backend, workers, isa, chunk_timeout, checkpoint, pin);
    self->busy = 0;
    return rc;
}

static void ctx_dealloc(piepy_context *self)
{
    pie_ctx_free(self->ctx);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *ctx_close(piepy_context *self, PyObject *unused)
{
    (void)unused;
    if (self->ctx && !usable(self))
        return NULL;
    pie_ctx_free(self->ctx);
    self->ctx = NULL;
    Py_RETURN_NONE;
}

/* The settings, as a dict (the getters). */
static PyObject *ctx_settings(piepy_context *self, PyObject *unused)
{
    (void)unused;
    pie_ctx *c = self->ctx;
    if (!c) {
        PyErr_SetString(piepy_arg_error, "the context is closed");
        return NULL;
    }
    const char *dir = pie_ctx_get_checkpoint_dir(c);
    return Py_BuildValue("{s:s,s:I,s:s,s:d,s:s,s:s,s:O}", "backend",
                         pie_backend_name(pie_ctx_get_backend(c)), "workers",
                         pie_ctx_get_workers(c), "isa", pie_isa_name(pie_ctx_get_isa(c)),
                         "chunk_timeout", pie_ctx_get_chunk_timeout(c), "checkpoint", dir, "pin",
                         pie_ctx_get_pin(c), "closed", Py_False);
}

/* --- the runs --------------------------------------------------------------- */

static pie_status job_mc(pie_ctx *ctx, const void *o, void **r)
{
    return pie_mc_run(ctx, o, (pie_mc_result **)r);
}

static pie_status job_hex(pie_ctx *ctx, const void *o, void **r)
{
    return pie_hex_run(ctx, o, (pie_hex_result **)r);
}

static pie_status job_digits(pie_ctx *ctx, const void *o, void **r)
{
    return pie_digits_run(ctx, o, (pie_digits_result **)r);
}

/* Run a job on the context: 0 with *result (to free), or -1 with an exception
 * (a failed status raised; its result is freed unless keep_failed). */
static int run_job(piepy_context *self, piepy_job_fn fn, const void *options, PyObject *progress,
                   void **result, pie_status *st)
{
    pie_ctx *c = usable(self);
    if (!c)
        return -1;
    if (progress != Py_None && !PyCallable_Check(progress)) {
        PyErr_SetString(piepy_type_error, "progress must be callable or None");
        return -1;
    }
    self->busy = 1;
    int rc = piepy_run(c, fn, options, progress, result, st);
    self->busy = 0;
    if (rc == 0 && !*result) {
        PyErr_NoMemory();
        return -1;
    }
    return rc;
}

static PyObject *ctx_mc(piepy_context *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"samples", "seed", "progress", NULL};
    PyObject *samples, *seed, *progress = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:_mc", kwlist, &samples, &seed, &progress))
        return NULL;
    pie_mc_options o;
    pie_mc_options_init(&o);
    if (piepy_u64(samples, "samples", &o.samples) < 0 || piepy_u64(seed, "seed", &o.seed) < 0)
        return NULL;
    pie_mc_result *r;
    pie_status st;
    if (run_job(self, job_mc, &o, progress, (void **)&r, &st) < 0)
        return NULL;
    PyObject *d = st == PIE_OK ? piepy_mc_dict(r) : piepy_raise_status(self->ctx, st, 0, 0);
    pie_result_free(r);
    return d;
}

static PyObject *ctx_hex(piepy_context *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"position", "count", "formula", "progress", NULL};
    PyObject *position, *progress = Py_None;
    unsigned count;
    const char *formula;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OIs|O:_hex", kwlist, &position, &count, &formula,
                                     &progress))
        return NULL;
    pie_hex_options o;
    pie_hex_options_init(&o);
    o.count = count;
    if (piepy_u64(position, "position", &o.position) < 0)
        return NULL;
    if (pie_hex_formula_from_name(formula, &o.formula) != PIE_OK) {
        PyErr_Format(piepy_arg_error, "invalid value for formula: '%s' (bellard or bbp)", formula);
        return NULL;
    }
    pie_hex_result *r;
    pie_status st;
    if (run_job(self, job_hex, &o, progress, (void **)&r, &st) < 0)
        return NULL;
    PyObject *d = st == PIE_OK ? piepy_hex_dict(r) : piepy_raise_status(self->ctx, st, 0, 0);
    pie_result_free(r);
    return d;
}

/* Fill digits options from (digits, base, path, verify); path is bytes or None. */
static int digits_options(pie_digits_options *o, PyObject *digits, unsigned base, PyObject *path,
                          int verify)
{
    pie_digits_options_init(o);
    o->base = base;
    o->verify = verify;
    if (path != Py_None && !(o->path = PyBytes_AsString(path)))
        return -1;
    return piepy_u64(digits, "digits", &o->digits);
}

static PyObject *ctx_digits(piepy_context *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"digits", "base", "path", "verify", "progress", NULL};
    PyObject *digits, *path, *progress = Py_None;
    unsigned base;
    int verify;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OIOp|O:_digits", kwlist, &digits, &base, &path,
                                     &verify, &progress))
        return NULL;
    pie_digits_options o;
    if (digits_options(&o, digits, base, path, verify) < 0)
        return NULL;
    pie_digits_result *r;
    pie_status st;
    if (run_job(self, job_digits, &o, progress, (void **)&r, &st) < 0)
        return NULL;
    PyObject *d = st == PIE_OK ? piepy_digits_dict(r, o.path)
                               : piepy_raise_status(self->ctx, st, r->memory_estimate_bytes,
                                                    r->memory_available_bytes);
    pie_result_free(r);
    return d;
}

/* The estimated peak memory of a digits run on this context, in bytes. */
static PyObject *ctx_digits_estimate(piepy_context *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"digits", "base", NULL};
    PyObject *digits;
    unsigned base = 10;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|I:_digits_estimate", kwlist, &digits, &base))
        return NULL;
    pie_ctx *c = usable(self);
    pie_digits_options o;
    if (!c || digits_options(&o, digits, base, Py_None, 0) < 0)
        return NULL;
    uint64_t bytes = 0;
    pie_status st = pie_digits_estimate(c, &o, &bytes);
    if (st != PIE_OK)
        return piepy_raise_status(c, st, 0, 0);
    return PyLong_FromUnsignedLongLong(bytes);
}

#define KW_METHOD(name, fn, doc)                                                                   \
    {                                                                                              \
        name, (PyCFunction)(void (*)(void))fn, METH_VARARGS | METH_KEYWORDS, PyDoc_STR(doc)        \
    }

static PyMethodDef ctx_methods[] = {
    {"close", (PyCFunction)ctx_close, METH_NOARGS,
     PyDoc_STR("close()\n\nRelease the context; further use raises ValueError.")},
    {"_settings", (PyCFunction)ctx_settings, METH_NOARGS,
     PyDoc_STR("The context's settings as a dict.")},
    KW_METHOD("_mc", ctx_mc, "_mc(samples, seed, progress=None) -> dict"),
    KW_METHOD("_hex", ctx_hex, "_hex(position, count, formula, progress=None) -> dict"),
    KW_METHOD("_digits", ctx_digits, "_digits(digits, base, path, verify, progress=None) -> dict"),
    KW_METHOD("_digits_estimate", ctx_digits_estimate, "_digits_estimate(digits, base=10) -> int"),
    {NULL, NULL, 0, NULL},
};

static PyObject *ctx_closed(piepy_context *self, void *unused)
{
    (void)unused;
    return PyBool_FromLong(self->ctx == NULL);
}

static PyGetSetDef ctx_getset[] = {
    {"closed", (getter)ctx_closed, NULL, PyDoc_STR("Whether close() was called."), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject piepy_context_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pie._pie.Context",
    .tp_doc = PyDoc_STR("The C context under pie.Context: one pie_ctx."),
    .tp_basicsize = sizeof(piepy_context),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ctx_init,
    .tp_dealloc = (destructor)ctx_dealloc,
    .tp_methods = ctx_methods,
    .tp_getset = ctx_getset,
};
