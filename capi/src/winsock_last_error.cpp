// WSAGetLastError / WSASetLastError: the calling thread's Winsock error code.
//
// Winsock functions record their failures here and in the native last error (so
// ssx_last_error_message() explains Winsock failures too). A ported program may also call native
// ssx_* functions, which record only the native last error: WSAGetLastError() notices a native
// failure newer than the last one recorded here (the native error differs from the snapshot taken
// when this thread's code was last set) and maps it.
#include <cerrno>
#include <string>

#include "capi/src/guard.hpp"
#include "capi/src/winsock_errors.hpp"
#include "ssx/winsock.h"

namespace ssx::winsock {

namespace {

struct WsaState {
    int wsa_code = NO_ERROR;
    // The native last error as it was when wsa_code was set.
    int seen_code = SSX_OK;
    std::string seen_message;
};

WsaState& state() {
    thread_local WsaState s;
    return s;
}

void set_code(int wsa_code) noexcept {
    WsaState& s = state();
    s.wsa_code = wsa_code;
    const capi::LastError& le = capi::last_error();
    s.seen_code = le.code;
    try {
        s.seen_message = le.message;
    } catch (...) {
        s.seen_message.clear();  // at worst a later identical native failure maps to the same code
    }
}

}  // namespace

void record_wsa_failure(int ssx_code, int sys_errno, const std::string& message, int wsa_code) noexcept {
    capi::record_failure(ssx_code, sys_errno, message.c_str());
    set_code(wsa_code);
    errno = sys_errno;  // set last, as the native API does
}

}  // namespace ssx::winsock

extern "C" {

SSX_API int WSAGetLastError(void) {
    using namespace ssx::winsock;
    const int saved_errno = errno;
    const ssx::capi::LastError& le = ssx::capi::last_error();
    WsaState& s = state();
    if (le.code != SSX_OK && (le.code != s.seen_code || le.message != s.seen_message)) {
        set_code(wsa_code_for(le.code, saved_errno));  // a native ssx_* call failed since
    }
    errno = saved_errno;
    return s.wsa_code;
}

SSX_API void WSASetLastError(int iError) {
    const int saved_errno = errno;
    ssx::winsock::set_code(iError);
    errno = saved_errno;
}

}  // extern "C"
