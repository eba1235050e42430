// ssx_send, ssx_recv, ssx_shutdown, ssx_close: the data path. Calls into the TLS session hold the
// endpoint's TLS lock; waiting for the socket never does, so a blocked reader never stalls a writer.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "control/control.hpp"
#include "control/handshake.hpp"
#include "endpoint/endpoint_table.hpp"
#include "io/wait.hpp"

namespace ssx::control {

namespace {

using io::Clock;

constexpr auto kCloseDrainBudget = std::chrono::milliseconds(250);
constexpr auto kMaxLinger = std::chrono::seconds(10);

// How long ssx_close may wait for the peer's end: 250 ms by default; an application that set
// SO_LINGER chose its own (l_linger seconds, at most 10 s; 0 = do not wait, an abortive close).
std::chrono::milliseconds close_linger(int fd) {
    linger lg{};
    socklen_t len = sizeof lg;
    if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) != 0 || !lg.l_onoff) return kCloseDrainBudget;
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(lg.l_linger), kMaxLinger);
}
constexpr auto kShutdownBudget = std::chrono::seconds(5);

std::shared_ptr<Endpoint> data_endpoint(int fd, const char* operation) {
    auto ep = EndpointTable::instance().find(fd);
    if (!ep) {
        fail(SSX_E_NO_SECURITY, std::string(operation) + ": socket " + std::to_string(fd) +
                                    " is not secured by ssx (use send/recv for plain sockets)");
    }
    return ep;
}

[[noreturn]] void would_block(tls::Step step, const char* operation) {
    bool read = step == tls::Step::want_read;
    fail(read ? SSX_E_WANT_READ : SSX_E_WANT_WRITE, EAGAIN,
         std::string(operation) + " would block: wait until the socket is " + (read ? "readable" : "writable"));
}

[[noreturn]] void clear_failure(const char* operation, bool read, int e) {
    if (e == EAGAIN || e == EWOULDBLOCK) {
        fail(read ? SSX_E_WANT_READ : SSX_E_WANT_WRITE, e,
             std::string(operation) + " would block");
    }
    if (e == EPIPE || e == ECONNRESET) fail(SSX_E_PEER_CLOSED, e, std::string(operation) + ": the peer closed the connection");
    fail(SSX_E_IO, e, std::string(operation) + ": " + std::strerror(e));
}

// once: return after the first data (MSG_PEEK); available: return after the first data plus
// whatever else is ready without waiting (receive); all: until len bytes (send).
enum class Mode { once, available, all };

template <class Attempt>
size_t transfer(Endpoint& ep, const char* operation, bool read, bool dontwait, Mode mode, size_t len, Attempt attempt) {
    size_t total = 0;
    // A receive returns as soon as it has data, like recv(2) — but with every byte that is ready
    // then: one TLS record per call would cost an endpoint lookup (and its fstat) per 16 KiB.
    bool fill = false;
    bool have_deadline = false;
    std::optional<Clock::time_point> deadline;
    for (;;) {
        size_t n = 0;
        tls::Step step;
        {
            std::lock_guard lock(ep.tls_mu);
            if (!ep.tls) fail(SSX_E_NOT_CONNECTED, std::string(operation) + ": the connection is closed");
            if (!fill) {
                step = attempt(total, &n);
            } else {
                try {
                    step = attempt(total, &n);
                } catch (const Error&) {
                    return total;  // deliver the data first; the next call reports the failure
                }
            }
        }
        if (step == tls::Step::done) {
            total += n;
            if (total >= len || n == 0 || mode == Mode::once) return total;
            if (mode == Mode::available) fill = true;
            continue;
        }
        if (fill) return total;  // a receive got data, and no more is ready now
        if (dontwait || io::is_nonblocking(ep.fd)) {
            if (total > 0) return total;
            would_block(step, operation);
        }
        if (!have_deadline) {
            deadline = io::socket_timeout_deadline(ep.fd, read);
            have_deadline = true;
        }
        if (!io::wait_ready(ep.fd, step == tls::Step::want_read, deadline)) {
            if (total > 0) return total;
            fail(SSX_E_TIMEOUT, EAGAIN, std::string(operation) + " timed out (" +
                                            (read ? "SO_RCVTIMEO" : "SO_SNDTIMEO") + ")");
        }
    }
}

}  // namespace

size_t send(int fd, const void* buf, size_t len, int flags) {
    if (!buf && len) fail(SSX_E_NULL_POINTER, "ssx_send: buf is NULL");
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) {
        fail(SSX_E_INVALID_ARGUMENT, "ssx_send: unsupported flags " + std::to_string(flags) +
                                         "; use 0, MSG_DONTWAIT or MSG_NOSIGNAL");
    }
    auto ep = data_endpoint(fd, "ssx_send");
    const bool dontwait = (flags & MSG_DONTWAIT) != 0;
    EndpointState state = established_state(*ep, dontwait);
    {
        std::lock_guard lock(ep->mu);
        if (ep->shut_write) fail(SSX_E_SHUT_DOWN, "ssx_send: the sending side was shut down");
    }
    if (len == 0) return 0;
    if (state == EndpointState::clear) {
        for (;;) {
            ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL | (flags & MSG_DONTWAIT));
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) clear_failure("ssx_send", false, errno);
        }
    }
    const auto* p = static_cast<const unsigned char*>(buf);
    return transfer(*ep, "ssx_send", false, dontwait, Mode::all, len, [&](size_t done, size_t* n) {
        return ep->tls->write(p + done, len - done, n);
    });
}

size_t recv(int fd, void* buf, size_t len, int flags) {
    if (!buf && len) fail(SSX_E_NULL_POINTER, "ssx_recv: buf is NULL");
    if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_PEEK)) {
        fail(SSX_E_INVALID_ARGUMENT, "ssx_recv: unsupported flags " + std::to_string(flags) +
                                         "; use 0, MSG_DONTWAIT, MSG_PEEK or MSG_NOSIGNAL");
    }
    auto ep = data_endpoint(fd, "ssx_recv");
    const bool dontwait = (flags & MSG_DONTWAIT) != 0;
    EndpointState state = established_state(*ep, dontwait);
    if (len == 0) return 0;
    if (state == EndpointState::clear) {
        for (;;) {
            ssize_t n = ::recv(fd, buf, len, flags & (MSG_DONTWAIT | MSG_PEEK));
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) clear_failure("ssx_recv", true, errno);
        }
    }
    const bool peek = (flags & MSG_PEEK) != 0;
    auto* p = static_cast<unsigned char*>(buf);
    if (peek) {
        return transfer(*ep, "ssx_recv", true, dontwait, Mode::once, len, [&](size_t, size_t* n) {
            return ep->tls->read(p, len, n, true);
        });
    }
    return transfer(*ep, "ssx_recv", true, dontwait, Mode::available, len, [&](size_t done, size_t* n) {
        return ep->tls->read(p + done, len - done, n, false);
    });
}

void shutdown(int fd, int how) {
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
        fail(SSX_E_INVALID_ARGUMENT, "ssx_shutdown: how must be SHUT_RD, SHUT_WR or SHUT_RDWR");
    }
    auto ep = data_endpoint(fd, "ssx_shutdown");
    EndpointState state;
    {
        std::lock_guard lock(ep->mu);
        state = ep->state;
    }
    if (state != EndpointState::secured && state != EndpointState::clear) {
        fail(SSX_E_NOT_CONNECTED, "ssx_shutdown: socket " + std::to_string(fd) + " is not connected");
    }
    if (how != SHUT_RD && state == EndpointState::secured) {
        const auto deadline = Clock::now() + kShutdownBudget;
        for (;;) {
            tls::Step step;
            {
                std::lock_guard lock(ep->tls_mu);
                if (!ep->tls) fail(SSX_E_NOT_CONNECTED, "ssx_shutdown: the connection is closed");
                step = ep->tls->shutdown_send();
            }
            if (step == tls::Step::done) break;
            if (!io::wait_ready(fd, step == tls::Step::want_read, deadline)) {
                fail(SSX_E_TIMEOUT, "ssx_shutdown: close_notify could not be sent within 5 s");
            }
        }
    }
    if (how != SHUT_RD) {
        std::lock_guard lock(ep->mu);
        ep->shut_write = true;
    }
    if (::shutdown(fd, how) != 0) {
        int e = errno;
        if (e == ENOTCONN) fail(SSX_E_NOT_CONNECTED, e, "ssx_shutdown: the socket is not connected");
        fail(SSX_E_IO, e, std::string("ssx_shutdown: ") + std::strerror(e));
    }
}

void close(int fd) {
    std::shared_ptr<Endpoint> ep = EndpointTable::instance().remove(fd);
    try {
        if (ep && !ep->inherited && ep->identity == socket_identity(fd)) {
            EndpointState state;
            {
                std::lock_guard lock(ep->mu);
                state = ep->state;
            }
            if (state == EndpointState::secured || state == EndpointState::clear) {
                const auto deadline = Clock::now() + close_linger(fd);
                if (state == EndpointState::secured) {
                    for (;;) {
                        tls::Step step;
                        {
                            std::lock_guard lock(ep->tls_mu);
                            if (!ep->tls) break;
                            step = ep->tls->shutdown_send();
                        }
                        if (step == tls::Step::done || !io::wait_ready(fd, false, deadline)) break;
                    }
                }
                // Closing with unread input, or input arriving after the close (such as the peer's
                // own close_notify), makes the kernel send a reset, and a reset can make the peer
                // drop data it has not read yet. So: shut our side, then drain until the peer's end
                // or the linger budget (250 ms, or the application's SO_LINGER).
                ::shutdown(fd, SHUT_WR);
                char scratch[16384];
                for (;;) {
                    ssize_t n = ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
                    if (n > 0) continue;
                    if (n == 0) break;
                    if (errno == EINTR) continue;
                    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !io::wait_ready(fd, true, deadline)) break;
                }
            }
        }
    } catch (const Error&) {
        // Best effort: the descriptor is closed below whatever happened.
    }
    if (ep) {
        std::lock_guard lock(ep->tls_mu);
        ep->closed = true;  // a handshake running on another thread stops at its next step
        if (!ep->inherited) ep->tls.reset();
    }
    if (::close(fd) != 0) {
        int e = errno;
        if (e == EBADF) fail(SSX_E_BAD_DESCRIPTOR, e, "ssx_close: descriptor " + std::to_string(fd) + " is not open");
        if (e != EINTR) fail(SSX_E_IO, e, std::string("ssx_close: ") + std::strerror(e));
    }
}

}  // namespace ssx::control
