// Winsock error reporting: the one mapping from ssx's native codes (and errno) to WSAE* codes, the
// exception for failures Windows reports differently from the native API, and the guard every
// exported Winsock function runs its body through.
#pragma once

#include <cerrno>
#include <exception>
#include <new>
#include <string>

#include "capi/src/guard.hpp"
#include "common/error.hpp"
#include "ssx/winsock.h"

namespace ssx::winsock {

// A failure whose WSAE* code is not simply the mapping of its SSX_E_* code: Windows distinguishes
// cases the native API does not (the query size probe's WSAEFAULT, a socket's family vs. its
// type, WSANOTINITIALISED). The SSX_E_* code is what ssx_last_error() reports for it.
class WsaError : public ssx::Error {
public:
    WsaError(int wsa_code, int ssx_code, std::string message)
        : ssx::Error(ssx_code, std::move(message)), wsa_code_(wsa_code) {}
    int wsa_code() const noexcept { return wsa_code_; }

private:
    int wsa_code_;
};

[[noreturn]] void wsa_fail(int wsa_code, int ssx_code, std::string message);

// SSX_E_* → WSAE*. Codes that carry a system errno (SSX_E_IO, SSX_E_CONNECT) map through
// wsa_code_for_errno(sys_errno). Unknown codes: WSASYSCALLFAILURE. Never fails.
int wsa_code_for(int ssx_code, int sys_errno) noexcept;

// errno → WSAE* (failures of plain socket calls). Unknown values: WSASYSCALLFAILURE.
int wsa_code_for_errno(int sys_errno) noexcept;

// Records a failure for this thread: ssx_last_error()/ssx_last_error_message()/errno as the native
// API does, and the WSAE* code WSAGetLastError() returns. Never throws; errno is set last.
void record_wsa_failure(int ssx_code, int sys_errno, const std::string& message, int wsa_code) noexcept;

// Runs body(); on an exception returns `failure` with the error recorded. No exception ever
// crosses the C ABI. A success resets ssx_last_error() (native convention) but not
// WSAGetLastError() (Windows convention).
template <class Result, class Body>
Result wsa_guarded(Result failure, Body&& body) noexcept {
    try {
        Result r = body();
        capi::record_success();
        return r;
    } catch (const WsaError& e) {
        record_wsa_failure(e.code(), e.sys_errno(), e.message(), e.wsa_code());
    } catch (const ssx::Error& e) {
        record_wsa_failure(e.code(), e.sys_errno(), e.message(), wsa_code_for(e.code(), e.sys_errno()));
    } catch (const std::bad_alloc&) {
        record_wsa_failure(SSX_E_NO_MEMORY, ENOMEM, "out of memory", WSAENOBUFS);
    } catch (const std::exception& e) {
        record_wsa_failure(SSX_E_INTERNAL, EIO,
                           std::string("internal error: ") + e.what() + "; please report this as an ssx bug",
                           WSASYSCALLFAILURE);
    } catch (...) {
        record_wsa_failure(SSX_E_INTERNAL, EIO, "internal error of unknown type; please report this as an ssx bug",
                           WSASYSCALLFAILURE);
    }
    return failure;
}

}  // namespace ssx::winsock
