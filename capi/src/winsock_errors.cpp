// The mapping from ssx's native error codes and from errno to Winsock's WSAE* codes. One table per
// key, both here, so every Winsock function reports the same code for the same failure.
#include "capi/src/winsock_errors.hpp"

#include <cerrno>

namespace ssx::winsock {

namespace {

constexpr int kFromErrno = -1;  // the WSAE* code comes from the failure's errno

struct CodeRow {
    int ssx_code;
    int wsa_code;
};

// Choices where Windows documents nothing: every failure to authenticate the peer is WSAEACCES (one
// code for "the peer is not who it must be"; ssx_last_error() tells which check failed); ordering
// and configuration mistakes are WSAEINVAL, the code the Windows pages use for incorrect calls.
constexpr CodeRow kCodes[] = {
    {SSX_OK, NO_ERROR},
    {SSX_E_INVALID_ARGUMENT, WSAEINVAL},
    {SSX_E_NULL_POINTER, WSAEFAULT},
    {SSX_E_BUFFER_TOO_SMALL, WSAEMSGSIZE},
    {SSX_E_NOT_SOCKET, WSAENOTSOCK},
    {SSX_E_BAD_DESCRIPTOR, WSAENOTSOCK},  // Windows: a closed or bogus handle is "not a socket"
    {SSX_E_UNSUPPORTED_SOCKET, WSAEINVAL},
    {SSX_E_ADDRESS_FAMILY, WSAEAFNOSUPPORT},
    {SSX_E_NOT_SUPPORTED, WSAEOPNOTSUPP},
    {SSX_E_ALREADY_CONNECTED, WSAEISCONN},
    {SSX_E_ALREADY_BOUND, WSAEINVAL},
    {SSX_E_ALREADY_SET, WSAEINVAL},
    {SSX_E_NOT_CONNECTED, WSAENOTCONN},
    {SSX_E_NOT_SECURED, WSAEACCES},
    {SSX_E_NO_SECURITY, WSAEINVAL},
    {SSX_E_NOT_FOUND, WSAEINVAL},
    {SSX_E_LISTENING, WSAEINVAL},
    {SSX_E_ACCESS_DENIED, WSAEACCES},
    {SSX_E_POLICY, WSAEINVAL},
    {SSX_E_NO_CREDENTIALS, WSAEINVAL},
    {SSX_E_CREDENTIALS, WSAEINVAL},
    {SSX_E_POLICY_FORBIDS, WSAEACCES},
    {SSX_E_HANDSHAKE, WSAECONNABORTED},
    {SSX_E_PEER_UNTRUSTED, WSAEACCES},
    {SSX_E_NAME_MISMATCH, WSAEACCES},
    {SSX_E_CERT_EXPIRED, WSAEACCES},
    {SSX_E_NO_PEER_CERT, WSAEACCES},
    {SSX_E_NO_TARGET_NAME, WSAEDESTADDRREQ},
    {SSX_E_PROTOCOL_VERSION, WSAEPROTONOSUPPORT},
    {SSX_E_PEER_NOT_TLS, WSAECONNABORTED},
    {SSX_E_TIMEOUT, WSAETIMEDOUT},
    {SSX_E_PEER_CLOSED, WSAECONNRESET},
    {SSX_E_PEER_REJECTED, WSAEACCES},
    {SSX_E_CONNECT, kFromErrno},
    {SSX_E_CERT_NOT_YET_VALID, WSAEACCES},
    {SSX_E_WANT_READ, WSAEWOULDBLOCK},
    {SSX_E_WANT_WRITE, WSAEWOULDBLOCK},
    {SSX_E_IO, kFromErrno},
    {SSX_E_SHUT_DOWN, WSAESHUTDOWN},
    {SSX_E_PROTOCOL, WSAECONNABORTED},
    {SSX_E_IMPERSONATION_DENIED, WSAEACCES},
    {SSX_E_OS_CREDENTIALS, WSASYSCALLFAILURE},  // WSARevertImpersonation's documented code
    {SSX_E_NO_MEMORY, WSAENOBUFS},
    {SSX_E_INTERNAL, WSASYSCALLFAILURE},
};

struct ErrnoRow {
    int sys_errno;
    int wsa_code;
};

constexpr ErrnoRow kErrnos[] = {
    {EINTR, WSAEINTR},
    {EBADF, WSAENOTSOCK},
    {EACCES, WSAEACCES},
    {EPERM, WSAEACCES},
    {EFAULT, WSAEFAULT},
    {EINVAL, WSAEINVAL},
    {EMFILE, WSAEMFILE},
    {ENFILE, WSAEMFILE},
    {EAGAIN, WSAEWOULDBLOCK},
    {EINPROGRESS, WSAEWOULDBLOCK},  // a non-blocking connect on Windows says WSAEWOULDBLOCK
    {EALREADY, WSAEALREADY},
    {ENOTSOCK, WSAENOTSOCK},
    {EDESTADDRREQ, WSAEDESTADDRREQ},
    {EMSGSIZE, WSAEMSGSIZE},
    {EPROTOTYPE, WSAEPROTOTYPE},
    {ENOPROTOOPT, WSAENOPROTOOPT},
    {EPROTONOSUPPORT, WSAEPROTONOSUPPORT},
    {ESOCKTNOSUPPORT, WSAESOCKTNOSUPPORT},
    {EOPNOTSUPP, WSAEOPNOTSUPP},
    {EPFNOSUPPORT, WSAEPFNOSUPPORT},
    {EAFNOSUPPORT, WSAEAFNOSUPPORT},
    {EADDRINUSE, WSAEADDRINUSE},
    {EADDRNOTAVAIL, WSAEADDRNOTAVAIL},
    {ENETDOWN, WSAENETDOWN},
    {ENETUNREACH, WSAENETUNREACH},
    {ENETRESET, WSAENETRESET},
    {ECONNABORTED, WSAECONNABORTED},
    {ECONNRESET, WSAECONNRESET},
    {EPIPE, WSAECONNRESET},
    {ENOBUFS, WSAENOBUFS},
    {ENOMEM, WSAENOBUFS},
    {EISCONN, WSAEISCONN},
    {ENOTCONN, WSAENOTCONN},
    {ESHUTDOWN, WSAESHUTDOWN},
    {ETIMEDOUT, WSAETIMEDOUT},
    {ECONNREFUSED, WSAECONNREFUSED},
    {EHOSTUNREACH, WSAEHOSTUNREACH},
    {EHOSTDOWN, WSAEHOSTUNREACH},
    {EPROTO, WSAECONNABORTED},
};

}  // namespace

void wsa_fail(int wsa_code, int ssx_code, std::string message) {
    throw WsaError(wsa_code, ssx_code, std::move(message));
}

int wsa_code_for_errno(int sys_errno) noexcept {
    if (sys_errno == EWOULDBLOCK) return WSAEWOULDBLOCK;  // may differ from EAGAIN elsewhere
    for (const ErrnoRow& row : kErrnos) {
        if (row.sys_errno == sys_errno) return row.wsa_code;
    }
    return WSASYSCALLFAILURE;
}

int wsa_code_for(int ssx_code, int sys_errno) noexcept {
    for (const CodeRow& row : kCodes) {
        if (row.ssx_code == ssx_code) return row.wsa_code == kFromErrno ? wsa_code_for_errno(sys_errno) : row.wsa_code;
    }
    return WSASYSCALLFAILURE;
}

}  // namespace ssx::winsock
