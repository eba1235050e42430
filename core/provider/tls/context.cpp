#include "provider/tls/context.hpp"

#include <cstring>

#include <openssl/err.h>

#include "common/error.hpp"
#include "provider/tls/connection.hpp"
#include "ssx/ssx.h"

namespace ssx::tls {

namespace {

constexpr const char* kDefaultSuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
// TLS 1.2 (only when the policy allows it): forward-secret AEAD suites only, so every suite encrypts
// (SSX_SETTINGS_GUARANTEE_ENCRYPTION always holds).
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr size_t kMaxSessions = 4096;

std::string alpn_to_wire(const std::string& list) {
    std::string wire;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string proto = list.substr(start, end - start);
        if (proto.empty() || proto.size() > 255) {
            fail(SSX_E_INVALID_ARGUMENT,
                 "ALPN list '" + list + "' has an empty or over-long (>255 bytes) protocol name");
        }
        wire.push_back(static_cast<char>(proto.size()));
        wire += proto;
        start = end + 1;
    }
    return wire;
}

int verify_callback(int preverify_ok, X509_STORE_CTX* store) {
    SSL* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* conn = ssl ? static_cast<Connection*>(SSL_get_ex_data(ssl, connection_ex_index())) : nullptr;
    if (!conn) return 0;  // fail closed: an SSL we did not set up
    return conn->on_verify(preverify_ok, store);
}

int new_session_callback(SSL* ssl, SSL_SESSION* session) {
    auto* conn = static_cast<Connection*>(SSL_get_ex_data(ssl, connection_ex_index()));
    if (!conn) return 0;
    return conn->on_new_session(session);
}

int alpn_select_callback(SSL*, const unsigned char** out, unsigned char* outlen,
                         const unsigned char* in, unsigned int inlen, void* arg) {
    auto* self = static_cast<Context*>(arg);
    const std::string& ours = self->alpn_wire();
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen,
                              reinterpret_cast<const unsigned char*>(ours.data()),
                              static_cast<unsigned int>(ours.size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;  // the client asked for protocols we do not serve
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

[[noreturn]] void context_failure(const std::string& what) {
    std::string ossl = drain_openssl_errors();
    fail(SSX_E_CREDENTIALS, what + (ossl.empty() ? "" : " (" + ossl + ")"));
}

}  // namespace

int connection_ex_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

std::string ContextOptions::key() const {
    return std::string(role == Role::client ? "c|" : "s|") + credentials->cache_key() + "|" +
           std::to_string(min_version) + "|" + cipher_suites + "|" + alpn + "|" +
           (resumption ? "r" : "n");
}

Context::Context(const ContextOptions& options) : options_(options) {
    ERR_clear_error();
    const bool server = options.role == Role::server;
    ctx_.reset(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
    if (!ctx_) fail(SSX_E_NO_MEMORY, "could not create a TLS context: " + drain_openssl_errors());
    SSL_CTX* ctx = ctx_.get();

    SSL_CTX_set_min_proto_version(ctx, options.min_version);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    const std::string suites = options.cipher_suites.empty() ? kDefaultSuites : options.cipher_suites;
    if (SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
        std::string ossl = drain_openssl_errors();
        fail(SSX_E_POLICY, "cipher_suites '" + suites + "' names no usable TLS 1.3 suite (" + ossl + ")");
    }
    SSL_CTX_set_cipher_list(ctx, kTls12Ciphers);
    SSL_CTX_set1_groups_list(ctx, kGroups);
    // Renegotiation is a TLS 1.2 attack surface we do not need; compression is off by default.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Buffers are released on idle connections (memory per idle connection, issue #4).
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read-ahead is switched on per connection once it is established (Connection), never here.

    // Our identity: the chain is built once here, without the root, so no handshake rebuilds or
    // re-verifies it (SSL_MODE_NO_AUTO_CHAIN).
    const Credentials& creds = *options.credentials;
    if (SSL_CTX_use_certificate(ctx, creds.leaf()) != 1) context_failure("certificate unusable");
    if (SSL_CTX_use_PrivateKey(ctx, creds.key()) != 1) context_failure("private key unusable");
    for (int i = 0; i < sk_X509_num(creds.chain()); ++i) {
        X509* c = sk_X509_value(creds.chain(), i);
        if (X509_check_issued(c, c) == X509_V_OK) continue;  // self-signed root: the peer has it
        if (SSL_CTX_add1_chain_cert(ctx, c) != 1) context_failure("chain certificate unusable");
    }
    SSL_CTX_set1_cert_store(ctx, creds.store());
    if (SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_NO_ROOT | SSL_BUILD_CHAIN_FLAG_UNTRUSTED) <= 0) {
        ERR_clear_error();  // keep the explicit chain from the file
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);

    // Peers are always verified; a server always requires a client certificate (mutual auth).
    int mode = SSL_VERIFY_PEER;
    if (server) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
    SSL_CTX_set_verify(ctx, mode, verify_callback);
    SSL_CTX_set_verify_depth(ctx, 8);

    if (!options.alpn.empty()) alpn_wire_ = alpn_to_wire(options.alpn);

    if (server) {
        static const unsigned char sid_ctx[] = "ssx";
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
        if (options.resumption) {
            // Stateful TLS 1.3 tickets: the ticket is only a key into this process's cache, so a
            // resumption reuses the in-memory session (and its peer certificate) instead of
            // decrypting and re-parsing it.
            SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
            SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
            SSL_CTX_sess_set_cache_size(ctx, 20000);
            SSL_CTX_set_timeout(ctx, 2 * 3600);
            SSL_CTX_set_num_tickets(ctx, 1);
        } else {
            SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
            SSL_CTX_set_num_tickets(ctx, 0);  // SSL_OP_NO_TICKET alone does not stop TLS 1.3 tickets
        }
        if (!alpn_wire_.empty()) SSL_CTX_set_alpn_select_cb(ctx, alpn_select_callback, this);
    } else {
        if (options.resumption) {
            SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
            SSL_CTX_sess_set_new_cb(ctx, new_session_callback);
        } else {
            SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        }
    }
}

std::shared_ptr<Context> Context::get(const ContextOptions& options) {
    static std::mutex mu;
    // Strong references: a context owns the session caches (the client's sessions, the server's
    // session cache), which must outlive the connections that filled them, or a client that closes
    // and reconnects never resumes. Bounded: unused contexts are dropped when the cache is full.
    static std::map<std::string, std::shared_ptr<Context>> cache;
    const std::string key = options.key();
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto ctx = std::make_shared<Context>(options);
    if (cache.size() >= 256) {
        for (auto it = cache.begin(); it != cache.end();) {
            it = it->second.use_count() == 1 ? cache.erase(it) : std::next(it);
        }
    }
    cache[key] = ctx;
    return ctx;
}

ossl::SslSession Context::find_session(const std::string& key) {
    std::lock_guard lock(sessions_mu_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return nullptr;
    SSL_SESSION* s = it->second.get();
    if (!SSL_SESSION_is_resumable(s)) {
        sessions_.erase(it);
        return nullptr;
    }
    SSL_SESSION_up_ref(s);
    return ossl::SslSession(s);
}

void Context::store_session(const std::string& key, SSL_SESSION* session) {
    std::lock_guard lock(sessions_mu_);
    if (sessions_.size() >= kMaxSessions && !sessions_.count(key)) sessions_.clear();
    sessions_[key].reset(session);
}

void Context::forget_session(const std::string& key) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(key);
}

}  // namespace ssx::tls
