#include "blocking.hpp"

#include <poll.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "ssx/ssx.h"

namespace py = pybind11;

namespace ssxpy {

namespace {

using Clock = std::chrono::steady_clock;

// Runs pending signal handlers; raises what they raise (KeyboardInterrupt, ...).
void check_signals() {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace

Waiter::Waiter(std::optional<double> timeout, const char* operation) : timeout_(timeout), operation_(operation) {
    if (timeout_) {
        if (std::isnan(*timeout_) || *timeout_ < 0) throw py::value_error("timeout must be None or a number >= 0");
        if (*timeout_ > 0) {
            // Beyond ~30 years the deadline would overflow; such a timeout means "no limit".
            if (*timeout_ < 1e9) {
                deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(*timeout_));
            }
        }
    }
}

void Waiter::raise_timeout() const {
    char text[160];
    std::snprintf(text, sizeof text, "%s timed out after %g s (the socket's timeout; see settimeout())",
                  operation_, timeout_ ? *timeout_ : 0.0);
    raise_failure(Failure{SSX_E_TIMEOUT, ETIMEDOUT, text});
}

bool Waiter::wait(int fd, bool readable) {
    for (;;) {
        int ms = -1;
        if (deadline_) {
            auto left = *deadline_ - Clock::now();
            if (left <= Clock::duration::zero()) return false;
            // Round up: a wait that ends a little early would spin on poll(…, 0).
            auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
            ms = left_ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(left_ms);
        }
        pollfd p{fd, static_cast<short>(readable ? POLLIN : POLLOUT), 0};
        int err = 0;
        int r = without_gil([&] {
            int n = ::poll(&p, 1, ms);
            err = errno;
            return n;
        });
        if (r > 0) return true;  // ready, or an error/hang-up that the next attempt reports
        if (r == 0) {
            if (!deadline_) continue;
            if (Clock::now() >= *deadline_) return false;
            continue;
        }
        if (err == EINTR) {
            check_signals();
            continue;
        }
        raise_failure(Failure{SSX_E_IO, err, std::string("waiting for the socket failed: ") + std::strerror(err)});
    }
}

bool Waiter::should_retry(int fd, const Failure& f) {
    if (f.code == SSX_E_WANT_READ || f.code == SSX_E_WANT_WRITE) {
        if (never_waits()) return false;
        if (!wait(fd, f.code == SSX_E_WANT_READ)) raise_timeout();
        return true;
    }
    if (f.sys_errno == EINTR && f.code == SSX_E_IO) {
        check_signals();
        if (deadline_ && Clock::now() >= *deadline_) raise_timeout();
        return true;
    }
    return false;
}

}  // namespace ssxpy
