// The C ABI's one way of turning core results into C results: every exported function runs its body
// through guarded(), which catches everything (no exception ever crosses the ABI), records the
// thread's last error (code + message) and sets errno last, so nothing after it clobbers errno.
#pragma once

#include <cerrno>
#include <new>
#include <string>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::capi {

struct LastError {
    int code = SSX_OK;
    std::string message;
};

LastError& last_error();  // this thread's

inline void record_success() {
    LastError& le = last_error();
    le.code = SSX_OK;
    le.message.clear();
}

inline void record_failure(int code, int sys_errno, const char* message) noexcept {
    try {
        LastError& le = last_error();
        le.code = code;
        le.message = message;
    } catch (...) {
        last_error().code = code;  // the message could not be stored; the code still is
    }
    errno = sys_errno;
}

// Runs body(); on an exception returns `failure` with the error recorded.
template <class Body, class Result>
Result guarded(Result failure, Body&& body) noexcept {
    try {
        Result r = body();
        record_success();
        return r;
    } catch (const ssx::Error& e) {
        record_failure(e.code(), e.sys_errno(), e.message().c_str());
    } catch (const std::bad_alloc&) {
        record_failure(SSX_E_NO_MEMORY, ENOMEM, "out of memory");
    } catch (const std::exception& e) {
        record_failure(SSX_E_INTERNAL, EIO, (std::string("internal error: ") + e.what() +
                                             "; please report this as an ssx bug").c_str());
    } catch (...) {
        record_failure(SSX_E_INTERNAL, EIO, "internal error of unknown type; please report this as an ssx bug");
    }
    return failure;
}

}  // namespace ssx::capi
