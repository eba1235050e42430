#include "address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

namespace py = pybind11;

namespace ssxpy {

SockAddr to_sockaddr(const py::object& address) {
    SockAddr out;
    if (address.is_none()) return out;
    auto t = address.cast<py::tuple>();
    if (t.size() != 5) throw py::value_error("address must be (family, host, port, flowinfo, scope_id)");
    const int family = t[0].cast<int>();
    std::string host = t[1].cast<std::string>();
    const int port = t[2].cast<int>();
    if (port < 0 || port > 65535) throw py::value_error("port must be 0-65535");
    if (family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&out.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<uint16_t>(port));
        if (::inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) {
            throw py::value_error("'" + host + "' is not an IPv4 address");
        }
        out.len = sizeof(sockaddr_in);
    } else if (family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port));
        in6->sin6_flowinfo = htonl(t[3].cast<uint32_t>());
        in6->sin6_scope_id = t[4].cast<uint32_t>();
        // getaddrinfo() writes link-local scopes as "fe80::1%eth0"; the scope is in scope_id.
        if (auto pct = host.find('%'); pct != std::string::npos) host.resize(pct);
        if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1) {
            throw py::value_error("'" + host + "' is not an IPv6 address");
        }
        out.len = sizeof(sockaddr_in6);
    } else {
        // Passed through so the C ABI reports SSX_E_ADDRESS_FAMILY in its own words.
        out.storage.ss_family = static_cast<sa_family_t>(family);
        out.len = sizeof(sockaddr_storage);
    }
    return out;
}

py::object from_sockaddr(const sockaddr* addr, socklen_t len) {
    char text[INET6_ADDRSTRLEN] = {};
    if (addr && addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return py::make_tuple(py::str(text), ntohs(in->sin_port));
    }
    if (addr && addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        return py::make_tuple(py::str(text), ntohs(in6->sin6_port), ntohl(in6->sin6_flowinfo), in6->sin6_scope_id);
    }
    return py::none();
}

}  // namespace ssxpy
