// Secured sockets through the public C ABI: an owner that ssx_close()s, and the two ways the CLI
// makes one (connect to a peer, listen for peers).
#pragma once

#include <string>
#include <utility>

#include "address.hpp"
#include "security_options.hpp"

namespace ssx::cli {

class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() { reset(); }
    Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Socket& operator=(Socket&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    int fd() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

// Resolves `address`, connects and secures (ssx_connect), trying each resolved address in turn
// while the TCP connection itself fails; a security failure is final. target: the name the peer
// must prove ("" = none set: the library fails closed unless the policy makes names optional).
// Throws Failure with the library's reason.
Socket connect_secured(const Address& address, const std::string& target, const SecurityOptions& options);

// A secured listening socket bound to `address` (the first resolved address).
Socket listen_secured(const Address& address, const SecurityOptions& options, int backlog = 64);

}  // namespace ssx::cli
