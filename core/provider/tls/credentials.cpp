#include "provider/tls/credentials.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::tls {

void Credentials::ChainFree::operator()(STACK_OF(X509)* s) const noexcept {
    sk_X509_pop_free(s, X509_free);
}

namespace {

// "path#inode#size#mtime" — changes when the file is replaced or rewritten.
std::string file_identity(const std::string& what, const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) {
        int e = errno;
        fail(SSX_E_CREDENTIALS, e,
             what + " '" + path + "' cannot be read: " + std::strerror(e) +
                 "; check the path in the policy ([tls]) or the socket settings");
    }
    if (!S_ISREG(st.st_mode)) {
        fail(SSX_E_CREDENTIALS, what + " '" + path + "' is not a regular file");
    }
    return path + "#" + std::to_string(st.st_ino) + "#" + std::to_string(st.st_size) + "#" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

ossl::Bio open_file(const std::string& what, const std::string& path) {
    ossl::Bio bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) {
        int e = errno;
        drain_openssl_errors();
        fail(SSX_E_CREDENTIALS, e, what + " '" + path + "' cannot be opened: " + std::strerror(e));
    }
    return bio;
}

[[noreturn]] void bad_file(const std::string& what, const std::string& path, const std::string& why) {
    std::string ossl = drain_openssl_errors();
    fail(SSX_E_CREDENTIALS, what + " '" + path + "' " + why + (ossl.empty() ? "" : " (" + ossl + ")"));
}

}  // namespace

std::shared_ptr<const Credentials> Credentials::load(const CredentialPaths& paths) {
    if (paths.certificate.empty() || paths.private_key.empty() || paths.trust_anchors.empty()) {
        std::string missing;
        if (paths.certificate.empty()) missing += " certificate";
        if (paths.private_key.empty()) missing += " private_key";
        if (paths.trust_anchors.empty()) missing += " trust_anchors";
        fail(SSX_E_NO_CREDENTIALS,
             "no TLS credentials configured (missing:" + missing +
                 "); set SSX_POLICY to a policy file with [tls] certificate, private_key and "
                 "trust_anchors (create a development one with `ssx pki init DIR`), or pass "
                 "certificate_file, private_key_file and trust_file in ssx_security_settings");
    }
    const std::string key = file_identity("certificate", paths.certificate) + "|" +
                            file_identity("private key", paths.private_key) + "|" +
                            file_identity("trust anchors", paths.trust_anchors);

    static std::mutex mu;
    static std::map<std::string, std::weak_ptr<const Credentials>> cache;
    {
        std::lock_guard lock(mu);
        if (auto it = cache.find(key); it != cache.end()) {
            if (auto hit = it->second.lock()) return hit;
        }
    }

    auto creds = std::make_shared<Credentials>();
    creds->paths_ = paths;
    creds->cache_key_ = key;
    ERR_clear_error();

    // Certificate chain: leaf first, then intermediates.
    {
        ossl::Bio bio = open_file("certificate", paths.certificate);
        creds->leaf_.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
        if (!creds->leaf_) bad_file("certificate", paths.certificate, "holds no PEM certificate");
        creds->chain_.reset(sk_X509_new_null());
        if (!creds->chain_) fail(SSX_E_NO_MEMORY, "out of memory");
        while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            if (!sk_X509_push(creds->chain_.get(), extra)) {
                X509_free(extra);
                fail(SSX_E_NO_MEMORY, "out of memory");
            }
        }
        ERR_clear_error();  // the loop ends on "no start line": expected
    }
    {
        ossl::Bio bio = open_file("private key", paths.private_key);
        creds->key_.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
        if (!creds->key_) {
            bad_file("private key", paths.private_key,
                     "holds no usable unencrypted PEM private key");
        }
        if (X509_check_private_key(creds->leaf_.get(), creds->key_.get()) != 1) {
            bad_file("private key", paths.private_key,
                     "does not match the certificate '" + paths.certificate + "'");
        }
    }
    {
        creds->store_.reset(X509_STORE_new());
        if (!creds->store_) fail(SSX_E_NO_MEMORY, "out of memory");
        ossl::Bio bio = open_file("trust anchors", paths.trust_anchors);
        int count = 0;
        while (X509* anchor = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
            int ok = X509_STORE_add_cert(creds->store_.get(), anchor);
            X509_free(anchor);
            if (!ok) bad_file("trust anchors", paths.trust_anchors, "could not be added");
            ++count;
        }
        ERR_clear_error();
        if (count == 0) bad_file("trust anchors", paths.trust_anchors, "holds no PEM certificate");
    }

    std::lock_guard lock(mu);
    if (cache.size() > 256) {
        for (auto it = cache.begin(); it != cache.end();) {
            it = it->second.expired() ? cache.erase(it) : std::next(it);
        }
    }
    cache[key] = creds;
    return creds;
}

}  // namespace ssx::tls
