// Carrying an application's socket setup over to a replacement socket (the ALLOW_INSECURE client
// fallback reconnects on a fresh socket): the source address, the device and mark that pin its
// route, and the options that shape its behaviour. Anything that pins the route and cannot be
// copied is an error — clear text must never leave by another path than the application chose.
#pragma once

namespace ssx::control {

// Copies from `from` to the unconnected socket `to`: bind to the same local address (port 0),
// SO_BINDTODEVICE, SO_MARK, IPV6_V6ONLY, SO_RCVTIMEO, SO_SNDTIMEO, SO_LINGER, SO_KEEPALIVE and
// TCP_NODELAY. Throws SSX_E_IO naming the option that could not be carried over.
void copy_socket_setup(int from, int to);

}  // namespace ssx::control
