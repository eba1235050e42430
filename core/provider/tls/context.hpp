// Context: one OpenSSL SSL_CTX per configuration and role, never per socket (building a context
// parses certificates and keys; sharing it keeps handshakes cheap). Contexts are cached by their
// options; a client context also keeps the in-process TLS 1.3 session cache used for resumption.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/openssl_ptr.hpp"
#include "provider/tls/credentials.hpp"

namespace ssx::tls {

enum class Role { client, server };

struct ContextOptions {
    Role role = Role::client;
    std::shared_ptr<const Credentials> credentials;
    int min_version = 0x0304;     // TLS1_3_VERSION or TLS1_2_VERSION
    std::string cipher_suites;    // TLS 1.3 list; "" = ssx default
    std::string alpn;             // comma-separated; "" = none
    bool resumption = true;
    std::string key() const;
};

class Context {
public:
    // The cached context for these options (built on first use). Throws ssx::Error
    // (SSX_E_CREDENTIALS, SSX_E_POLICY for an unusable cipher list).
    static std::shared_ptr<Context> get(const ContextOptions& options);

    SSL_CTX* ctx() const { return ctx_.get(); }
    const ContextOptions& options() const { return options_; }
    const std::string& alpn_wire() const { return alpn_wire_; }  // RFC 7301 wire format

    // Client session cache for resumption, keyed by target name and peer address.
    ossl::SslSession find_session(const std::string& key);
    void store_session(const std::string& key, SSL_SESSION* session);  // takes ownership
    void forget_session(const std::string& key);

    explicit Context(const ContextOptions& options);  // use get()

private:
    ContextOptions options_;
    ossl::SslCtx ctx_;
    std::string alpn_wire_;
    std::mutex sessions_mu_;
    std::map<std::string, ossl::SslSession> sessions_;
};

// The SSL ex_data index under which the Connection of an SSL object is stored.
int connection_ex_index();

}  // namespace ssx::tls
