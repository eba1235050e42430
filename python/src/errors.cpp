#include "errors.hpp"

#include <cerrno>

#include "ssx/ssx.h"

namespace py = pybind11;

namespace ssxpy {

namespace {

// Leaked on purpose: a py::object destroyed after the interpreter finalizes would crash.
py::object* factory = nullptr;

}  // namespace

Failure capture_failure() noexcept {
    Failure f;
    f.sys_errno = errno;  // before anything else can change it
    f.code = ssx_last_error();
    try {
        f.message = ssx_last_error_message();
        if (f.code == SSX_OK) {
            // Never expected: a call reported failure without recording why.
            f.code = SSX_E_INTERNAL;
            f.message = "an ssx call failed without an error code; please report this as an ssx bug";
        }
    } catch (...) {
        // Out of memory for the message: the code and errno still tell what happened.
    }
    return f;
}

void set_error_factory(py::object f) {
    if (!PyCallable_Check(f.ptr())) throw py::type_error("the error factory must be callable");
    if (!factory) factory = new py::object();
    *factory = std::move(f);
}

py::str decode(const char* text, size_t len, const char* errors) {
    PyObject* s = PyUnicode_DecodeUTF8(text, static_cast<Py_ssize_t>(len), errors);
    if (!s) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(s);
}

py::str decode(const char* text, const char* errors) {
    return decode(text ? text : "", text ? std::char_traits<char>::length(text) : 0, errors);
}

void raise_failure(const Failure& f) {
    py::str message = decode(f.message.data(), f.message.size(), "replace");
    if (factory && *factory) {
        py::object exc = (*factory)(f.code, f.sys_errno, message);
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    } else {
        py::object exc = py::reinterpret_borrow<py::object>(PyExc_OSError)(f.sys_errno, message);
        PyErr_SetObject(PyExc_OSError, exc.ptr());
    }
    throw py::error_already_set();
}

}  // namespace ssxpy
