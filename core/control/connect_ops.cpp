// ssx_connect, ssx_accept, ssx_handshake: TCP connection plus the TLS handshake, with the handshake
// deadline, the server's acceptance confirmation, and the ALLOW_INSECURE clear-text fallback.
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "control/control.hpp"
#include "control/handshake.hpp"
#include "control/socket_checks.hpp"
#include "control/socket_setup.hpp"
#include "endpoint/endpoint_table.hpp"
#include "identity/principal.hpp"
#include "io/wait.hpp"

namespace ssx::control {

namespace {

using io::Clock;

// How long a blocking client waits, after its own handshake, for the server to accept it.
constexpr auto kConfirmationWindow = std::chrono::milliseconds(1000);

std::chrono::milliseconds timeout_of(const Endpoint& ep) {
    return std::chrono::milliseconds(ep.config->handshake_timeout_ms);
}

[[noreturn]] void want(tls::Step step, const char* what) {
    bool read = step == tls::Step::want_read;
    fail(read ? SSX_E_WANT_READ : SSX_E_WANT_WRITE, EAGAIN,
         std::string(what) + " in progress: wait until the socket is " + (read ? "readable" : "writable") +
             " and call ssx_handshake() again");
}

[[noreturn]] void handshake_timed_out(const Endpoint& ep) {
    fail(SSX_E_TIMEOUT, "the TLS handshake did not complete within " +
                            std::to_string(ep.config->handshake_timeout_ms) +
                            " ms; the peer is silent or too slow (handshake_timeout_ms)");
}

// Called with ep.tls_mu held and ep.tls set: the session cannot be freed while it is read.
void mark_secured(Endpoint& ep) {
    tls::Connection& c = *ep.tls;
    std::optional<identity::Account> account;
    std::string account_error;
    try {
        account = identity::map_account(c.peer_leaf(), ep.config->policy->identity_map);
    } catch (const Error& e) {
        account_error = e.message();
    }
    auto principal = identity::Principal::from_certificate(c.peer_leaf(), c.peer_chain(), std::move(account));
    std::lock_guard lock(ep.mu);
    ep.peer = std::move(principal);
    ep.account_error = std::move(account_error);
    ep.state = EndpointState::secured;
    ep.remote.reset();  // no fallback after TLS is established
}

// Server with ALLOW_INSECURE: a TLS ClientHello starts with a handshake record (0x16); anything
// else is a clear-text client. Returns false while the client has sent nothing yet.
bool decide_server_protocol(Endpoint& ep) {
    unsigned char first = 0;
    ssize_t n;
    do {
        n = ::recv(ep.fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n == 0) fail(SSX_E_PEER_CLOSED, "the client closed the connection before sending anything");
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        int e = errno;
        fail(SSX_E_IO, e, std::string("reading the client's first bytes failed: ") + std::strerror(e));
    }
    if (first == 0x16) {
        tls::ConnectionSetup setup;
        setup.context = tls::Context::get(ep.config->context_options(tls::Role::server));
        std::lock_guard lock(ep.tls_mu);
        if (ep.closed) fail(SSX_E_NOT_CONNECTED, "the connection was closed during its handshake");
        if (!ep.tls) ep.tls = std::make_unique<tls::Connection>(ep.fd, std::move(setup));
    } else {
        std::lock_guard lock(ep.mu);
        ep.state = EndpointState::clear;
    }
    return true;
}

void drive(Endpoint& ep, bool may_block) {
    std::optional<Clock::time_point> confirm_deadline;
    for (;;) {
        tls::Step step = tls::Step::want_read;
        bool awaiting = false;
        bool have_tls = false;
        {
            // Everything touching the session happens under its lock, so an ssx_close() from another
            // thread can never free it underneath the handshake.
            std::lock_guard lock(ep.tls_mu);
            if (ep.closed) fail(SSX_E_NOT_CONNECTED, "the connection was closed during its handshake");
            if (ep.tls) {
                have_tls = true;
                step = ep.tls->handshake();
                awaiting = ep.tls->awaiting_confirmation();
                if (step == tls::Step::done) {
                    mark_secured(ep);
                    return;
                }
            }
        }
        if (!have_tls) {
            // Only a server with ALLOW_INSECURE starts without a session (it decides from the
            // client's first byte); anything else is a bug, and never a reason to go clear text.
            if (!ep.is_server || !ep.config->allow_insecure()) {
                fail(SSX_E_INTERNAL, "a secured endpoint has no TLS session; refusing to continue");
            }
            if (decide_server_protocol(ep)) {
                std::lock_guard lock(ep.mu);
                if (ep.state == EndpointState::clear) return;
                continue;
            }
        }
        if (Clock::now() >= ep.deadline && !awaiting) {
            handshake_timed_out(ep);
        }
        if (!may_block) want(step, "TLS handshake");
        auto deadline = ep.deadline;
        if (awaiting) {
            if (!confirm_deadline) confirm_deadline = std::min(ep.deadline, Clock::now() + kConfirmationWindow);
            deadline = *confirm_deadline;
        }
        if (!io::wait_ready(ep.fd, step == tls::Step::want_read, deadline)) {
            if (awaiting) {
                // The server sends nothing after the handshake (no tickets): nothing to wait for.
                std::lock_guard lock(ep.tls_mu);
                if (ep.closed || !ep.tls) {
                    fail(SSX_E_NOT_CONNECTED, "the connection was closed during its handshake");
                }
                ep.tls->skip_confirmation();
                continue;
            }
            handshake_timed_out(ep);
        }
    }
}

bool fallback_allowed(Endpoint& ep, const Error& e) {
    if (ep.is_server || !ep.config->allow_insecure()) return false;
    {
        std::lock_guard lock(ep.tls_mu);
        if (ep.closed || !ep.tls || ep.tls->peer_spoke_tls()) return false;
    }
    switch (e.code()) {
        case SSX_E_PEER_NOT_TLS:
        case SSX_E_PEER_CLOSED:
        case SSX_E_TIMEOUT:
        case SSX_E_HANDSHAKE:
        case SSX_E_PROTOCOL:
        case SSX_E_IO:
            return true;
        default:
            return false;  // certificate, name and policy failures never fall back
    }
}

// The peer does not speak TLS and the application allowed clear text: the bytes of our ClientHello
// already went to it, so talk to it on a fresh connection, installed under the same descriptor.
void fall_back_to_clear(Endpoint& ep) {
    int nfd = ::socket(socket_int_option(ep.fd, SO_DOMAIN), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (nfd < 0) {
        int e = errno;
        fail(SSX_E_IO, e, std::string("clear-text fallback: socket() failed: ") + std::strerror(e));
    }
    auto close_new = [&] { ::close(nfd); };
    try {
        copy_socket_setup(ep.fd, nfd);
    } catch (...) {
        close_new();
        throw;
    }
    // A copy, taken under the lock: another thread completing the handshake frees ep.remote.
    sockaddr_storage remote{};
    socklen_t remote_len = 0;
    {
        std::lock_guard lock(ep.mu);
        if (ep.remote) {
            remote = *ep.remote;
            remote_len = ep.remote_len;
        }
    }
    if (remote_len == 0) {
        close_new();
        fail(SSX_E_INTERNAL, "clear-text fallback: the server's address was not kept");
    }
    if (::connect(nfd, reinterpret_cast<const sockaddr*>(&remote), remote_len) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close_new();
        fail(SSX_E_CONNECT, e, std::string("clear-text fallback: connect failed: ") + std::strerror(e));
    }
    auto deadline = std::max(ep.deadline, Clock::now() + std::chrono::seconds(1));
    if (!io::wait_ready(nfd, false, deadline)) {
        close_new();
        fail(SSX_E_TIMEOUT, "clear-text fallback: connect timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(nfd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        close_new();
        fail(SSX_E_CONNECT, err, std::string("clear-text fallback: connect failed: ") + std::strerror(err));
    }
    if (!io::is_nonblocking(ep.fd)) ::fcntl(nfd, F_SETFL, ::fcntl(nfd, F_GETFL) & ~O_NONBLOCK);
    int fd_flags = ::fcntl(ep.fd, F_GETFD);
    if (::dup3(nfd, ep.fd, (fd_flags >= 0 && (fd_flags & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0) {
        int e = errno;
        close_new();
        fail(SSX_E_IO, e, std::string("clear-text fallback: dup3 failed: ") + std::strerror(e));
    }
    close_new();
    EndpointTable::instance().refresh_identity(ep);
    {
        std::lock_guard lock(ep.tls_mu);
        if (ep.closed) fail(SSX_E_NOT_CONNECTED, "the connection was closed during its handshake");
        ep.tls.reset();
    }
    std::lock_guard lock(ep.mu);
    ep.state = EndpointState::clear;
}

void run_handshake(Endpoint& ep, bool may_block) {
    try {
        drive(ep, may_block);
    } catch (const Error& e) {
        if (e.code() == SSX_E_WANT_READ || e.code() == SSX_E_WANT_WRITE) throw;
        if (fallback_allowed(ep, e)) {
            fall_back_to_clear(ep);
            return;
        }
        std::lock_guard lock(ep.mu);
        ep.state = EndpointState::failed;
        ep.failure = e.message();
        ep.failure_code = e.code();
        throw;
    }
}

// The target name for a destination: exact address and port, then address, then any peer.
std::optional<tls::TargetName> target_for(Endpoint& ep, const sockaddr* addr, socklen_t len) {
    std::lock_guard lock(ep.mu);
    std::string key = address_key(addr, len);
    for (const std::string& k : {key, key.substr(0, key.find('|')), std::string("*")}) {
        if (auto it = ep.targets.find(k); it != ep.targets.end()) return it->second;
    }
    return std::nullopt;
}

}  // namespace

void continue_handshake(Endpoint& ep, bool may_block) {
    EndpointState state;
    {
        std::lock_guard lock(ep.mu);
        state = ep.state;
    }
    if (state == EndpointState::connecting) {
        if (!may_block && !io::ready_now(ep.fd, false)) {
            if (Clock::now() >= ep.deadline) {
                fail(SSX_E_TIMEOUT, "TCP connect did not complete within the handshake deadline (" +
                                        std::to_string(ep.config->handshake_timeout_ms) + " ms)");
            }
            want(tls::Step::want_write, "TCP connect");
        }
        if (may_block && !io::wait_ready(ep.fd, false, ep.deadline)) {
            fail(SSX_E_TIMEOUT, "TCP connect did not complete within the handshake deadline");
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(ep.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            std::lock_guard lock(ep.mu);
            ep.state = EndpointState::failed;
            ep.failure = std::string("TCP connect to ") +
                         (ep.remote ? address_text(reinterpret_cast<const sockaddr*>(ep.remote.get()), ep.remote_len)
                                    : std::string("the server")) +
                         " failed: " + std::strerror(err);
            ep.failure_code = SSX_E_CONNECT;
            fail(SSX_E_CONNECT, err, ep.failure);
        }
        std::lock_guard lock(ep.mu);
        ep.state = EndpointState::handshaking;
    }
    run_handshake(ep, may_block);
}

EndpointState established_state(Endpoint& ep, bool dontwait) {
    EndpointState state;
    std::string failure;
    int failure_code = 0;
    {
        std::lock_guard lock(ep.mu);
        state = ep.state;
        if (state == EndpointState::failed) failure = ep.failure, failure_code = ep.failure_code;
    }
    switch (state) {
        case EndpointState::secured:
        case EndpointState::clear:
            return state;
        case EndpointState::configured:
            fail(SSX_E_NOT_CONNECTED, "socket " + std::to_string(ep.fd) + " is not connected; call ssx_connect() first");
        case EndpointState::failed:
            fail(failure_code, ep.inherited ? failure : "the connection failed earlier (" + failure + "); close it");
        case EndpointState::connecting:
        case EndpointState::handshaking:
            break;
    }
    continue_handshake(ep, !dontwait && !io::is_nonblocking(ep.fd));
    std::lock_guard lock(ep.mu);
    return ep.state;
}

void connect(int fd, const sockaddr* addr, socklen_t addr_len) {
    auto ep = EndpointTable::instance().find(fd);  // an endpoint implies the socket checks passed
    if (!ep) {
        check_stream_socket(fd);
        fail(SSX_E_NO_SECURITY, "ssx_connect: call ssx_set_socket_security() on socket " + std::to_string(fd) +
                                    " first (use connect() for a plain connection)");
    }
    check_destination(addr, addr_len);
    {
        std::lock_guard lock(ep->mu);
        switch (ep->state) {
            case EndpointState::configured: break;
            case EndpointState::connecting:
            case EndpointState::handshaking: goto resume;
            case EndpointState::secured:
            case EndpointState::clear:
                fail(SSX_E_ALREADY_CONNECTED, "socket " + std::to_string(fd) + " is already connected");
            case EndpointState::failed:
                fail(ep->failure_code, "the connection failed earlier (" + ep->failure + "); close it");
        }
    }
    if (is_listening(fd)) fail(SSX_E_LISTENING, "socket " + std::to_string(fd) + " is listening; ssx_connect needs a client socket");
    if (is_connected(fd)) {
        fail(SSX_E_ALREADY_CONNECTED, "socket " + std::to_string(fd) +
                                          " was connected without ssx_connect; its traffic cannot be secured now");
    }
    {
        const std::string where = address_text(addr, addr_len);
        std::optional<tls::TargetName> target = target_for(*ep, addr, addr_len);
        const policy::Policy& pol = *ep->config->policy;
        if (!target && pol.peer_name_verification == policy::PeerNameVerification::required) {
            fail(SSX_E_NO_TARGET_NAME,
                 "no peer target name is set for " + where +
                     "; call ssx_set_peer_target_name(fd, NULL, 0, \"<name the server must prove>\") before "
                     "connecting (or set [peer_name] verification = \"optional\" in the policy)");
        }
        const bool nonblocking = io::is_nonblocking(fd);
        tls::ConnectionSetup setup;
        setup.context = tls::Context::get(ep->config->context_options(tls::Role::client));
        if (target && pol.session_resumption) setup.session_key = target->original + "|" + where;
        setup.target = std::move(target);
        setup.confirm_acceptance = !nonblocking;
        {
            std::lock_guard lock(ep->tls_mu);
            ep->tls = std::make_unique<tls::Connection>(fd, std::move(setup));
        }
        {
            auto remote = std::make_unique<sockaddr_storage>();
            std::memcpy(remote.get(), addr, std::min<size_t>(addr_len, sizeof *remote));
            std::lock_guard lock(ep->mu);
            ep->remote = std::move(remote);
            ep->remote_len = addr_len;
        }

        // EINTR on a blocking connect: the kernel goes on connecting, so it is treated like
        // EINPROGRESS and completed by continue_handshake().
        int r = ::connect(fd, addr, addr_len);
        if (r != 0 && errno != EINPROGRESS && errno != EINTR) {
            int e = errno;
            fail(SSX_E_CONNECT, e, "TCP connect to " + where + " failed: " + std::strerror(e));
        }
        std::lock_guard lock(ep->mu);
        ep->deadline = Clock::now() + timeout_of(*ep);
        ep->state = r == 0 ? EndpointState::handshaking : EndpointState::connecting;
        // The target is chosen (the connection holds its copy) and target names can only be
        // set or deleted on a configured socket: the table is never read again.
        ep->targets.clear();
        if (r != 0 && nonblocking) {
            fail(SSX_E_WANT_WRITE, EINPROGRESS,
                 "connecting to " + where + ": wait until the socket is writable and call ssx_handshake()");
        }
    }
resume:
    continue_handshake(*ep, !io::is_nonblocking(fd));
}

int accept(int listen_fd, sockaddr* addr, socklen_t* addr_len) {
    auto listener = EndpointTable::instance().find(listen_fd);
    if (!listener) {
        check_stream_socket(listen_fd);
        fail(SSX_E_NO_SECURITY, "ssx_accept: call ssx_set_socket_security() on listening socket " +
                                    std::to_string(listen_fd) + " before bind");
    }
    if (!is_listening(listen_fd)) {
        fail(SSX_E_INVALID_ARGUMENT, "ssx_accept: socket " + std::to_string(listen_fd) +
                                         " is not listening; call bind() and listen() first");
    }
    if (addr && !addr_len) fail(SSX_E_NULL_POINTER, "ssx_accept: addr is set but addr_len is NULL");
    const bool nonblocking = io::is_nonblocking(listen_fd);
    int cfd = ::accept4(listen_fd, addr, addr ? addr_len : nullptr, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
    if (cfd < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK) {
            fail(SSX_E_WANT_READ, e, "no pending connection: wait until the listening socket is readable");
        }
        fail(SSX_E_IO, e, std::string("accept failed: ") + std::strerror(e));
    }
    auto ep = std::make_shared<Endpoint>();
    ep->fd = cfd;
    try {
        ep->identity = socket_identity(cfd);
        ep->config = listener->config;
        ep->is_server = true;
        ep->state = EndpointState::handshaking;
        ep->deadline = Clock::now() + timeout_of(*ep);
        if (!ep->config->allow_insecure()) {
            tls::ConnectionSetup setup;
            setup.context = tls::Context::get(ep->config->context_options(tls::Role::server));
            ep->tls = std::make_unique<tls::Connection>(cfd, std::move(setup));
        }
        EndpointTable::instance().insert(ep);
        if (!nonblocking) run_handshake(*ep, true);
    } catch (...) {
        EndpointTable::instance().remove(cfd);
        ::close(cfd);
        throw;
    }
    return cfd;
}

void handshake(int fd) {
    auto ep = EndpointTable::instance().find(fd);
    if (!ep) {
        check_stream_socket(fd);
        fail(SSX_E_NO_SECURITY, "ssx_handshake: socket " + std::to_string(fd) + " is not secured by ssx");
    }
    established_state(*ep, false);
}

}  // namespace ssx::control
