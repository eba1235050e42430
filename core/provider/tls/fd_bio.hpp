// A BIO over a socket descriptor that never blocks and never raises SIGPIPE: every recv/send uses
// MSG_DONTWAIT | MSG_NOSIGNAL, so the descriptor's own O_NONBLOCK flag (the application's choice)
// is left alone and all waiting happens in ssx, outside any lock. It also remembers the first bytes
// the peer sent, which is how ssx tells "the peer does not speak TLS" from a TLS failure.
#pragma once

#include <cstddef>

#include <openssl/bio.h>

namespace ssx::tls {

struct FdBioState {
    int fd = -1;
    int last_errno = 0;        // errno of the last failed recv/send (0 if none)
    bool eof = false;          // the peer closed its sending side
    size_t bytes_in = 0;       // bytes received from the peer so far
    unsigned char first[3]{};  // the first bytes received
    size_t first_len = 0;
    bool hold = false;         // reads report "would block" without touching the socket
};

// A new BIO bound to state (borrowed: must outlive the BIO). NULL on allocation failure.
BIO* new_fd_bio(FdBioState* state);

}  // namespace ssx::tls
