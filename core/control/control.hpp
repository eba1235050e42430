// The control dispatch: every operation of the C ABI (and, through it, of the Winsock-compatible
// API) lands here, with argument validation, the ordering rules of the Windows API
// (docs/c-api.md) and the security decisions. Functions throw ssx::Error; capi/ converts.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "ssx/ssx.h"

namespace ssx::control {

void set_socket_security(int fd, const ssx_security_settings* settings);
void set_peer_target_name(int fd, const sockaddr* peer, socklen_t peer_len, const char* name);
void delete_peer_target_name(int fd, const sockaddr* peer, socklen_t peer_len);
void connect(int fd, const sockaddr* addr, socklen_t addr_len);
int accept(int listen_fd, sockaddr* addr, socklen_t* addr_len);
void handshake(int fd);
size_t send(int fd, const void* buf, size_t len, int flags);
size_t recv(int fd, void* buf, size_t len, int flags);
void shutdown(int fd, int how);
void close(int fd);
void query(int fd, const ssx_query_template* tmpl, ssx_query_info* info, size_t* info_len);
void impersonate(int fd, const sockaddr* peer, socklen_t peer_len);
void revert_impersonation();
ssx_token* thread_token();

}  // namespace ssx::control
