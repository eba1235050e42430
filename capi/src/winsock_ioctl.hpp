// The one dispatch of the Winsock secure socket operations. On Windows the typed functions
// (WSASetSocketSecurity, ...) are wrappers over WSAIoctl's SIO_* codes; here too both the typed
// functions and WSAIoctl land in dispatch(), which checks the Windows arguments and calls the
// core control layer, so both paths behave identically by construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "ssx/winsock.h"

namespace ssx::winsock {

enum class Operation {
    set_security,             // SIO_SET_SECURITY: in = SOCKET_SECURITY_SETTINGS (optional)
    set_peer_target_name,     // SIO_SET_PEER_TARGET_NAME: in = SOCKET_PEER_TARGET_NAME
    delete_peer_target_name,  // SIO_DELETE_PEER_TARGET_NAME: in = sockaddr
    query_security,           // SIO_QUERY_SECURITY: in = template (optional), out = info
    impersonate,              // no Windows ioctl: in = sockaddr (optional for stream sockets)
    revert,                   // no Windows ioctl, no socket
};

struct Buffers {
    const void* in = nullptr;
    size_t in_len = 0;
    void* out = nullptr;
    size_t out_len = 0;
    // Bytes written to out. Query: required (NULL gives WSAEFAULT); receives the required size
    // on every failure. Other operations: optional, receives 0.
    uint32_t* returned = nullptr;
};

// The operation of a WSAIoctl control code; nullopt for codes other than the four SIO_* above.
std::optional<Operation> operation_for_code(DWORD code);

// Runs one operation. Throws ssx::Error / WsaError; the exported functions report them.
void dispatch(Operation op, int fd, const Buffers& buffers);

}  // namespace ssx::winsock
