#include "control/socket_setup.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::control {

namespace {

[[noreturn]] void cannot(const char* what) {
    int e = errno;
    fail(SSX_E_IO, e, std::string("clear-text fallback: cannot carry ") + what +
                          " over to the new connection (" + std::strerror(e) +
                          "); refusing to send clear text by another path");
}

template <class T>
void copy_option(int from, int to, int level, int name, const char* what) {
    T value{};
    socklen_t len = sizeof value;
    if (::getsockopt(from, level, name, &value, &len) != 0) return;  // not applicable here
    if (::setsockopt(to, level, name, &value, len) != 0) cannot(what);
}

}  // namespace

void copy_socket_setup(int from, int to) {
    // The route: device and mark first (they need privileges; failing to copy them is fatal).
    char device[IFNAMSIZ] = {};
    socklen_t dlen = sizeof device;
    if (::getsockopt(from, SOL_SOCKET, SO_BINDTODEVICE, device, &dlen) == 0 && dlen > 0 && device[0]) {
        if (::setsockopt(to, SOL_SOCKET, SO_BINDTODEVICE, device, dlen) != 0) cannot("SO_BINDTODEVICE");
    }
    int mark = 0;
    socklen_t mlen = sizeof mark;
    if (::getsockopt(from, SOL_SOCKET, SO_MARK, &mark, &mlen) == 0 && mark != 0) {
        if (::setsockopt(to, SOL_SOCKET, SO_MARK, &mark, mlen) != 0) cannot("SO_MARK");
    }
    sockaddr_storage local{};
    socklen_t llen = sizeof local;
    if (::getsockname(from, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
        if (local.ss_family == AF_INET6) copy_option<int>(from, to, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY");
        // The same source address (a new port): the application may have bound it on purpose.
        if (local.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&local)->sin_port = 0;
        if (local.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = 0;
        if ((local.ss_family == AF_INET || local.ss_family == AF_INET6) &&
            ::bind(to, reinterpret_cast<sockaddr*>(&local), llen) != 0) {
            cannot("the source address");
        }
    }
    copy_option<timeval>(from, to, SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO");
    copy_option<timeval>(from, to, SOL_SOCKET, SO_SNDTIMEO, "SO_SNDTIMEO");
    copy_option<linger>(from, to, SOL_SOCKET, SO_LINGER, "SO_LINGER");
    copy_option<int>(from, to, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE");
    copy_option<int>(from, to, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
}

}  // namespace ssx::control
