// Moving bytes between a secured socket and plain descriptors (a terminal, a pipe to a child
// process). Blocking, one direction per call: full duplex is two threads, which the C ABI allows
// (one thread may send while another receives on the same socket).
#pragma once

#include <string>

namespace ssx::cli {

// A one-shot wake-up for a thread blocked in poll(): a pipe whose read end becomes readable.
class CancelSignal {
public:
    CancelSignal();
    ~CancelSignal();
    CancelSignal(const CancelSignal&) = delete;
    CancelSignal& operator=(const CancelSignal&) = delete;
    void fire();
    int fd() const { return fds_[0]; }

private:
    int fds_[2] = {-1, -1};
};

struct PumpResult {
    bool ok = true;          // false: stopped by an error (error says which)
    int ssx_code = 0;        // SSX_E_* of a failed ssx call, 0 otherwise
    std::string error;
};

// Reads in_fd until end of input (or until cancel_fd is readable, when cancel_fd >= 0) and sends
// everything to the secured socket. At end of input, shuts the socket's sending side
// (ssx_shutdown SHUT_WR: close_notify, then TCP FIN) so the peer sees the end after every byte.
PumpResult plain_to_secure(int in_fd, int ssx_fd, int cancel_fd);

// Receives from the secured socket until the peer's orderly end and writes everything to out_fd.
PumpResult secure_to_plain(int ssx_fd, int out_fd);

// write() until everything is written (EINTR and short writes handled). False on error (errno set).
bool write_all(int fd, const void* data, size_t len);

}  // namespace ssx::cli
