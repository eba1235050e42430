// Failures out of the C ABI, the Python way. ssx_last_error() and its message are per thread and the
// next ssx call overwrites them, so a failure is captured right after the failing call (still
// without the GIL) and raised later, with the GIL, as the exception the package's one error table
// (ssx/_errors.py) chooses for its code.
#pragma once

#include <string>

#include <pybind11/pybind11.h>

namespace ssxpy {

struct Failure {
    int code = 0;       // SSX_E_*
    int sys_errno = 0;  // errno as the C ABI set it
    std::string message;
};

// Reads errno, ssx_last_error() and ssx_last_error_message() of the calling thread. Call it first
// thing after a call that returned -1/NULL; it needs no GIL.
Failure capture_failure() noexcept;

// Raises `f` as a Python exception (SecurityError or the subclass for its code). Needs the GIL.
[[noreturn]] void raise_failure(const Failure& f);

// The factory (code, errno, message) -> exception instance; registered once by ssx/_errors.py.
// Until it is, failures are raised as plain OSError.
void set_error_factory(pybind11::object factory);

// Text from the C ABI as str. Messages may quote peer-supplied names, so they decode with
// "replace"; token strings use "surrogateescape" so nothing a certificate holds is lost.
pybind11::str decode(const char* text, const char* errors);
pybind11::str decode(const char* text, size_t len, const char* errors);

}  // namespace ssxpy
