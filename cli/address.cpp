#include "address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include "exit_codes.hpp"

namespace ssx::cli {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
    throw Failure(Exit::usage, "invalid ADDRESS '" + std::string(text) + "': " + why +
                                   "; use HOST:PORT, e.g. 127.0.0.1:4433 or [::1]:4433");
}

}  // namespace

std::string Address::text() const {
    return host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
}

Address parse_address(std::string_view text) {
    Address a;
    std::string_view port;
    if (text.starts_with('[')) {
        auto close = text.find(']');
        if (close == std::string_view::npos) bad(text, "missing ']' after the IPv6 address");
        a.host = std::string(text.substr(1, close - 1));
        if (close + 1 >= text.size() || text[close + 1] != ':') bad(text, "missing ':PORT' after ']'");
        port = text.substr(close + 2);
        in6_addr probe{};
        if (::inet_pton(AF_INET6, a.host.c_str(), &probe) != 1) bad(text, "'" + a.host + "' is not an IPv6 address");
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) bad(text, "missing ':PORT'");
        a.host = std::string(text.substr(0, colon));
        port = text.substr(colon + 1);
        if (a.host.find(':') != std::string::npos) bad(text, "put IPv6 addresses in brackets");
    }
    if (a.host.empty()) bad(text, "missing HOST");
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(port)) > 65535) {
        bad(text, "PORT must be a number from 0 to 65535");
    }
    a.port = std::to_string(std::stoul(std::string(port)));
    return a;
}

std::vector<Resolved> resolve(const Address& address, bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : AI_ADDRCONFIG);
    addrinfo* raw = nullptr;
    int rc = ::getaddrinfo(address.host.c_str(), address.port.c_str(), &hints, &raw);
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(raw, &::freeaddrinfo);
    if (rc != 0) {
        throw Failure(Exit::network, "cannot resolve '" + address.host + "': " + ::gai_strerror(rc) +
                                         "; check the host name or use an IP address");
    }
    std::vector<Resolved> out;
    for (addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        Resolved r;
        std::memcpy(&r.addr, ai->ai_addr, ai->ai_addrlen);
        r.len = ai->ai_addrlen;
        r.family = ai->ai_family;
        out.push_back(r);
    }
    if (out.empty()) {
        throw Failure(Exit::network, "'" + address.host + "' has no IPv4 or IPv6 address");
    }
    return out;
}

std::string format_address(const sockaddr* addr, socklen_t len) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr && addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        auto* a = reinterpret_cast<const sockaddr_in*>(addr);
        ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
    }
    if (addr && addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(addr);
        ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
    }
    return "?";
}

std::string local_address(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
    return format_address(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace ssx::cli
