// The six secure socket functions with their Windows signatures: typed wrappers over the same
// dispatch as WSAIoctl (winsock_ioctl.cpp), exactly as on Windows. Overlapped and
// CompletionRoutine are ignored: Linux has no overlapped sockets, and Windows ignores them for
// non-overlapped ones; every call completes before it returns.
#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_ioctl.hpp"
#include "capi/src/winsock_startup.hpp"
#include "ssx/winsock.h"

namespace {

using ssx::winsock::Buffers;
using ssx::winsock::Operation;

INT run(Operation op, SOCKET s, const Buffers& buffers, bool needs_startup = true) {
    return ssx::winsock::wsa_guarded(SOCKET_ERROR, [&] {
        if (needs_startup) ssx::winsock::require_started();
        ssx::winsock::dispatch(op, s, buffers);
        return 0;
    });
}

}  // namespace

extern "C" {

SSX_API INT WSASetSocketSecurity(SOCKET Socket, const SOCKET_SECURITY_SETTINGS* SecuritySettings,
                                 ULONG SecuritySettingsLen, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    return run(Operation::set_security, Socket, Buffers{SecuritySettings, SecuritySettingsLen});
}

SSX_API INT WSASetSocketPeerTargetName(SOCKET Socket, const SOCKET_PEER_TARGET_NAME* PeerTargetName,
                                       ULONG PeerTargetNameLen, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    return run(Operation::set_peer_target_name, Socket, Buffers{PeerTargetName, PeerTargetNameLen});
}

SSX_API INT WSADeleteSocketPeerTargetName(SOCKET Socket, const struct sockaddr* PeerAddr, ULONG PeerAddrLen,
                                          LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    return run(Operation::delete_peer_target_name, Socket, Buffers{PeerAddr, PeerAddrLen});
}

SSX_API INT WSAQuerySocketSecurity(SOCKET Socket, const SOCKET_SECURITY_QUERY_TEMPLATE* SecurityQueryTemplate,
                                   ULONG SecurityQueryTemplateLen, SOCKET_SECURITY_QUERY_INFO* SecurityQueryInfo,
                                   ULONG* SecurityQueryInfoLen, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    // SIO_QUERY_SECURITY: in = template, out = info of *SecurityQueryInfoLen bytes, and the length
    // argument doubles as lpcbBytesReturned (the dispatch writes the required size on failure).
    Buffers b{SecurityQueryTemplate, SecurityQueryTemplateLen, SecurityQueryInfo,
              SecurityQueryInfoLen ? *SecurityQueryInfoLen : 0u, SecurityQueryInfoLen};
    return run(Operation::query_security, Socket, b);
}

SSX_API INT WSAImpersonateSocketPeer(SOCKET Socket, const struct sockaddr* PeerAddr, ULONG PeerAddrLen) {
    return run(Operation::impersonate, Socket, Buffers{PeerAddr, PeerAddrLen});
}

SSX_API INT WSARevertImpersonation(void) {
    // No WSAStartup check: a thread must always be able to stop acting as someone else, even after
    // another thread's WSACleanup.
    return run(Operation::revert, -1, Buffers{}, false);
}

}  // extern "C"
