// A contiguous view of a bytes-like object (PEP 3118) for the duration of a call. Requesting a
// simple (or writable simple) buffer makes Python refuse non-contiguous objects and str with its
// usual TypeError ("a bytes-like object is required, not 'str'"). Create and destroy it with the
// GIL held; while it lives the memory may be used without the GIL.
#pragma once

#include <cstddef>
#include <string>

#include <pybind11/pybind11.h>

namespace ssxpy {

class Buffer {
public:
    Buffer(const pybind11::handle& obj, bool writable) {
        if (PyObject_GetBuffer(obj.ptr(), &view_, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE) != 0) {
            if (writable && PyErr_ExceptionMatches(PyExc_BufferError)) {
                // As socket.recv_into() words it: a wrong argument type, not a buffer failure.
                PyErr_Clear();
                throw pybind11::type_error(std::string("the buffer must be a read-write bytes-like object, not ") +
                                           Py_TYPE(obj.ptr())->tp_name);
            }
            throw pybind11::error_already_set();
        }
    }
    ~Buffer() { PyBuffer_Release(&view_); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    char* data() const { return static_cast<char*>(view_.buf); }
    size_t size() const { return static_cast<size_t>(view_.len); }

private:
    Py_buffer view_{};
};

}  // namespace ssxpy
