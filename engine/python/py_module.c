/** @brief The pie._pie extension module: its exceptions, libpie's tables and CPU facts. */
#include "py_internal.h"

PyObject *piepy_error;
PyObject *piepy_arg_error;
PyObject *piepy_type_error;
PyObject *piepy_refused_error;
PyObject *piepy_busy_error;

int piepy_u64(PyObject *o, const char *what, uint64_t *out)
{
    if (!PyLong_Check(o)) {
        PyErr_Format(piepy_type_error, "%s must be an integer, not '%s'", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(piepy_arg_error, "invalid value for %s: %R does not fit in 64 bits", what, o);
        return -1;
    }
    *out = v;
    return 0;
}

/* A new type(message) with .status (e.g. "EWORKER") and .detail set. */
static PyObject *make_exc(PyObject *type, const char *message, pie_status st, const char *detail)
{
    PyObject *exc = PyObject_CallFunction(type, "s", message);
    PyObject *name = PyUnicode_FromString(pie_status_name(st));
    PyObject *det = PyUnicode_FromString(detail);
    if (!exc || !name || !det || PyObject_SetAttrString(exc, "status", name) < 0 ||
        PyObject_SetAttrString(exc, "detail", det) < 0)
        Py_CLEAR(exc);
    Py_XDECREF(name);
    Py_XDECREF(det);
    return exc;
}

/* Set an int attribute; -1 on failure. */
static int set_u64(PyObject *o, const char *attr, uint64_t v)
{
    PyObject *x = PyLong_FromUnsignedLongLong(v);
    int rc = x ? PyObject_SetAttrString(o, attr, x) : -1;
    Py_XDECREF(x);
    return rc;
}

PyObject *piepy_raise_status(const pie_ctx *ctx, pie_status st, uint64_t estimate,
                             uint64_t available)
{
    const char *detail = ctx ? pie_ctx_last_error(ctx) : "";
    if (!detail[0])
        detail = pie_strerror(st);
    PyObject *type = piepy_error, *exc;
    char msg[512];
    switch (st) {
    case PIE_EINVAL:
    case PIE_EUNSUPPORTED:
        type = piepy_arg_error;
        exc = make_exc(type, detail, st, detail);
        break;
    case PIE_ENOMEM:
        /* A refused digits run: the library's sentence gives the estimate. */
        type = piepy_refused_error;
        exc = make_exc(type, detail, st, detail);
        if (exc && (set_u64(exc, "estimate_bytes", estimate) < 0 ||
                    set_u64(exc, "available_bytes", available) < 0))
            Py_CLEAR(exc);
        break;
    default:
        snprintf(msg, sizeof msg, "%s: %s (%s)", pie_status_name(st), detail, pie_strerror(st));
        exc = make_exc(type, msg, st, detail);
        break;
    }
    if (exc) {
        PyErr_SetObject(type, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* --- module functions ------------------------------------------------------- */

static PyObject *m_version(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    return Py_BuildValue("(sI)", pie_version(), pie_version_number());
}

/* [(name, available, flags), ...] in table order. */
static PyObject *m_backends(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    PyObject *list = PyList_New(0);
    for (int b = 0; list && pie_backend_name((pie_backend)b); b++) {
        PyObject *row =
            Py_BuildValue("(sOI)", pie_backend_name((pie_backend)b),
                          pie_backend_available((pie_backend)b) == PIE_OK ? Py_True : Py_False,
                          pie_backend_flags((pie_backend)b));
        if (!row || PyList_Append(list, row) < 0)
            Py_CLEAR(list);
        Py_XDECREF(row);
    }
    return list;
}

/* {workload: {"best": isa, "variants": {isa: "ok" | "unsupported"}}}: the
 * variants each workload has (pie_isa_check), auto included. */
static PyObject *m_isas(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    PyObject *out = PyDict_New();
    for (int w = 0; out && pie_workload_name((pie_workload)w); w++) {
        PyObject *variants = PyDict_New();
        for (int i = 0; variants && pie_isa_name((pie_isa)i); i++) {
            pie_status st = pie_isa_check((pie_workload)w, (pie_isa)i);
            if (st == PIE_EINVAL)
                continue;
            PyObject *v = PyUnicode_FromString(st == PIE_OK ? "ok" : "unsupported");
            if (!v || PyDict_SetItemString(variants, pie_isa_name((pie_isa)i), v) < 0)
                Py_CLEAR(variants);
            Py_XDECREF(v);
        }
        PyObject *row = variants ? Py_BuildValue("{s:s,s:O}", "best",
                                                 pie_isa_name(pie_isa_best((pie_workload)w)),
                                                 "variants", variants)
                                 : NULL;
        if (!row || PyDict_SetItemString(out, pie_workload_name((pie_workload)w), row) < 0)
            Py_CLEAR(out);
        Py_XDECREF(row);
        Py_XDECREF(variants);
    }
    return out;
}

static PyObject *m_cpu(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    return Py_BuildValue("{s:I,s:s,s:s}", "cpus", pie_online_cpus(), "features", pie_cpu_features(),
                         "disabled", pie_cpu_features_disabled());
}

static PyMethodDef module_methods[] = {
    {"version", m_version, METH_NOARGS,
     PyDoc_STR("version() -> (string, number) of the libpie linked in.")},
    {"backends", m_backends, METH_NOARGS,
     PyDoc_STR("backends() -> [(name, available, flags), ...] from libpie's backend table.")},
    {"isas", m_isas, METH_NOARGS,
     PyDoc_STR("isas() -> {workload: {'best': isa, 'variants': {isa: status}}}.")},
    {"cpu", m_cpu, METH_NOARGS, PyDoc_STR("cpu() -> {'cpus', 'features', 'disabled'}.")},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pie._pie",
    .m_doc = PyDoc_STR("libpie, linked in: the C layer under the pie package."),
    .m_size = -1,
    .m_methods = module_methods,
};

/* A new exception class pie.NAME deriving from `bases`, added to the module. */
static PyObject *add_exception(PyObject *m, const char *name, PyObject *bases, const char *doc)
{
    char qual[64];
    snprintf(qual, sizeof qual, "pie.%s", name);
    PyObject *e = PyErr_NewExceptionWithDoc(qual, doc, bases, NULL);
    if (e && PyModule_AddObject(m, name, Py_NewRef(e)) < 0)
        Py_DECREF(e);
    return e;
}

static int add_exceptions(PyObject *m)
{
    piepy_error = add_exception(m, "PieError", PyExc_Exception,
                                "A pie run failed. .status is the status name (e.g. 'EWORKER'), "
                                ".detail the library's sentence.");
    if (!piepy_error)
        return -1;
    struct {
        PyObject **slot;
        const char *name;
        PyObject *builtin;
        const char *doc;
    } sub[] = {
        {&piepy_arg_error, "ArgumentError", PyExc_ValueError,
         "A bad argument (also a ValueError); the message names it."},
        {&piepy_type_error, "ArgumentTypeError", PyExc_TypeError,
         "An argument of the wrong type (also a TypeError)."},
        {&piepy_refused_error, "RefusedError", PyExc_MemoryError,
         "A digits run refused because it would not fit in memory (also a MemoryError); "
         ".estimate_bytes and .available_bytes give the figures."},
        {&piepy_busy_error, "ContextBusyError", PyExc_RuntimeError,
         "A context used by two threads at once (also a RuntimeError)."},
    };
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        PyObject *bases = PyTuple_Pack(2, piepy_error, sub[i].builtin);
        *sub[i].slot = bases ? add_exception(m, sub[i].name, bases, sub[i].doc) : NULL;
        Py_XDECREF(bases);
        if (!*sub[i].slot)
            return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__pie(void);

PyMODINIT_FUNC PyInit__pie(void)
{
    if (PyType_Ready(&piepy_context_type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    if (add_exceptions(m) < 0 ||
        PyModule_AddObject(m, "Context", Py_NewRef((PyObject *)&piepy_context_type)) < 0 ||
        PyModule_AddIntConstant(m, "MC_MAX_SAMPLES_LOG2", 63) < 0 ||
        PyModule_AddObject(m, "HEX_MAX_POSITION",
                           PyLong_FromUnsignedLongLong(PIE_HEX_MAX_POSITION)) < 0 ||
        PyModule_AddIntConstant(m, "HEX_MAX_COUNT", PIE_HEX_MAX_COUNT) < 0 ||
        PyModule_AddObject(m, "DIGITS_MAX", PyLong_FromUnsignedLongLong(PIE_DIGITS_MAX)) < 0 ||
        PyModule_AddIntConstant(m, "MAX_WORKERS", PIE_MAX_WORKERS) < 0 ||
        PyModule_AddIntConstant(m, "MC_CHUNK_SAMPLES", (long)PIE_MC_CHUNK_SAMPLES) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
