// Waiting the way Python sockets wait (socket.settimeout): a timeout of None waits as long as
// needed, 0 never waits (the WantRead/WantWrite exception goes to the caller, for selectors and
// asyncio), and a positive timeout bounds the whole operation. The waiting happens here, in poll()
// with the GIL released, so other Python threads run meanwhile; an interrupted wait runs the
// signal handlers (Ctrl-C) and, if they do not raise, waits again (PEP 475). This is how CPython's
// ssl module drives non-blocking TLS, and it is needed because a socket with a timeout is
// O_NONBLOCK at the descriptor level, where the C ABI answers SSX_E_WANT_READ/WRITE.
#pragma once

#include <chrono>
#include <optional>

#include "errors.hpp"
#include "gil.hpp"

namespace ssxpy {

class Waiter {
public:
    // timeout: seconds (None = no limit). `operation` names the call in timeout messages.
    Waiter(std::optional<double> timeout, const char* operation);

    bool never_waits() const { return timeout_ && *timeout_ == 0.0; }

    // Called with the GIL after an attempt on `fd` failed with `f`. Returns true when the attempt
    // should be repeated: the failure asked to wait for readiness and the socket became ready, or
    // a system call was interrupted and no signal handler raised. Returns false when `f` is the
    // answer (the caller raises it). Raises the timeout error when the deadline passes, and any
    // exception a signal handler raised.
    bool should_retry(int fd, const Failure& f);

    // Waits for `fd` to become readable/writable within the deadline; false when it passed.
    bool wait(int fd, bool readable);

    [[noreturn]] void raise_timeout() const;

private:
    std::optional<double> timeout_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    const char* operation_;
};

// Runs attempt() (a C ABI call returning >= 0 on success, -1 on failure) without the GIL until it
// succeeds, as `waiter` allows; raises the final failure.
template <class Attempt>
long run(int fd, Waiter& waiter, Attempt&& attempt) {
    for (;;) {
        Failure f;
        long r = without_gil([&] {
            long n = static_cast<long>(attempt());
            if (n < 0) f = capture_failure();
            return n;
        });
        if (r >= 0) return r;
        if (!waiter.should_retry(fd, f)) raise_failure(f);
    }
}

}  // namespace ssxpy
