// extern "C" shims of ssx.h: argument conversion only; the logic is in core/control.
#include <sys/types.h>

#include "capi/src/guard.hpp"
#include "control/control.hpp"
#include "ssx/ssx.h"

using ssx::capi::guarded;

namespace ssx::capi {
LastError& last_error() {
    thread_local LastError le;
    return le;
}
}  // namespace ssx::capi

extern "C" {

SSX_API const char* ssx_version(void) { return SSX_VERSION_STRING; }

SSX_API int ssx_last_error(void) { return ssx::capi::last_error().code; }

SSX_API const char* ssx_last_error_message(void) { return ssx::capi::last_error().message.c_str(); }

SSX_API const char* ssx_error_name(int code) { return ssx::error_name(code); }

SSX_API size_t ssx_security_settings_size(void) { return sizeof(ssx_security_settings); }
SSX_API size_t ssx_query_template_size(void) { return sizeof(ssx_query_template); }
SSX_API size_t ssx_query_info_size(void) { return sizeof(ssx_query_info); }

SSX_API int ssx_set_socket_security(int fd, const ssx_security_settings* settings) {
    return guarded(-1, [&] { ssx::control::set_socket_security(fd, settings); return 0; });
}

SSX_API int ssx_set_peer_target_name(int fd, const struct sockaddr* peer, socklen_t peer_len, const char* name) {
    return guarded(-1, [&] { ssx::control::set_peer_target_name(fd, peer, peer_len, name); return 0; });
}

SSX_API int ssx_delete_peer_target_name(int fd, const struct sockaddr* peer, socklen_t peer_len) {
    return guarded(-1, [&] { ssx::control::delete_peer_target_name(fd, peer, peer_len); return 0; });
}

SSX_API int ssx_connect(int fd, const struct sockaddr* addr, socklen_t addr_len) {
    return guarded(-1, [&] { ssx::control::connect(fd, addr, addr_len); return 0; });
}

SSX_API int ssx_accept(int listen_fd, struct sockaddr* addr, socklen_t* addr_len) {
    return guarded(-1, [&] { return ssx::control::accept(listen_fd, addr, addr_len); });
}

SSX_API int ssx_handshake(int fd) {
    return guarded(-1, [&] { ssx::control::handshake(fd); return 0; });
}

SSX_API ssize_t ssx_send(int fd, const void* buf, size_t len, int flags) {
    return guarded(static_cast<ssize_t>(-1),
                   [&] { return static_cast<ssize_t>(ssx::control::send(fd, buf, len, flags)); });
}

SSX_API ssize_t ssx_recv(int fd, void* buf, size_t len, int flags) {
    return guarded(static_cast<ssize_t>(-1),
                   [&] { return static_cast<ssize_t>(ssx::control::recv(fd, buf, len, flags)); });
}

SSX_API int ssx_shutdown(int fd, int how) {
    return guarded(-1, [&] { ssx::control::shutdown(fd, how); return 0; });
}

SSX_API int ssx_close(int fd) {
    return guarded(-1, [&] { ssx::control::close(fd); return 0; });
}

SSX_API int ssx_query_socket_security(int fd, const ssx_query_template* tmpl, ssx_query_info* info,
                                      size_t* info_len) {
    return guarded(-1, [&] { ssx::control::query(fd, tmpl, info, info_len); return 0; });
}

SSX_API int ssx_impersonate_socket_peer(int fd, const struct sockaddr* peer, socklen_t peer_len) {
    return guarded(-1, [&] { ssx::control::impersonate(fd, peer, peer_len); return 0; });
}

SSX_API int ssx_revert_impersonation(void) {
    return guarded(-1, [&] { ssx::control::revert_impersonation(); return 0; });
}

SSX_API int ssx_get_thread_token(ssx_token** out) {
    return guarded(-1, [&] {
        if (!out) ssx::fail(SSX_E_NULL_POINTER, "ssx_get_thread_token: out is NULL");
        *out = ssx::control::thread_token();
        return 0;
    });
}

}  // extern "C"
