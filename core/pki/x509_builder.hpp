// The OpenSSL work of the development PKI: keys, certificates and their extensions, PEM text.
// Internal to core/pki; failures throw ssx::Error (SSX_E_INTERNAL with OpenSSL's error queue for
// library failures, SSX_E_INVALID_ARGUMENT for bad input).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/openssl_ptr.hpp"

namespace ssx::pki::detail {

// A std::string for private key PEM that is wiped (OPENSSL_cleanse) when destroyed.
class SecretText {
public:
    SecretText() = default;
    explicit SecretText(std::string text) : text_(std::move(text)) {}
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    ~SecretText();
    const std::string& str() const noexcept { return text_; }

private:
    std::string text_;
};

// A fresh ECDSA P-256 key.
ossl::PKey generate_p256_key();

struct SubjectAltNames {
    std::vector<std::string> dns, ip, uri, email;  // already checked by validation.hpp
};

struct CertSpec {
    std::string common_name;
    bool is_ca = false;
    int path_len = -1;  // basicConstraints pathlen for a CA; -1 = none
    // keyUsage (always critical); at least one must be true.
    bool digital_signature = true;
    bool key_cert_sign = false;
    bool crl_sign = false;
    bool server_auth = false;  // extendedKeyUsage; none at all if both false
    bool client_auth = false;
    SubjectAltNames sans;
    std::chrono::seconds not_before{-300};  // relative to now
    std::chrono::seconds not_after{0};
};

// Builds and signs a certificate for `key`. With `issuer` == nullptr it is self-signed by `key`;
// otherwise signed by `issuer_key` and carries an authorityKeyIdentifier of `issuer`.
ossl::X509Ptr make_certificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                               EVP_PKEY* issuer_key);

// PEM text: certificate; private key as unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
std::string certificate_pem(X509* cert);
SecretText private_key_pem(EVP_PKEY* key);

// Parse the first certificate / an unencrypted private key from PEM text; `origin` names the
// source in messages. Throw SSX_E_INVALID_ARGUMENT if the text holds none.
ossl::X509Ptr parse_certificate(std::string_view pem, const std::string& origin);
ossl::PKey parse_private_key(std::string_view pem, const std::string& origin);

}  // namespace ssx::pki::detail
