// Checks on the socket behind a descriptor and on caller-supplied addresses, shared by the
// operations so each rule is written once.
#pragma once

#include <sys/socket.h>

#include <string>

namespace ssx::control {

// fd is an open AF_INET/AF_INET6 SOCK_STREAM socket. Throws SSX_E_BAD_DESCRIPTOR,
// SSX_E_NOT_SOCKET, SSX_E_UNSUPPORTED_SOCKET (with what it is), SSX_E_NOT_SUPPORTED (datagram).
void check_stream_socket(int fd);

bool is_connected(int fd);  // getpeername succeeds
// An int-valued SOL_SOCKET option (SO_DOMAIN, SO_TYPE, ...), or -1 if it cannot be read.
int socket_int_option(int fd, int option);

bool is_listening(int fd);  // SO_ACCEPTCONN
bool is_bound(int fd);      // has a local port

// Validates an optional peer address (NULL/0 = any peer) and returns its key in the target table:
// "*" for any peer (NULL, AF_UNSPEC, or an all-zero address and port), "ip" when the port is 0,
// "ip|port" otherwise. Throws SSX_E_NULL_POINTER, SSX_E_BUFFER_TOO_SMALL, SSX_E_ADDRESS_FAMILY.
std::string address_key(const sockaddr* addr, socklen_t len);

// "192.0.2.7:443" / "[2001:db8::1]:443" for messages and session keys.
std::string address_text(const sockaddr* addr, socklen_t len);

// Validates a destination address for connect (must be AF_INET/AF_INET6 of adequate length).
void check_destination(const sockaddr* addr, socklen_t len);

}  // namespace ssx::control
