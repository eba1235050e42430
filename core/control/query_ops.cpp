// ssx_query_socket_security, ssx_impersonate_socket_peer, ssx_revert_impersonation,
// ssx_get_thread_token.
#include <cstddef>
#include <cstring>

#include "common/error.hpp"
#include "control/control.hpp"
#include "control/socket_checks.hpp"
#include "endpoint/endpoint_table.hpp"
#include "identity/token.hpp"
#include "impersonation/impersonation.hpp"

namespace ssx::control {

namespace {

std::shared_ptr<Endpoint> secured_endpoint_or_fail(int fd, const char* operation) {
    // The lookup checks the descriptor's socket identity (one fstat); an endpoint exists only for
    // a socket that passed check_stream_socket() when it was secured, so the family/type checks
    // (two more system calls) are needed only to explain why there is no endpoint.
    auto ep = EndpointTable::instance().find(fd);
    if (!ep) {
        check_stream_socket(fd);
        fail(SSX_E_NO_SECURITY, std::string(operation) + ": socket " + std::to_string(fd) +
                                    " is not secured by ssx; call ssx_set_socket_security() before connecting");
    }
    return ep;
}

void copy_text(char* dst, size_t cap, const std::string& src) {
    size_t n = std::min(cap - 1, src.size());
    std::memcpy(dst, src.data(), n);
    dst[n] = '\0';
}

}  // namespace

void query(int fd, const ssx_query_template* tmpl, ssx_query_info* info, size_t* info_len) {
    if (!info_len) fail(SSX_E_NULL_POINTER, "ssx_query_socket_security: info_len is NULL");
    uint32_t mask = 0;
    if (tmpl) {
        constexpr size_t kMin = offsetof(ssx_query_template, peer_token_access_mask) + sizeof(uint32_t);
        if (tmpl->size < kMin) {
            fail(SSX_E_INVALID_ARGUMENT, "template size " + std::to_string(tmpl->size) +
                                             " is too small; set it to sizeof(ssx_query_template)");
        }
        if (tmpl->protocol == SSX_PROTOCOL_IPSEC || tmpl->protocol == SSX_PROTOCOL_IPSEC2) {
            fail(SSX_E_NOT_SUPPORTED, "IPsec is not available on Linux; query with SSX_PROTOCOL_DEFAULT");
        }
        if (tmpl->protocol != SSX_PROTOCOL_DEFAULT && tmpl->protocol != SSX_PROTOCOL_TLS) {
            fail(SSX_E_INVALID_ARGUMENT, "unknown protocol " + std::to_string(tmpl->protocol) + " in the template");
        }
        mask = tmpl->peer_token_access_mask;
    }
    auto ep = secured_endpoint_or_fail(fd, "ssx_query_socket_security");
    if (!info || *info_len < sizeof(ssx_query_info)) {
        const size_t given = *info_len;
        *info_len = sizeof(ssx_query_info);
        fail(SSX_E_BUFFER_TOO_SMALL, "ssx_query_socket_security needs a buffer of " +
                                         std::to_string(sizeof(ssx_query_info)) + " bytes (got " +
                                         (info ? std::to_string(given) : std::string("NULL")) +
                                         "); the required size was written to *info_len");
    }
    EndpointState state;
    std::shared_ptr<const identity::Principal> peer;
    std::string failure;
    {
        std::lock_guard lock(ep->mu);
        state = ep->state;
        peer = ep->peer;
        failure = ep->failure;
    }
    if (state == EndpointState::failed) {
        fail(SSX_E_NOT_CONNECTED, "ssx_query_socket_security: the connection failed (" + failure + ")");
    }
    if (state != EndpointState::secured && state != EndpointState::clear) {
        fail(SSX_E_NOT_CONNECTED, "ssx_query_socket_security: socket " + std::to_string(fd) +
                                      " is not connected yet; query after ssx_connect/ssx_accept");
    }
    ssx_query_info out{};
    out.size = sizeof out;
    if (state == EndpointState::secured) {
        std::lock_guard lock(ep->tls_mu);
        if (!ep->tls) fail(SSX_E_NOT_CONNECTED, "ssx_query_socket_security: the connection is closed");
        out.protocol = SSX_PROTOCOL_TLS;
        out.flags = SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED;
        out.tls_version = static_cast<uint32_t>(ep->tls->version());
        out.tls_flags = ep->tls->resumed() ? SSX_TLS_RESUMED : 0;
        out.verify_result = static_cast<int32_t>(ep->tls->verify_result());
        copy_text(out.cipher, sizeof out.cipher, ep->tls->cipher());
        copy_text(out.alpn, sizeof out.alpn, ep->tls->alpn());
        if (peer && impersonation::current() == peer) out.flags |= SSX_INFO_CONNECTION_IMPERSONATED;
    } else {
        out.protocol = SSX_PROTOCOL_DEFAULT;
        out.verify_result = -1;
    }
    if (mask != 0 && state == EndpointState::secured && peer) {
        out.peer_application_token = new ssx_token{peer, mask};
    }
    *info = out;
    *info_len = sizeof out;
}

void impersonate(int fd, const sockaddr*, socklen_t) {
    auto ep = secured_endpoint_or_fail(fd, "ssx_impersonate_socket_peer");
    EndpointState state;
    std::shared_ptr<const identity::Principal> peer;
    std::string account_error;
    {
        std::lock_guard lock(ep->mu);
        state = ep->state;
        peer = ep->peer;
        account_error = ep->account_error;
    }
    if (state == EndpointState::clear) {
        fail(SSX_E_NOT_SECURED, "ssx_impersonate_socket_peer: the connection is clear text (ALLOW_INSECURE "
                                "fallback); an unauthenticated peer cannot be impersonated");
    }
    if (state != EndpointState::secured || !peer) {
        fail(SSX_E_NOT_CONNECTED, "ssx_impersonate_socket_peer: socket " + std::to_string(fd) +
                                      " has no secured connection; impersonate after ssx_connect/ssx_accept");
    }
    const policy::Policy& pol = *ep->config->policy;
    impersonation::Options options{pol.os_credentials, pol.allow_root};
    if (options.os_credentials && !peer->account() && !account_error.empty()) {
        fail(SSX_E_IMPERSONATION_DENIED, "ssx_impersonate_socket_peer: " + account_error);
    }
    impersonation::impersonate(peer, options);
}

void revert_impersonation() { impersonation::revert(); }

ssx_token* thread_token() {
    auto principal = impersonation::current();
    if (!principal) return nullptr;
    return new ssx_token{std::move(principal), SSX_TOKEN_ALL_ACCESS};
}

}  // namespace ssx::control
