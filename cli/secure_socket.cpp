#include "secure_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exit_codes.hpp"
#include "ssx/ssx.h"

namespace ssx::cli {

void Socket::reset(int fd) {
    if (fd_ >= 0) ssx_close(fd_);
    fd_ = fd;
}

namespace {

Socket secured(int family, const SecurityOptions& options) {
    Socket s(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) throw Failure(Exit::internal, std::string("socket() failed: ") + std::strerror(errno));
    ssx_security_settings settings = options.settings();
    if (ssx_set_socket_security(s.fd(), &settings) != 0) {
        int code = ssx_last_error();
        std::string message = "cannot secure the socket: " + one_line_message(code, ssx_last_error_message());
        if (code == SSX_E_NO_CREDENTIALS) message += SecurityOptions::credentials_hint();
        throw Failure(exit_for_ssx_code(code), message, ssx_error_name(code));
    }
    return s;
}

}  // namespace

Socket connect_secured(const Address& address, const std::string& target, const SecurityOptions& options) {
    std::vector<Resolved> candidates = resolve(address, false);
    std::string last_failure;
    std::string last_name;
    for (const Resolved& r : candidates) {
        Socket s = secured(r.family, options);
        if (!target.empty() && ssx_set_peer_target_name(s.fd(), nullptr, 0, target.c_str()) != 0) {
            fail_with_last_error("invalid --target-name '" + target + "'");
        }
        const std::string where = format_address(reinterpret_cast<const sockaddr*>(&r.addr), r.len);
        if (ssx_connect(s.fd(), reinterpret_cast<const sockaddr*>(&r.addr), r.len) == 0) return s;
        if (ssx_last_error() == SSX_E_NO_TARGET_NAME) {
            throw Failure(Exit::security, "not connecting to " + where + " without a target name: give "
                                          "--target-name NAME, the identity the server must prove (or set "
                                          "[peer_name] verification = \"optional\" in the policy)",
                          "SSX_E_NO_TARGET_NAME");
        }
        if (ssx_last_error() != SSX_E_CONNECT) fail_with_last_error("connection to " + where + " not secured");
        last_failure = "cannot connect to " + where + ": " + ssx_last_error_message();
        last_name = ssx_error_name(ssx_last_error());
    }
    throw Failure(Exit::network, last_failure + "; check that the server runs and the port is right", last_name);
}

Socket listen_secured(const Address& address, const SecurityOptions& options, int backlog) {
    const Resolved r = resolve(address, true).front();
    Socket s = secured(r.family, options);
    int on = 1;
    ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&r.addr), r.len) != 0) {
        int e = errno;
        throw Failure(Exit::network, "cannot listen on " + address.text() + ": " + std::strerror(e) +
                                         (e == EADDRINUSE ? "; choose another port (or 0 for any free one)" : ""));
    }
    if (::listen(s.fd(), backlog) != 0) {
        throw Failure(Exit::network, "cannot listen on " + address.text() + ": " + std::strerror(errno));
    }
    return s;
}

}  // namespace ssx::cli
