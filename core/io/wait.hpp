// Waiting for socket readiness with a deadline — always outside every ssx lock.
#pragma once

#include <chrono>
#include <optional>

namespace ssx::io {

using Clock = std::chrono::steady_clock;

// Waits until fd is readable (want_read) or writable. Returns false when the deadline passes
// (nullopt = no deadline). EINTR is retried with the remaining time. Throws SSX_E_IO on poll errors.
bool wait_ready(int fd, bool want_read, std::optional<Clock::time_point> deadline);

// Polls once without waiting: is the socket readable (or writable) right now? (wait_ready with a
// deadline of now returns false without looking.)
bool ready_now(int fd, bool want_read);

// True if the file description has O_NONBLOCK.
bool is_nonblocking(int fd);

// The deadline implied by SO_RCVTIMEO (read) or SO_SNDTIMEO (write); nullopt if unset.
std::optional<Clock::time_point> socket_timeout_deadline(int fd, bool read);

}  // namespace ssx::io
