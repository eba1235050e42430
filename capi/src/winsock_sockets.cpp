// WSASocketW/A, WSAConnect, WSAAccept, closesocket. A socket secured with WSASetSocketSecurity
// connects and accepts through the core (TCP + TLS handshake + peer verification); any other
// socket is an ordinary socket, exactly as on Windows without the secure socket calls.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_startup.hpp"
#include "control/control.hpp"
#include "endpoint/endpoint_table.hpp"
#include "ssx/winsock.h"

namespace {

using ssx::winsock::wsa_fail;
using ssx::winsock::wsa_guarded;

[[noreturn]] void system_failure(const char* what) {
    const int e = errno;
    ssx::fail(SSX_E_IO, e, std::string(what) + ": " + std::strerror(e));
}

bool secured(int fd) { return ssx::EndpointTable::instance().find(fd) != nullptr; }

SOCKET create_socket(int af, int type, int protocol, const void* protocol_info, GROUP g, DWORD flags) {
    return wsa_guarded(INVALID_SOCKET, [&] {
        ssx::winsock::require_started();
        if (protocol_info) {
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     "WSASocket: lpProtocolInfo is not supported; pass NULL with af, type and protocol");
        }
        if (g != 0) wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT, "WSASocket: socket groups are not supported; pass 0");
        if (flags & ~DWORD{WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT}) {
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     "WSASocket: dwFlags " + std::to_string(flags) +
                         " is not supported; use 0, WSA_FLAG_OVERLAPPED (ignored) or WSA_FLAG_NO_HANDLE_INHERIT");
        }
        const int fd = ::socket(af, type | ((flags & WSA_FLAG_NO_HANDLE_INHERIT) ? SOCK_CLOEXEC : 0), protocol);
        if (fd < 0) system_failure("WSASocket: socket() failed");
        return fd;
    });
}

}  // namespace

extern "C" {

SSX_API SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g,
                          DWORD dwFlags) {
    return create_socket(af, type, protocol, lpProtocolInfo, g, dwFlags);
}

SSX_API SOCKET WSASocketA(int af, int type, int protocol, LPWSAPROTOCOL_INFOA lpProtocolInfo, GROUP g,
                          DWORD dwFlags) {
    return create_socket(af, type, protocol, lpProtocolInfo, g, dwFlags);
}

SSX_API int WSAConnect(SOCKET s, const struct sockaddr* name, int namelen, LPWSABUF lpCallerData,
                       LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS) {
    return wsa_guarded(SOCKET_ERROR, [&] {
        ssx::winsock::require_started();
        if (lpCallerData && lpCallerData->len > 0) {
            wsa_fail(WSAEOPNOTSUPP, SSX_E_NOT_SUPPORTED, "WSAConnect: connect data is not supported by TCP; pass NULL");
        }
        if (lpSQOS || lpGQOS) wsa_fail(WSAEOPNOTSUPP, SSX_E_NOT_SUPPORTED, "WSAConnect: QOS is not supported; pass NULL");
        if (!name || namelen < 0) {
            wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER, "WSAConnect: name is NULL or namelen is negative");
        }
        if (lpCalleeData) lpCalleeData->len = 0;  // no connect data comes back
        if (secured(s)) {
            ssx::control::connect(s, name, static_cast<socklen_t>(namelen));
        } else if (::connect(s, name, static_cast<socklen_t>(namelen)) != 0) {
            system_failure("WSAConnect: connect() failed");
        }
        return 0;
    });
}

SSX_API SOCKET WSAAccept(SOCKET s, struct sockaddr* addr, LPINT addrlen, LPCONDITIONPROC lpfnCondition,
                         DWORD_PTR) {
    return wsa_guarded(INVALID_SOCKET, [&] {
        ssx::winsock::require_started();
        if (lpfnCondition) {
            wsa_fail(WSAEOPNOTSUPP, SSX_E_NOT_SUPPORTED,
                     "WSAAccept: condition functions are not supported; pass NULL and check the peer after "
                     "accept with WSAQuerySocketSecurity");
        }
        if (addr && (!addrlen || *addrlen < 0)) {
            wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER, "WSAAccept: addrlen is NULL or negative while addr is given");
        }
        socklen_t len = addrlen ? static_cast<socklen_t>(*addrlen) : 0;
        socklen_t* len_arg = addr ? &len : nullptr;
        int fd;
        if (secured(s)) {
            fd = ssx::control::accept(s, addr, len_arg);
        } else {
            do {
                fd = ::accept(s, addr, len_arg);
            } while (fd < 0 && errno == EINTR);
            if (fd < 0) system_failure("WSAAccept: accept() failed");
        }
        if (addr) *addrlen = static_cast<int>(len);
        return fd;
    });
}

SSX_API int closesocket(SOCKET s) {
    return wsa_guarded(SOCKET_ERROR, [&] {
        ssx::winsock::require_started();
        ssx::control::close(s);
        return 0;
    });
}

}  // extern "C"
