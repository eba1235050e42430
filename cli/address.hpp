// ADDRESS arguments: "HOST:PORT", "[IPv6]:PORT" (brackets required for IPv6 literals, as in URLs),
// resolved with getaddrinfo; and printing socket addresses back in the same form.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

namespace ssx::cli {

struct Address {
    std::string host;  // without brackets
    std::string port;  // decimal, 0..65535
    std::string text() const;  // "host:port" or "[v6]:port"
};

// Parses ADDRESS. Throws Failure(Exit::usage) with what is wrong and an example of the right form.
Address parse_address(std::string_view text);

struct Resolved {
    sockaddr_storage addr{};
    socklen_t len = 0;
    int family = 0;
};

// Resolves for TCP. passive: for bind (a listening socket). Numeric hosts are never looked up in
// DNS. Throws Failure(Exit::network) when the name does not resolve.
std::vector<Resolved> resolve(const Address& address, bool passive);

// "127.0.0.1:4433" / "[::1]:4433"; "?" for families other than IPv4/IPv6.
std::string format_address(const sockaddr* addr, socklen_t len);
std::string local_address(int fd);

}  // namespace ssx::cli
