// ssx::pki: the development CA, leaf issuance and policy files (dev_pki.hpp). The OpenSSL work is
// in x509_builder, the file handling in secure_file, the input checks in validation.
#include "pki/dev_pki.hpp"

#include <unistd.h>

#include <system_error>

#include "common/error.hpp"
#include "pki/secure_file.hpp"
#include "pki/validation.hpp"
#include "pki/x509_builder.hpp"
#include "ssx/ssx.h"

namespace ssx::pki {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCaCert = "ca.pem";
constexpr const char* kCaKey = "ca.key";
constexpr unsigned kPublicMode = 0644;   // certificates and policies: public information
constexpr unsigned kPrivateMode = 0600;  // private keys
// Bounds that keep X509_gmtime_adj far from time_t/long overflow and catch unit mistakes.
constexpr std::chrono::seconds kMaxOffset = std::chrono::hours(24 * 366 * 100);
constexpr int kMaxCaDays = 36500;

// lstat semantics: a dangling symlink named ca.key still counts (O_EXCL would refuse it too).
bool present(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::exists(std::filesystem::symlink_status(p, ec));
}

// An empty path would silently mean the current folder; make the caller say so ("." works).
void check_dir(const std::filesystem::path& dir) {
    if (dir.empty())
        fail(SSX_E_INVALID_ARGUMENT,
             "the PKI folder path is empty; give a folder (\".\" for the current one)");
}

[[noreturn]] void fail_has_ca(const std::filesystem::path& dir) {
    fail(SSX_E_INVALID_ARGUMENT,
         dir.string() + " already holds a CA (ca.key); choose another folder or delete it");
}

struct LoadedCa {
    ossl::X509Ptr cert;
    ossl::PKey key;
};

LoadedCa load_ca(const std::filesystem::path& dir) {
    const auto key_path = dir / kCaKey;
    const auto cert_path = dir / kCaCert;
    if (!present(key_path) || !present(cert_path))
        fail(SSX_E_INVALID_ARGUMENT, dir.string() +
                                         " holds no CA (ca.pem and ca.key); create one "
                                         "first with ssx::pki::init_ca / `ssx pki init`");
    LoadedCa ca;
    ca.cert = detail::parse_certificate(detail::read_file(cert_path), cert_path.string());
    {
        detail::SecretText key_pem(detail::read_file(key_path));
        ca.key = detail::parse_private_key(key_pem.str(), key_path.string());
    }
    if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
        drain_openssl_errors();
        fail(SSX_E_INVALID_ARGUMENT,
             cert_path.string() + " and " + key_path.string() +
                 " do not belong together; recreate the CA in a new folder");
    }
    return ca;
}

detail::SubjectAltNames checked_sans(const LeafOptions& o) {
    detail::SubjectAltNames sans;
    for (const auto& d : o.dns) {
        detail::check_dns(d);
        sans.dns.push_back(d);
    }
    for (const auto& ip : o.ip)
        sans.ip.push_back(detail::parse_ip(ip));
    for (const auto& u : o.uri) {
        detail::check_uri(u);
        sans.uri.push_back(u);
    }
    for (const auto& e : o.email) {
        detail::check_email(e);
        sans.email.push_back(e);
    }
    return sans;
}

void check_validity(const LeafOptions& o) {
    if (o.not_before_offset < -kMaxOffset || o.not_before_offset > kMaxOffset ||
        o.not_after_offset < -kMaxOffset || o.not_after_offset > kMaxOffset)
        fail(SSX_E_INVALID_ARGUMENT,
             "certificate \"" + o.name + "\": validity offsets must be within 100 years of now");
    if (o.not_after_offset <= o.not_before_offset)
        fail(SSX_E_INVALID_ARGUMENT,
             "certificate \"" + o.name +
                 "\": not_after_offset must be later than not_before_offset");
}

}  // namespace

void init_ca(const std::filesystem::path& dir, const CaOptions& options) {
    check_dir(dir);
    detail::check_common_name(options.common_name);
    if (options.valid_days < 1 || options.valid_days > kMaxCaDays)
        fail(SSX_E_INVALID_ARGUMENT, "CA valid_days " + std::to_string(options.valid_days) +
                                         " is out of range; use 1 to " +
                                         std::to_string(kMaxCaDays));
    detail::ensure_private_dir(dir);
    const auto key_path = dir / kCaKey;
    // Early answer before the key generation; the O_EXCL create below is the real guard.
    if (present(key_path)) fail_has_ca(dir);

    detail::CertSpec spec;
    spec.common_name = options.common_name;
    spec.is_ca = true;
    spec.path_len = 0;  // this CA issues leaves only
    spec.digital_signature = false;
    spec.key_cert_sign = true;
    spec.crl_sign = true;
    spec.not_before = -5min;  // tolerate small clock differences between hosts
    spec.not_after = std::chrono::hours(24) * options.valid_days;

    ossl::PKey key = detail::generate_p256_key();
    ossl::X509Ptr cert = detail::make_certificate(spec, key.get(), nullptr, nullptr);
    const std::string cert_pem = detail::certificate_pem(cert.get());
    const detail::SecretText key_pem = detail::private_key_pem(key.get());

    if (!detail::create_exclusive(key_path, key_pem.str())) fail_has_ca(dir);
    try {
        detail::replace_atomically(dir / kCaCert, cert_pem, kPublicMode);
    } catch (...) {
        ::unlink(key_path.c_str());  // a key without its certificate would block a retry
        throw;
    }
}

void issue(const std::filesystem::path& dir, const LeafOptions& options) {
    // Every input is checked before anything is generated or written.
    check_dir(dir);
    detail::check_name(options.name);
    detail::SubjectAltNames sans = checked_sans(options);
    check_validity(options);
    LoadedCa ca = load_ca(dir);

    detail::CertSpec spec;
    spec.common_name = options.name;
    spec.is_ca = options.is_ca;
    spec.digital_signature = true;
    spec.key_cert_sign = options.is_ca;
    spec.server_auth = options.server;
    spec.client_auth = options.client;
    spec.sans = std::move(sans);
    spec.not_before = options.not_before_offset;
    spec.not_after = options.not_after_offset;

    ossl::PKey key = detail::generate_p256_key();
    ossl::X509Ptr cert = detail::make_certificate(spec, key.get(), ca.cert.get(), ca.key.get());
    // The chain a peer needs: the leaf, then the CA that issued it.
    const std::string chain_pem =
        detail::certificate_pem(cert.get()) + detail::certificate_pem(ca.cert.get());
    const detail::SecretText key_pem = detail::private_key_pem(key.get());

    // One writer at a time per folder, so racing issue() calls for one NAME leave a matching pair.
    detail::DirLock lock(dir);
    // Key first: a reader that sees the new certificate then finds its key (a crash in between
    // leaves a new key with the old certificate, which any credential load reports as a mismatch).
    detail::replace_atomically(dir / (options.name + ".key"), key_pem.str(), kPrivateMode);
    detail::replace_atomically(dir / (options.name + ".pem"), chain_pem, kPublicMode);
}

std::filesystem::path write_policy(const std::filesystem::path& dir, const std::string& name,
                                   const std::string& extra_toml) {
    check_dir(dir);
    detail::check_name(name);  // also makes the names below safe inside TOML quotes
    std::string text =
        "# Development policy written by ssx::pki::write_policy (`ssx pki`): not for production.\n"
        "# Relative paths are resolved against this file's folder.\n"
        "[tls]\n"
        "certificate = \"" +
        name +
        ".pem\"\n"
        "private_key = \"" +
        name +
        ".key\"\n"
        "trust_anchors = \"" +
        std::string(kCaCert) + "\"\n";
    if (!extra_toml.empty()) {
        text += extra_toml;  // verbatim: bare keys land in [tls], other tables follow it
        if (text.back() != '\n') text += '\n';
    }
    auto path = dir / (name + ".toml");
    detail::replace_atomically(path, text, kPublicMode);
    return path;
}

}  // namespace ssx::pki
