#include "control/socket_checks.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "endpoint/endpoint_table.hpp"
#include "ssx/ssx.h"

namespace ssx::control {

namespace {


bool all_zero(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
        if (b[i]) return false;
    }
    return true;
}

}  // namespace

int socket_int_option(int fd, int option) {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return -1;
    return value;
}

void check_stream_socket(int fd) {
    socket_identity(fd);  // EBADF / ENOTSOCK
    int domain = socket_int_option(fd, SO_DOMAIN);
    int type = socket_int_option(fd, SO_TYPE);
    if (domain != AF_INET && domain != AF_INET6) {
        fail(SSX_E_UNSUPPORTED_SOCKET, "socket " + std::to_string(fd) + " has address family " +
                                           std::to_string(domain) +
                                           "; ssx secures AF_INET and AF_INET6 sockets only");
    }
    if (type == SOCK_DGRAM) {
        fail(SSX_E_NOT_SUPPORTED, "socket " + std::to_string(fd) +
                                      " is a datagram socket; ssx secures SOCK_STREAM (TCP) sockets "
                                      "only in this release (DTLS is planned)");
    }
    if (type != SOCK_STREAM) {
        fail(SSX_E_UNSUPPORTED_SOCKET, "socket " + std::to_string(fd) + " has type " + std::to_string(type) +
                                           "; ssx secures SOCK_STREAM sockets only");
    }
}

bool is_connected(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    return ::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
}

bool is_listening(int fd) { return socket_int_option(fd, SO_ACCEPTCONN) == 1; }

bool is_bound(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
    if (ss.ss_family == AF_INET) return reinterpret_cast<sockaddr_in*>(&ss)->sin_port != 0;
    if (ss.ss_family == AF_INET6) return reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port != 0;
    return false;
}

std::string address_key(const sockaddr* addr, socklen_t len) {
    if (!addr) {
        if (len != 0) fail(SSX_E_NULL_POINTER, "peer address is NULL but its length is " + std::to_string(len));
        return "*";
    }
    if (len < static_cast<socklen_t>(sizeof(sa_family_t))) {
        fail(SSX_E_BUFFER_TOO_SMALL, "peer address length " + std::to_string(len) + " is too small");
    }
    char text[INET6_ADDRSTRLEN] = {};
    switch (addr->sa_family) {
        case AF_UNSPEC:
            return "*";
        case AF_INET: {
            if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) {
                fail(SSX_E_BUFFER_TOO_SMALL, "AF_INET peer address needs " + std::to_string(sizeof(sockaddr_in)) +
                                                 " bytes, got " + std::to_string(len));
            }
            const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
            if (in->sin_addr.s_addr == 0 && in->sin_port == 0) return "*";
            ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
            return in->sin_port ? std::string(text) + "|" + std::to_string(ntohs(in->sin_port)) : text;
        }
        case AF_INET6: {
            if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) {
                fail(SSX_E_BUFFER_TOO_SMALL, "AF_INET6 peer address needs " +
                                                 std::to_string(sizeof(sockaddr_in6)) + " bytes, got " +
                                                 std::to_string(len));
            }
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
            if (all_zero(&in6->sin6_addr, sizeof in6->sin6_addr) && in6->sin6_port == 0) return "*";
            ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
            return in6->sin6_port ? std::string(text) + "|" + std::to_string(ntohs(in6->sin6_port)) : text;
        }
        default:
            fail(SSX_E_ADDRESS_FAMILY, "peer address family " + std::to_string(addr->sa_family) +
                                           " is not supported; use AF_INET or AF_INET6");
    }
}

std::string address_text(const sockaddr* addr, socklen_t len) {
    char text[INET6_ADDRSTRLEN] = {};
    if (addr && addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (addr && addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "(unknown address)";
}

void check_destination(const sockaddr* addr, socklen_t len) {
    if (!addr) fail(SSX_E_NULL_POINTER, "destination address is NULL");
    if (len < static_cast<socklen_t>(sizeof(sa_family_t))) {
        fail(SSX_E_BUFFER_TOO_SMALL, "destination address length " + std::to_string(len) + " is too small");
    }
    if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) return;
    if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) return;
    if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6) {
        fail(SSX_E_ADDRESS_FAMILY, "destination address family " + std::to_string(addr->sa_family) +
                                       " is not supported; use AF_INET or AF_INET6");
    }
    fail(SSX_E_BUFFER_TOO_SMALL, "destination address length " + std::to_string(len) +
                                     " is too small for its family");
}

}  // namespace ssx::control
