#include "common/error.hpp"

#include <cerrno>

#include <openssl/err.h>

#include "ssx/ssx.h"

namespace ssx {

int default_errno(int code) noexcept {
    switch (code) {
        case SSX_OK: return 0;
        case SSX_E_INVALID_ARGUMENT: return EINVAL;
        case SSX_E_NULL_POINTER: return EFAULT;
        case SSX_E_BUFFER_TOO_SMALL: return EMSGSIZE;
        case SSX_E_NOT_SOCKET: return ENOTSOCK;
        case SSX_E_BAD_DESCRIPTOR: return EBADF;
        case SSX_E_UNSUPPORTED_SOCKET: return EINVAL;
        case SSX_E_ADDRESS_FAMILY: return EAFNOSUPPORT;
        case SSX_E_NOT_SUPPORTED: return EOPNOTSUPP;
        case SSX_E_ALREADY_CONNECTED: return EISCONN;
        case SSX_E_ALREADY_BOUND: return EINVAL;
        case SSX_E_ALREADY_SET: return EALREADY;
        case SSX_E_NOT_CONNECTED: return ENOTCONN;
        case SSX_E_NOT_SECURED: return EACCES;
        case SSX_E_NO_SECURITY: return EINVAL;
        case SSX_E_NOT_FOUND: return ENOENT;
        case SSX_E_LISTENING: return EINVAL;
        case SSX_E_ACCESS_DENIED: return EACCES;
        case SSX_E_POLICY: return EINVAL;
        case SSX_E_NO_CREDENTIALS: return ENOENT;
        case SSX_E_CREDENTIALS: return EINVAL;
        case SSX_E_POLICY_FORBIDS: return EPERM;
        case SSX_E_HANDSHAKE: return ECONNABORTED;
        case SSX_E_PEER_UNTRUSTED: return EACCES;
        case SSX_E_NAME_MISMATCH: return EACCES;
        case SSX_E_CERT_EXPIRED: return EACCES;
        case SSX_E_CERT_NOT_YET_VALID: return EACCES;
        case SSX_E_NO_PEER_CERT: return EACCES;
        case SSX_E_NO_TARGET_NAME: return EDESTADDRREQ;
        case SSX_E_PROTOCOL_VERSION: return EPROTONOSUPPORT;
        case SSX_E_PEER_NOT_TLS: return EPROTO;
        case SSX_E_TIMEOUT: return ETIMEDOUT;
        case SSX_E_PEER_CLOSED: return ECONNRESET;
        case SSX_E_PEER_REJECTED: return ECONNREFUSED;
        case SSX_E_CONNECT: return ECONNREFUSED;
        case SSX_E_WANT_READ: return EAGAIN;
        case SSX_E_WANT_WRITE: return EAGAIN;
        case SSX_E_IO: return EIO;
        case SSX_E_SHUT_DOWN: return EPIPE;
        case SSX_E_PROTOCOL: return EPROTO;
        case SSX_E_IMPERSONATION_DENIED: return EPERM;
        case SSX_E_OS_CREDENTIALS: return EPERM;
        case SSX_E_NO_MEMORY: return ENOMEM;
        case SSX_E_INTERNAL: return EIO;
        default: return EIO;
    }
}

const char* error_name(int code) noexcept {
    switch (code) {
#define SSX_NAME(c) \
    case c: return #c;
        SSX_NAME(SSX_OK)
        SSX_NAME(SSX_E_INVALID_ARGUMENT)
        SSX_NAME(SSX_E_NULL_POINTER)
        SSX_NAME(SSX_E_BUFFER_TOO_SMALL)
        SSX_NAME(SSX_E_NOT_SOCKET)
        SSX_NAME(SSX_E_BAD_DESCRIPTOR)
        SSX_NAME(SSX_E_UNSUPPORTED_SOCKET)
        SSX_NAME(SSX_E_ADDRESS_FAMILY)
        SSX_NAME(SSX_E_NOT_SUPPORTED)
        SSX_NAME(SSX_E_ALREADY_CONNECTED)
        SSX_NAME(SSX_E_ALREADY_BOUND)
        SSX_NAME(SSX_E_ALREADY_SET)
        SSX_NAME(SSX_E_NOT_CONNECTED)
        SSX_NAME(SSX_E_NOT_SECURED)
        SSX_NAME(SSX_E_NO_SECURITY)
        SSX_NAME(SSX_E_NOT_FOUND)
        SSX_NAME(SSX_E_LISTENING)
        SSX_NAME(SSX_E_ACCESS_DENIED)
        SSX_NAME(SSX_E_POLICY)
        SSX_NAME(SSX_E_NO_CREDENTIALS)
        SSX_NAME(SSX_E_CREDENTIALS)
        SSX_NAME(SSX_E_POLICY_FORBIDS)
        SSX_NAME(SSX_E_HANDSHAKE)
        SSX_NAME(SSX_E_PEER_UNTRUSTED)
        SSX_NAME(SSX_E_NAME_MISMATCH)
        SSX_NAME(SSX_E_CERT_EXPIRED)
        SSX_NAME(SSX_E_CERT_NOT_YET_VALID)
        SSX_NAME(SSX_E_NO_PEER_CERT)
        SSX_NAME(SSX_E_NO_TARGET_NAME)
        SSX_NAME(SSX_E_PROTOCOL_VERSION)
        SSX_NAME(SSX_E_PEER_NOT_TLS)
        SSX_NAME(SSX_E_TIMEOUT)
        SSX_NAME(SSX_E_PEER_CLOSED)
        SSX_NAME(SSX_E_PEER_REJECTED)
        SSX_NAME(SSX_E_CONNECT)
        SSX_NAME(SSX_E_WANT_READ)
        SSX_NAME(SSX_E_WANT_WRITE)
        SSX_NAME(SSX_E_IO)
        SSX_NAME(SSX_E_SHUT_DOWN)
        SSX_NAME(SSX_E_PROTOCOL)
        SSX_NAME(SSX_E_IMPERSONATION_DENIED)
        SSX_NAME(SSX_E_OS_CREDENTIALS)
        SSX_NAME(SSX_E_NO_MEMORY)
        SSX_NAME(SSX_E_INTERNAL)
#undef SSX_NAME
        default: return "SSX_E_UNKNOWN";
    }
}

void fail(int code, std::string message) { throw Error(code, std::move(message)); }
void fail(int code, int sys_errno, std::string message) {
    throw Error(code, sys_errno, std::move(message));
}

std::string drain_openssl_errors() {
    std::string out;
    char buf[256];
    while (unsigned long e = ERR_get_error()) {
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

}  // namespace ssx
