// Credentials: our certificate chain, private key and the trust anchors used to verify peers,
// loaded and checked once, then shared (immutable) by every context built from them. Loading is
// cached by path and file identity (inode, size, mtime), so a rotated file is picked up by the next
// ssx_set_socket_security() and sockets already configured keep what they had.
#pragma once

#include <memory>
#include <string>

#include "common/openssl_ptr.hpp"

namespace ssx::tls {

struct CredentialPaths {
    std::string certificate;  // PEM chain, leaf first
    std::string private_key;  // PEM
    std::string trust_anchors;// PEM bundle
};

class Credentials {
public:
    // Loads and validates: the files are readable, the certificate parses, the key matches it, the
    // trust bundle holds at least one certificate. Throws ssx::Error(SSX_E_NO_CREDENTIALS) when a
    // path is empty (with a message saying how to configure it) and SSX_E_CREDENTIALS naming the file
    // and OpenSSL's reason otherwise. Cached.
    static std::shared_ptr<const Credentials> load(const CredentialPaths& paths);

    X509* leaf() const { return leaf_.get(); }
    STACK_OF(X509)* chain() const { return chain_.get(); }  // intermediates (may be empty)
    EVP_PKEY* key() const { return key_.get(); }
    X509_STORE* store() const { return store_.get(); }
    const CredentialPaths& paths() const { return paths_; }
    const std::string& cache_key() const { return cache_key_; }

    struct ChainFree { void operator()(STACK_OF(X509)* s) const noexcept; };

private:
    CredentialPaths paths_;
    std::string cache_key_;
    ossl::X509Ptr leaf_;
    std::unique_ptr<STACK_OF(X509), ChainFree> chain_;
    ossl::PKey key_;
    ossl::X509Store store_;
};

}  // namespace ssx::tls
