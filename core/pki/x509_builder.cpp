#include "pki/x509_builder.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <memory>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::pki::detail {
namespace {

// Owners for the few OpenSSL types only this file uses (the shared ones are in openssl_ptr.hpp).
using BigNum = std::unique_ptr<BIGNUM, ossl::Deleter<BN_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, ossl::Deleter<X509_EXTENSION_free>>;
using GeneralName = std::unique_ptr<GENERAL_NAME, ossl::Deleter<GENERAL_NAME_free>>;
using Ia5String = std::unique_ptr<ASN1_IA5STRING, ossl::Deleter<ASN1_IA5STRING_free>>;
using OctetString = std::unique_ptr<ASN1_OCTET_STRING, ossl::Deleter<ASN1_OCTET_STRING_free>>;

// Every OpenSSL failure here is a library or resource problem, never the caller's input (that
// was checked before), so it is SSX_E_INTERNAL with OpenSSL's own explanation.
[[noreturn]] void fail_openssl(const std::string& what) {
    std::string detail = drain_openssl_errors();
    fail(SSX_E_INTERNAL,
         "development PKI: " + what + " failed" + (detail.empty() ? "" : ": " + detail));
}

template <class T>
T* check(T* p, const char* what) {
    if (p == nullptr) fail_openssl(what);
    return p;
}
void check(int ok, const char* what) {
    if (ok <= 0) fail_openssl(what);
}

// A positive, non-zero 128-bit random serial (RFC 5280 allows up to 20 octets; CA/B wants
// at least 64 bits of randomness).
void set_random_serial(X509* cert) {
    unsigned char bytes[16];
    check(RAND_bytes(bytes, sizeof bytes), "RAND_bytes");
    bytes[0] &= 0x7f;  // keep the DER INTEGER positive
    bytes[0] |= 0x01;  // and non-zero
    BigNum bn(check(BN_bin2bn(bytes, sizeof bytes, nullptr), "BN_bin2bn"));
    check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr ? 1 : 0,
          "BN_to_ASN1_INTEGER");
}

// One extension from its OpenSSL config text (e.g. "critical,CA:TRUE,pathlen:0"), as the
// `openssl` command would make it, added to `cert`.
void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    Extension ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
    if (!ext) fail_openssl(std::string("making extension ") + OBJ_nid2sn(nid) + "=" + value);
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

// A GENERAL_NAME of an IA5String type (DNS, URI, email) or an IP address (octets).
void push_name(GENERAL_NAMES* names, int type, const std::string& value) {
    GeneralName gn(check(GENERAL_NAME_new(), "GENERAL_NAME_new"));
    if (type == GEN_IPADD) {
        OctetString os(check(ASN1_OCTET_STRING_new(), "ASN1_OCTET_STRING_new"));
        check(ASN1_OCTET_STRING_set(os.get(), reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size())),
              "ASN1_OCTET_STRING_set");
        GENERAL_NAME_set0_value(gn.get(), type, os.release());
    } else {
        Ia5String s(check(ASN1_IA5STRING_new(), "ASN1_IA5STRING_new"));
        check(ASN1_STRING_set(s.get(), value.data(), static_cast<int>(value.size())),
              "ASN1_STRING_set");
        GENERAL_NAME_set0_value(gn.get(), type, s.release());
    }
    if (sk_GENERAL_NAME_push(names, gn.get()) <= 0) fail_openssl("sk_GENERAL_NAME_push");
    gn.release();  // owned by `names` now
}

// subjectAltName built from GENERAL_NAMEs directly (no config-string parsing of user text, so a
// ',' or ':' in a value can never smuggle in another name). Non-critical: the subject is not empty.
void add_subject_alt_names(X509* cert, const SubjectAltNames& sans) {
    if (sans.dns.empty() && sans.ip.empty() && sans.uri.empty() && sans.email.empty()) return;
    ossl::GeneralNames names(check(GENERAL_NAMES_new(), "GENERAL_NAMES_new"));
    for (const auto& v : sans.dns)
        push_name(names.get(), GEN_DNS, v);
    for (const auto& v : sans.ip)
        push_name(names.get(), GEN_IPADD, v);  // raw 4/16 bytes
    for (const auto& v : sans.uri)
        push_name(names.get(), GEN_URI, v);
    for (const auto& v : sans.email)
        push_name(names.get(), GEN_EMAIL, v);
    check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT),
          "adding subjectAltName");
}

void set_time_from_now(ASN1_TIME* t, std::chrono::seconds offset, const char* what) {
    if (X509_gmtime_adj(t, static_cast<long>(offset.count())) == nullptr) fail_openssl(what);
}

std::string key_usage(const CertSpec& spec) {
    std::string ku = "critical";
    if (spec.digital_signature) ku += ",digitalSignature";
    if (spec.key_cert_sign) ku += ",keyCertSign";
    if (spec.crl_sign) ku += ",cRLSign";
    return ku;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(len));
}

// OpenSSL must never prompt on a terminal for a pass phrase (it would hang a test or a CLI run
// without a tty): an encrypted key simply fails to load.
int no_passphrase(char*, int, int, void*) {
    return -1;
}

}  // namespace

SecretText::~SecretText() {
    if (!text_.empty()) OPENSSL_cleanse(text_.data(), text_.size());
}

ossl::PKey generate_p256_key() {
    return ossl::PKey(
        check(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), "generating an EC P-256 key"));
}

ossl::X509Ptr make_certificate(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                               EVP_PKEY* issuer_key) {
    ossl::X509Ptr cert(check(X509_new(), "X509_new"));
    X509* x = cert.get();
    check(X509_set_version(x, X509_VERSION_3), "X509_set_version");
    set_random_serial(x);

    X509_NAME* subject = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(spec.common_name.data()),
                                   static_cast<int>(spec.common_name.size()), -1, 0) != 1) {
        // The one failure here that is the caller's: text that is not UTF-8.
        std::string detail = drain_openssl_errors();
        fail(SSX_E_INVALID_ARGUMENT, "common name \"" + spec.common_name +
                                         "\" cannot be encoded (is it valid UTF-8?): " + detail);
    }
    X509* signer_cert = issuer != nullptr ? issuer : x;
    EVP_PKEY* signer_key = issuer != nullptr ? issuer_key : key;
    check(X509_set_issuer_name(x, X509_get_subject_name(signer_cert)), "X509_set_issuer_name");

    // Seconds from now; both may be in the past or the future on purpose (tests).
    set_time_from_now(X509_getm_notBefore(x), spec.not_before, "setting notBefore");
    set_time_from_now(X509_getm_notAfter(x), spec.not_after, "setting notAfter");
    check(X509_set_pubkey(x, key), "X509_set_pubkey");

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, signer_cert, x, nullptr, nullptr, 0);
    std::string bc = spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.is_ca && spec.path_len >= 0) bc += ",pathlen:" + std::to_string(spec.path_len);
    add_ext(x, &ctx, NID_basic_constraints, bc);
    add_ext(x, &ctx, NID_key_usage, key_usage(spec));
    if (spec.server_auth || spec.client_auth) {
        std::string eku;
        if (spec.server_auth) eku = "serverAuth";
        if (spec.client_auth) eku += eku.empty() ? "clientAuth" : ",clientAuth";
        add_ext(x, &ctx, NID_ext_key_usage, eku);
    }
    add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    // Self-signed: the issuer is the subject, so an AKI adds nothing. Issued: link to the CA's SKI.
    if (issuer != nullptr) add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    add_subject_alt_names(x, spec.sans);

    check(X509_sign(x, signer_key, EVP_sha256()), "signing the certificate");
    return cert;
}

std::string certificate_pem(X509* cert) {
    ossl::Bio bio(check(BIO_new(BIO_s_mem()), "BIO_new"));
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
    return bio_text(bio.get());
}

SecretText private_key_pem(EVP_PKEY* key) {
    // A secure-memory BIO wipes its buffer when freed.
    ossl::Bio bio(check(BIO_new(BIO_s_secmem()), "BIO_new"));
    // In OpenSSL 3 this writes PKCS#8 (PrivateKeyInfo), unencrypted when no cipher is given.
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
    return SecretText(bio_text(bio.get()));
}

ossl::X509Ptr parse_certificate(std::string_view pem, const std::string& origin) {
    ossl::Bio bio(
        check(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "BIO_new_mem_buf"));
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
    if (!cert) {
        std::string detail = drain_openssl_errors();
        fail(SSX_E_INVALID_ARGUMENT, origin + " holds no PEM certificate" +
                                         (detail.empty() ? "" : " (" + detail + ")") +
                                         "; recreate the CA in a new folder");
    }
    return cert;
}

ossl::PKey parse_private_key(std::string_view pem, const std::string& origin) {
    ossl::Bio bio(
        check(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), "BIO_new_mem_buf"));
    ossl::PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key) {
        std::string detail = drain_openssl_errors();
        fail(SSX_E_INVALID_ARGUMENT, origin + " holds no unencrypted PEM private key" +
                                         (detail.empty() ? "" : " (" + detail + ")") +
                                         "; recreate the CA in a new folder");
    }
    return key;
}

}  // namespace ssx::pki::detail
