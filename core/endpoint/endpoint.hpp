// Endpoint: ssx's state for one socket. Keyed by descriptor AND socket identity (device, inode), so
// a descriptor closed with plain close() and reused by a new socket never inherits stale security.
// Locking: `mu` guards the configuration and state fields (held briefly); `tls_mu` serialises calls
// into the TLS session and is never held while waiting for the socket, so one thread may send while
// another receives.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "identity/principal.hpp"
#include "policy/policy.hpp"
#include "provider/tls/connection.hpp"
#include "provider/tls/credentials.hpp"
#include "provider/tls/name_match.hpp"

namespace ssx {

// What ssx_set_socket_security() decided, immutable; accepted sockets share their listener's.
struct SocketConfig {
    std::shared_ptr<const policy::Policy> policy;
    uint32_t flags = 0;
    uint32_t handshake_timeout_ms = 10000;
    std::shared_ptr<const tls::Credentials> credentials;
    std::string alpn;
    bool allow_insecure() const;
    tls::ContextOptions context_options(tls::Role role) const;
};

enum class EndpointState {
    configured,   // security set; not connected yet
    connecting,   // non-blocking TCP connect in progress
    handshaking,  // TLS handshake in progress
    secured,      // TLS established and verified
    clear,        // clear text (ALLOW_INSECURE fallback)
    failed,       // a security failure: unusable, close it
};

struct SocketIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const SocketIdentity&) const = default;
};

struct Endpoint {
    int fd = -1;
    SocketIdentity identity;
    std::shared_ptr<const SocketConfig> config;
    // The process generation that created it: a forked child sees a newer generation and must never
    // touch the parent's TLS session (its keys and sequence numbers live on in the parent).
    uint64_t fork_generation = 0;

    std::mutex mu;
    EndpointState state = EndpointState::configured;
    bool is_server = false;                            // accepted socket
    std::map<std::string, tls::TargetName> targets;    // address key -> target name
    std::chrono::steady_clock::time_point deadline{};  // of the handshake in progress
    std::string failure;                               // message of the failure that broke it
    int failure_code = 0;
    std::shared_ptr<const identity::Principal> peer;   // set when secured
    std::string account_error;                         // why the identity map gave no account
    bool shut_write = false;
    bool inherited = false;                            // seen in a forked child: never use its TLS
    // Where a client connects (for the clear-text fallback and messages); dropped once secured,
    // so an established connection does not carry 128 bytes it will never read again.
    std::unique_ptr<sockaddr_storage> remote;
    socklen_t remote_len = 0;

    std::mutex tls_mu;
    std::unique_ptr<tls::Connection> tls;  // guarded by tls_mu
    bool closed = false;                   // guarded by tls_mu: ssx_close() has run
};

}  // namespace ssx
