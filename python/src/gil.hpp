// Running C calls without the GIL, so other Python threads run while ssx waits for the network.
//
// Not pybind11::gil_scoped_release: it takes the GIL back in a destructor, and when the interpreter
// finalizes while a daemon thread is inside ssx (a server thread blocked in accept at exit),
// PyEval_RestoreThread() ends that thread with pthread_exit(), whose forced unwinding through a
// destructor (implicitly noexcept) calls std::terminate and aborts the whole process at exit. Here
// the GIL is taken back in ordinary code, and a thread that finds the interpreter finalizing does
// not touch Python again: it parks until the process ends — a daemon thread's fate anyway.
#pragma once

#include <unistd.h>

#include <pybind11/pybind11.h>

namespace ssxpy {

[[noreturn]] inline void park_forever() {
    for (;;) ::pause();
}

inline bool interpreter_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

// Whether taking the GIL back would end this thread: the interpreter is finalizing and this is
// not the thread finalizing it. Finalization runs on the main thread (whose Linux thread id is the
// process id), and it may itself call into ssx (a SecureSocket closed by its finalizer at exit).
inline bool must_not_return_to_python() { return interpreter_finalizing() && ::gettid() != ::getpid(); }

// Runs f() without the GIL and returns its result. f must not throw and must not use Python.
template <class F>
auto without_gil(F&& f) {
    PyThreadState* state = PyEval_SaveThread();
    auto result = f();
    if (must_not_return_to_python()) park_forever();
    PyEval_RestoreThread(state);
    return result;
}

}  // namespace ssxpy
