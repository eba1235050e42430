// Socket addresses between Python and the C ABI. The Python package resolves host names with
// socket.getaddrinfo() and passes numeric addresses as (family, host, port, flowinfo, scope_id);
// addresses coming back use the socket module's tuples: (host, port) for AF_INET and
// (host, port, flowinfo, scope_id) for AF_INET6.
#pragma once

#include <sys/socket.h>

#include <pybind11/pybind11.h>

namespace ssxpy {

struct SockAddr {
    sockaddr_storage storage{};
    socklen_t len = 0;
    const sockaddr* ptr() const { return len ? reinterpret_cast<const sockaddr*>(&storage) : nullptr; }
};

// From (family, host, port, flowinfo, scope_id); None gives the empty address (NULL, 0).
// Raises ValueError for a host that is not a numeric address of the family.
SockAddr to_sockaddr(const pybind11::object& address);

// To the socket module's tuple form.
pybind11::object from_sockaddr(const sockaddr* addr, socklen_t len);

}  // namespace ssxpy
