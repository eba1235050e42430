#include "io/wait.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::io {

bool wait_ready(int fd, bool want_read, std::optional<Clock::time_point> deadline) {
    for (;;) {
        int timeout_ms = -1;
        if (deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
            if (left.count() <= 0) return false;
            timeout_ms = left.count() > 0x7fffffff ? 0x7fffffff : static_cast<int>(left.count());
        }
        pollfd p{fd, static_cast<short>(want_read ? POLLIN : POLLOUT), 0};
        int r = ::poll(&p, 1, timeout_ms);
        if (r > 0) return true;  // ready, or an error/hang-up the next call will report
        if (r == 0) return false;
        if (errno == EINTR) continue;
        int e = errno;
        fail(SSX_E_IO, e, std::string("waiting for the socket failed: ") + std::strerror(e));
    }
}

bool ready_now(int fd, bool want_read) {
    pollfd p{fd, static_cast<short>(want_read ? POLLIN : POLLOUT), 0};
    int r;
    do {
        r = ::poll(&p, 1, 0);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

bool is_nonblocking(int fd) {
    int fl = ::fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK) != 0;
}

std::optional<Clock::time_point> socket_timeout_deadline(int fd, bool read) {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(fd, SOL_SOCKET, read ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &len) != 0) return std::nullopt;
    if (tv.tv_sec == 0 && tv.tv_usec == 0) return std::nullopt;
    return Clock::now() + std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace ssx::io
