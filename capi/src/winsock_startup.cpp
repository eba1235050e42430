// WSAStartup / WSACleanup. There is nothing to load on Linux; the count exists so that ported
// programs see Windows' rules: functions fail with WSANOTINITIALISED before WSAStartup and after
// the last WSACleanup, which keeps a program that forgets WSAStartup portable back to Windows.
#include <atomic>
#include <cstdio>
#include <cstring>

#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_startup.hpp"
#include "ssx/winsock.h"

namespace ssx::winsock {

namespace {

// Atomic rather than locked: every Winsock call reads it, and different sockets must never
// contend on one lock.
std::atomic<int> startup_count{0};

constexpr WORD kHighestVersion = MAKEWORD(2, 2);

}  // namespace

void require_started() {
    if (startup_count.load(std::memory_order_acquire) <= 0) {
        wsa_fail(WSANOTINITIALISED, SSX_E_INVALID_ARGUMENT,
                 "the Winsock API is not initialised: call WSAStartup(MAKEWORD(2, 2), &wsaData) first "
                 "(and WSACleanup once per successful WSAStartup when done)");
    }
}

}  // namespace ssx::winsock

extern "C" {

SSX_API int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData) {
    using namespace ssx::winsock;
    // Returns its error code directly (Windows: "WSAGetLastError should not be used" here).
    if (LOBYTE(wVersionRequested) == 0) {
        record_wsa_failure(SSX_E_INVALID_ARGUMENT, EINVAL,
                           "WSAStartup: version " + std::to_string(LOBYTE(wVersionRequested)) + "." +
                               std::to_string(HIBYTE(wVersionRequested)) + " is not supported; request MAKEWORD(2, 2)",
                           WSAVERNOTSUPPORTED);
        return WSAVERNOTSUPPORTED;
    }
    if (!lpWSAData) {
        record_wsa_failure(SSX_E_NULL_POINTER, EFAULT, "WSAStartup: lpWSAData is NULL", WSAEFAULT);
        return WSAEFAULT;
    }
    // Version negotiation: major first, then minor; anything above 2.2 gets 2.2.
    const bool above = LOBYTE(wVersionRequested) > 2 ||
                       (LOBYTE(wVersionRequested) == 2 && HIBYTE(wVersionRequested) > 2);
    std::memset(lpWSAData, 0, sizeof *lpWSAData);
    lpWSAData->wVersion = above ? kHighestVersion : wVersionRequested;
    lpWSAData->wHighVersion = kHighestVersion;
    std::snprintf(lpWSAData->szDescription, sizeof lpWSAData->szDescription,
                  "ssx %s Winsock-compatible secure sockets (TLS 1.3)", ssx_version());
    std::snprintf(lpWSAData->szSystemStatus, sizeof lpWSAData->szSystemStatus, "Running");
    startup_count.fetch_add(1, std::memory_order_acq_rel);
    ssx::capi::record_success();
    return 0;
}

SSX_API int WSACleanup(void) {
    return ssx::winsock::wsa_guarded(SOCKET_ERROR, [] {
        auto& count = ssx::winsock::startup_count;
        int now = count.load(std::memory_order_acquire);
        do {  // decrement only while positive, so racing WSACleanups never go below zero
            if (now <= 0) {
                ssx::winsock::wsa_fail(WSANOTINITIALISED, SSX_E_INVALID_ARGUMENT,
                                       "WSACleanup: WSAStartup has not been called (or every call was "
                                       "already matched by WSACleanup)");
            }
        } while (!count.compare_exchange_weak(now, now - 1, std::memory_order_acq_rel));
        return 0;
    });
}

}  // extern "C"
