// The process-wide table of endpoints. Sharded by descriptor so different sockets never contend on
// one lock. Every lookup checks the socket identity and drops stale entries.
#pragma once

#include <memory>

#include "endpoint/endpoint.hpp"

namespace ssx {

// The identity of the socket open on fd. Throws SSX_E_BAD_DESCRIPTOR / SSX_E_NOT_SOCKET.
SocketIdentity socket_identity(int fd);

class EndpointTable {
public:
    static EndpointTable& instance();

    // The endpoint of fd if ssx secures the socket open there now; nullptr otherwise (a stale entry
    // from a closed-and-reused descriptor is removed). Throws for a descriptor that is not a socket.
    std::shared_ptr<Endpoint> find(int fd);
    // Registers an endpoint (replacing any stale one).
    void insert(const std::shared_ptr<Endpoint>& endpoint);
    // Removes fd's entry, returning it (nullptr if none).
    std::shared_ptr<Endpoint> remove(int fd);
    // Re-keys an endpoint after ssx replaced the socket under its descriptor (insecure fallback).
    void refresh_identity(Endpoint& endpoint);
};

}  // namespace ssx
