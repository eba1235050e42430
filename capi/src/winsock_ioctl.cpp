// The Winsock dispatch (see winsock_ioctl.hpp) and WSAIoctl.
#include "capi/src/winsock_ioctl.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_handles.hpp"
#include "capi/src/winsock_startup.hpp"
#include "capi/src/winsock_structs.hpp"
#include "control/control.hpp"
#include "control/socket_checks.hpp"
#include "endpoint/endpoint_table.hpp"

namespace ssx::winsock {

namespace {


// The socket checks every operation starts with. Windows has two codes the native API folds into
// one: WSAEAFNOSUPPORT for a family other than AF_INET/AF_INET6, WSAEINVAL for a type other than
// stream/datagram. Datagram sockets pass here (their argument rules differ) and are refused by the
// core with WSAEOPNOTSUPP after their arguments have been checked.
SocketKind classify(int fd) {
    ssx::socket_identity(fd);  // SSX_E_BAD_DESCRIPTOR / SSX_E_NOT_SOCKET → WSAENOTSOCK
    const int family = control::socket_int_option(fd, SO_DOMAIN);
    const int type = control::socket_int_option(fd, SO_TYPE);
    if (family != AF_INET && family != AF_INET6) {
        wsa_fail(WSAEAFNOSUPPORT, SSX_E_UNSUPPORTED_SOCKET,
                 "socket " + std::to_string(fd) + " has address family " + std::to_string(family) +
                     "; secure sockets are AF_INET or AF_INET6");
    }
    if (type == SOCK_STREAM) return SocketKind::stream;
    if (type == SOCK_DGRAM) return SocketKind::datagram;
    wsa_fail(WSAEINVAL, SSX_E_UNSUPPORTED_SOCKET,
             "socket " + std::to_string(fd) + " has type " + std::to_string(type) +
                 "; secure sockets are SOCK_STREAM (or SOCK_DGRAM on Windows)");
}

// How many bytes of a caller's sockaddr to copy (never more than it declared), and the length to
// declare to the core (the caller's, clamped to what socklen_t holds).
size_t copy_length(size_t len) { return std::min(len, sizeof(sockaddr_storage)); }
socklen_t declared_length(size_t len) { return static_cast<socklen_t>(std::min<size_t>(len, 0x7fffffff)); }

void set_security(int fd, const Buffers& b) {
    const ssx_security_settings settings = settings_from(b.in, b.in_len);
    control::set_socket_security(fd, &settings);
}

void set_peer_target_name(int fd, SocketKind kind, const Buffers& b) {
    const PeerTargetName target = peer_target_name_from(b.in, b.in_len);
    if (kind == SocketKind::datagram && is_unspecified_address(target.peer)) {
        wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                 "WSASetSocketPeerTargetName: PeerAddress has a zero address and port; a datagram socket "
                 "names each peer by its IP address and port");
    }
    // The SPN form (service/host[:port][/name]) is understood by the core's target-name parser.
    control::set_peer_target_name(fd, reinterpret_cast<const sockaddr*>(&target.peer), sizeof target.peer,
                                  target.name.c_str());
}

void delete_peer_target_name(int fd, const Buffers& b) {
    if (!b.in) wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER, "WSADeleteSocketPeerTargetName: PeerAddr is NULL");
    // Copied so a short caller buffer is never read past its length.
    sockaddr_storage peer{};
    std::memcpy(&peer, b.in, copy_length(b.in_len));
    control::delete_peer_target_name(fd, reinterpret_cast<const sockaddr*>(&peer), declared_length(b.in_len));
}

// WSAQuerySocketSecurity's documented WSAECONNRESET: a reset from the peer is held by the kernel
// as the socket's pending error (POLLERR) until someone reads it. Reading it consumes it, so any
// pending error is reported here rather than dropped.
void check_pending_error(int fd) {
    pollfd p{fd, 0, 0};
    if (::poll(&p, 1, 0) != 1 || !(p.revents & POLLERR)) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0) return;
    if (err == ECONNRESET || err == EPIPE) {
        fail(SSX_E_PEER_CLOSED, err, "WSAQuerySocketSecurity: the peer reset the connection; close the socket");
    }
    fail(SSX_E_IO, err, std::string("WSAQuerySocketSecurity: the connection failed: ") + std::strerror(err));
}

void query_security(int fd, SocketKind kind, const Buffers& b) {
    const QueryTemplate tmpl = query_template_from(b.in, b.in_len, kind);
    if (!b.out || b.out_len < sizeof(SOCKET_SECURITY_QUERY_INFO)) {
        // Microsoft's own TCP example probes with (NULL, 0, NULL, &len) and expects WSAEFAULT;
        // every other too-small call is WSAEMSGSIZE. The required size is already in *returned.
        const bool documented_probe = !b.in && !b.out && kind == SocketKind::stream;
        wsa_fail(documented_probe ? WSAEFAULT : WSAEMSGSIZE, SSX_E_BUFFER_TOO_SMALL,
                 "WSAQuerySocketSecurity needs a SOCKET_SECURITY_QUERY_INFO of " +
                     std::to_string(sizeof(SOCKET_SECURITY_QUERY_INFO)) + " bytes (got " +
                     (b.out ? std::to_string(b.out_len) : std::string("NULL")) +
                     "); the required size was written to the length argument");
    }
    if (kind == SocketKind::stream) check_pending_error(fd);
    ssx_query_info native{};
    size_t native_len = sizeof native;
    control::query(fd, tmpl.present ? &tmpl.native : nullptr, &native, &native_len);
    const uint64_t token = register_token(native.peer_application_token);
    if (native.peer_machine_token) ssx_token_close(native.peer_machine_token);  // not reported (see header)
    const SOCKET_SECURITY_QUERY_INFO info = query_info_from(native, token);
    std::memcpy(b.out, &info, sizeof info);
    *b.returned = sizeof info;
}

void impersonate(int fd, SocketKind kind, const Buffers& b) {
    if (!b.in && kind == SocketKind::datagram) {
        wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER,
                 "WSAImpersonateSocketPeer: PeerAddr is NULL; a datagram socket must name the peer to impersonate");
    }
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    if (b.in) {
        // Ignored for stream sockets, as on Windows, but still checked: a bad address is a bug.
        std::memcpy(&peer, b.in, copy_length(b.in_len));
        peer_len = declared_length(b.in_len);
        control::address_key(reinterpret_cast<const sockaddr*>(&peer), peer_len);
    }
    control::impersonate(fd, b.in ? reinterpret_cast<const sockaddr*>(&peer) : nullptr, peer_len);
}

}  // namespace

std::optional<Operation> operation_for_code(DWORD code) {
    switch (code) {
        case SIO_SET_SECURITY: return Operation::set_security;
        case SIO_SET_PEER_TARGET_NAME: return Operation::set_peer_target_name;
        case SIO_DELETE_PEER_TARGET_NAME: return Operation::delete_peer_target_name;
        case SIO_QUERY_SECURITY: return Operation::query_security;
        default: return std::nullopt;
    }
}

void dispatch(Operation op, int fd, const Buffers& b) {
    if (op == Operation::revert) {
        control::revert_impersonation();
        return;
    }
    if (op == Operation::query_security) {
        if (!b.returned) {
            wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER,
                     "WSAQuerySocketSecurity: SecurityQueryInfoLen (lpcbBytesReturned) is NULL");
        }
        *b.returned = sizeof(SOCKET_SECURITY_QUERY_INFO);  // the required size, whatever fails below
    } else if (b.returned) {
        *b.returned = 0;
    }
    const SocketKind kind = classify(fd);
    switch (op) {
        case Operation::set_security: set_security(fd, b); break;
        case Operation::set_peer_target_name: set_peer_target_name(fd, kind, b); break;
        case Operation::delete_peer_target_name: delete_peer_target_name(fd, b); break;
        case Operation::query_security: query_security(fd, kind, b); break;
        case Operation::impersonate: impersonate(fd, kind, b); break;
        case Operation::revert: break;  // handled above
    }
}

}  // namespace ssx::winsock

extern "C" {

SSX_API int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer, LPVOID lpvOutBuffer,
                     DWORD cbOutBuffer, LPDWORD lpcbBytesReturned, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    using namespace ssx::winsock;
    return wsa_guarded(SOCKET_ERROR, [&] {
        require_started();
        const std::optional<Operation> op = operation_for_code(dwIoControlCode);
        if (!op) {
            ssx::socket_identity(s);  // an invalid socket is reported first, as Windows does
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%08X", dwIoControlCode);
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     std::string("WSAIoctl: control code ") + hex +
                         " is not supported; ssx implements SIO_SET_SECURITY, SIO_SET_PEER_TARGET_NAME, "
                         "SIO_DELETE_PEER_TARGET_NAME and SIO_QUERY_SECURITY");
        }
        dispatch(*op, s, Buffers{lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer, lpcbBytesReturned});
        return 0;
    });
}

}  // extern "C"
