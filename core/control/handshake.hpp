// Driving a handshake to completion: shared by connect, accept, ssx_handshake and the data path
// (a non-blocking accepted socket completes its handshake on first use).
#pragma once

#include "endpoint/endpoint.hpp"

namespace ssx::control {

// Advances the endpoint's pending TCP connect / handshake. may_block: wait (up to the handshake
// deadline) instead of throwing SSX_E_WANT_READ/WRITE. On a security failure the endpoint becomes
// `failed` (or `clear` for an ALLOW_INSECURE client whose peer does not speak TLS) and the error is
// thrown.
void continue_handshake(Endpoint& endpoint, bool may_block);

// The endpoint's state once any pending handshake has been driven (blocking unless dontwait or the
// socket is non-blocking); throws SSX_E_NOT_CONNECTED for an unconnected socket and the recorded
// error for a failed one. Costs no system call when the connection is already established.
EndpointState established_state(Endpoint& endpoint, bool dontwait);

}  // namespace ssx::control
