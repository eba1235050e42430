// ssx_set_socket_security, ssx_set_peer_target_name, ssx_delete_peer_target_name.
#include <cstddef>

#include "common/error.hpp"
#include "control/control.hpp"
#include "control/socket_checks.hpp"
#include "endpoint/endpoint_table.hpp"

namespace ssx {

// GUARANTEE_ENCRYPTION means "no connection unless encrypted" (Windows: if encryption is not
// possible, nothing is sent and no connection is made), so it overrides ALLOW_INSECURE.
bool SocketConfig::allow_insecure() const {
    return (flags & SSX_SETTINGS_ALLOW_INSECURE) && !(flags & SSX_SETTINGS_GUARANTEE_ENCRYPTION);
}

tls::ContextOptions SocketConfig::context_options(tls::Role role) const {
    tls::ContextOptions o;
    o.role = role;
    o.credentials = credentials;
    o.min_version = policy->min_version;
    o.cipher_suites = policy->cipher_suites;
    o.alpn = alpn;
    o.resumption = policy->session_resumption;
    return o;
}

namespace control {

namespace {

// Reads a field only if the caller's struct is large enough to hold it (older callers pass a
// smaller size; the missing fields take their defaults).
template <class T>
T field_or(const ssx_security_settings* s, T ssx_security_settings::*member, size_t offset, T fallback) {
    return s->size >= offset + sizeof(T) ? s->*member : fallback;
}

std::string string_or(const char* p, const std::string& fallback) { return p ? std::string(p) : fallback; }

void check_protocol(int32_t protocol) {
    if (protocol == SSX_PROTOCOL_IPSEC || protocol == SSX_PROTOCOL_IPSEC2) {
        fail(SSX_E_NOT_SUPPORTED,
             "IPsec is not available on Linux; use SSX_PROTOCOL_DEFAULT (selects TLS) or SSX_PROTOCOL_TLS");
    }
    if (protocol != SSX_PROTOCOL_DEFAULT && protocol != SSX_PROTOCOL_TLS) {
        fail(SSX_E_INVALID_ARGUMENT, "unknown security protocol " + std::to_string(protocol) +
                                         "; use SSX_PROTOCOL_DEFAULT or SSX_PROTOCOL_TLS");
    }
}

}  // namespace

void set_socket_security(int fd, const ssx_security_settings* settings) {
    ssx_security_settings defaults = SSX_SECURITY_SETTINGS_INIT;
    const ssx_security_settings* s = settings ? settings : &defaults;
    constexpr size_t kMinSize = offsetof(ssx_security_settings, flags) + sizeof(uint32_t);
    if (s->size < kMinSize) {
        fail(SSX_E_INVALID_ARGUMENT, "settings.size is " + std::to_string(s->size) + "; set it to "
                                         "sizeof(ssx_security_settings) (use SSX_SECURITY_SETTINGS_INIT)");
    }
    check_stream_socket(fd);
    check_protocol(s->protocol);
    if (s->flags & ~(SSX_SETTINGS_GUARANTEE_ENCRYPTION | SSX_SETTINGS_ALLOW_INSECURE)) {
        fail(SSX_E_INVALID_ARGUMENT, "unknown settings flags 0x" + [&] {
            char b[16];
            std::snprintf(b, sizeof b, "%x", s->flags);
            return std::string(b);
        }() + "; valid flags are SSX_SETTINGS_GUARANTEE_ENCRYPTION and SSX_SETTINGS_ALLOW_INSECURE");
    }

    auto& table = EndpointTable::instance();
    if (table.find(fd)) {
        fail(SSX_E_ALREADY_SET, "security is already set on socket " + std::to_string(fd) +
                                    "; it can be set only once, before connect or bind");
    }
    if (is_connected(fd)) {
        fail(SSX_E_ALREADY_CONNECTED, "socket " + std::to_string(fd) +
                                          " is already connected; set security before connect");
    }
    if (is_listening(fd) || is_bound(fd)) {
        fail(SSX_E_ALREADY_BOUND, "socket " + std::to_string(fd) +
                                      " is already bound; set security on a listening socket before bind");
    }

    auto config = std::make_shared<SocketConfig>();
    config->policy = policy::current();
    const policy::Policy& pol = *config->policy;
    config->flags = s->flags;
    if (config->allow_insecure() && !pol.allow_insecure) {
        fail(SSX_E_POLICY_FORBIDS, "the policy " + pol.source.string() +
                                       " sets [tls] allow_insecure = false; SSX_SETTINGS_ALLOW_INSECURE "
                                       "is refused");
    }
    uint32_t timeout = field_or(s, &ssx_security_settings::handshake_timeout_ms,
                                offsetof(ssx_security_settings, handshake_timeout_ms), 0u);
    config->handshake_timeout_ms = timeout ? timeout : pol.handshake_timeout_ms;

    tls::CredentialPaths paths{pol.certificate, pol.private_key, pol.trust_anchors};
    paths.certificate = string_or(field_or(s, &ssx_security_settings::certificate_file,
                                           offsetof(ssx_security_settings, certificate_file),
                                           static_cast<const char*>(nullptr)),
                                  paths.certificate);
    paths.private_key = string_or(field_or(s, &ssx_security_settings::private_key_file,
                                           offsetof(ssx_security_settings, private_key_file),
                                           static_cast<const char*>(nullptr)),
                                  paths.private_key);
    paths.trust_anchors = string_or(field_or(s, &ssx_security_settings::trust_file,
                                             offsetof(ssx_security_settings, trust_file),
                                             static_cast<const char*>(nullptr)),
                                    paths.trust_anchors);
    config->alpn = string_or(field_or(s, &ssx_security_settings::alpn, offsetof(ssx_security_settings, alpn),
                                      static_cast<const char*>(nullptr)),
                             "");
    config->credentials = tls::Credentials::load(paths);
    // Build (and cache) both contexts now, so a bad cipher list or ALPN list is reported here.
    tls::Context::get(config->context_options(tls::Role::client));
    tls::Context::get(config->context_options(tls::Role::server));

    auto endpoint = std::make_shared<Endpoint>();
    endpoint->fd = fd;
    endpoint->identity = socket_identity(fd);
    endpoint->config = std::move(config);
    table.insert(endpoint);
}

namespace {

std::shared_ptr<Endpoint> unconnected_endpoint(int fd, const char* operation) {
    auto endpoint = EndpointTable::instance().find(fd);  // an endpoint implies the socket checks passed
    if (!endpoint) {
        check_stream_socket(fd);
        fail(SSX_E_NO_SECURITY, std::string(operation) + ": call ssx_set_socket_security() on socket " +
                                    std::to_string(fd) + " first");
    }
    if (is_listening(fd)) {
        fail(SSX_E_LISTENING, std::string(operation) + ": socket " + std::to_string(fd) +
                                  " is listening; target names apply to client sockets");
    }
    std::lock_guard lock(endpoint->mu);
    if (endpoint->state != EndpointState::configured || is_connected(fd)) {
        fail(SSX_E_ALREADY_CONNECTED, std::string(operation) + ": socket " + std::to_string(fd) +
                                          " is already connected; target names must be set before connect");
    }
    return endpoint;
}

}  // namespace

void set_peer_target_name(int fd, const sockaddr* peer, socklen_t peer_len, const char* name) {
    if (!name) fail(SSX_E_NULL_POINTER, "ssx_set_peer_target_name: name is NULL");
    const std::string key = address_key(peer, peer_len);
    tls::TargetName target = tls::parse_target_name(name);
    auto endpoint = unconnected_endpoint(fd, "ssx_set_peer_target_name");
    std::lock_guard lock(endpoint->mu);
    endpoint->targets[key] = std::move(target);
}

void delete_peer_target_name(int fd, const sockaddr* peer, socklen_t peer_len) {
    const std::string key = address_key(peer, peer_len);
    auto endpoint = unconnected_endpoint(fd, "ssx_delete_peer_target_name");
    std::lock_guard lock(endpoint->mu);
    if (endpoint->targets.erase(key) == 0) {
        fail(SSX_E_NOT_FOUND, "ssx_delete_peer_target_name: no target name is set for " +
                                  (key == "*" ? std::string("any peer") : "peer " + key));
    }
}

}  // namespace control
}  // namespace ssx
