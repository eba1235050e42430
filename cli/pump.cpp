#include "pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ssx/ssx.h"

namespace ssx::cli {

namespace {

constexpr size_t kChunk = 16384;  // one TLS record

PumpResult ssx_failure(const char* what) {
    return {false, ssx_last_error(), std::string(what) + ": " + ssx_last_error_message()};
}

PumpResult sys_failure(const char* what) {
    return {false, 0, std::string(what) + ": " + std::strerror(errno)};
}

}  // namespace

CancelSignal::CancelSignal() {
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error(std::strerror(errno));
}

CancelSignal::~CancelSignal() {
    ::close(fds_[0]);
    ::close(fds_[1]);
}

void CancelSignal::fire() {
    const char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(fds_[1], &byte, 1);  // full pipe: already fired
}

bool write_all(int fd, const void* data, size_t len) {
    const auto* p = static_cast<const char*>(data);
    while (len > 0) {
        ssize_t n = ::write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
    return true;
}

PumpResult plain_to_secure(int in_fd, int ssx_fd, int cancel_fd) {
    char buf[kChunk];
    for (;;) {
        pollfd fds[2] = {{in_fd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
        int rc = ::poll(fds, cancel_fd >= 0 ? 2 : 1, -1);
        if (rc < 0) {
            if (errno == EINTR) continue;
            return sys_failure("waiting for input");
        }
        if (cancel_fd >= 0 && (fds[1].revents & POLLIN)) return {};
        ssize_t n = ::read(in_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return sys_failure("reading input");
        }
        if (n == 0) {
            // A peer that has already closed the whole connection needs no end-of-input signal.
            if (ssx_shutdown(ssx_fd, SHUT_WR) != 0 && ssx_last_error() != SSX_E_NOT_CONNECTED &&
                ssx_last_error() != SSX_E_PEER_CLOSED) {
                return ssx_failure("closing the sending side");
            }
            return {};
        }
        if (ssx_send(ssx_fd, buf, static_cast<size_t>(n), 0) != n) return ssx_failure("sending");
    }
}

PumpResult secure_to_plain(int ssx_fd, int out_fd) {
    char buf[kChunk];
    for (;;) {
        ssize_t n = ssx_recv(ssx_fd, buf, sizeof buf, 0);
        if (n == 0) return {};
        if (n < 0) return ssx_failure("receiving");
        if (!write_all(out_fd, buf, static_cast<size_t>(n))) return sys_failure("writing output");
    }
}

}  // namespace ssx::cli
