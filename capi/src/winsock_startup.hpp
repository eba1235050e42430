// WSAStartup/WSACleanup's process-wide reference count.
#pragma once

namespace ssx::winsock {

// Throws WsaError(WSANOTINITIALISED) unless WSAStartup succeeded more often than WSACleanup ran.
void require_started();

}  // namespace ssx::winsock
