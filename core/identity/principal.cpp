// Principal: everything a token reports about a verified peer, read once from its certificate (on
// the first query) so every later query returns the same strings.
#include "identity/principal.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "provider/tls/name_match.hpp"
#include "ssx/ssx.h"

namespace ssx::identity {
namespace {

std::vector<unsigned char> der_of(X509* cert) {
    int len = i2d_X509(cert, nullptr);
    if (len <= 0) {
        fail(SSX_E_INVALID_ARGUMENT,
             "the peer certificate cannot be DER-encoded: " + drain_openssl_errors());
    }
    std::vector<unsigned char> der(static_cast<size_t>(len));
    unsigned char* p = der.data();
    if (i2d_X509(cert, &p) != len) {
        fail(SSX_E_INTERNAL, "DER-encoding the peer certificate gave an inconsistent length");
    }
    return der;
}

std::string fingerprint_of(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &len) != 1) {
        fail(SSX_E_INTERNAL, "computing the SHA-256 fingerprint of the peer certificate failed: " +
                                 drain_openssl_errors());
    }
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 0x0f];
    }
    return out;
}

// RFC 2253 text ("CN=db,O=corp"): OpenSSL escapes special and non-ASCII characters.
std::string rfc2253(const X509_NAME* name) {
    ossl::Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
        fail(SSX_E_INTERNAL, "printing the peer certificate's subject failed: " +
                                 drain_openssl_errors());
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

// The subject's most specific (last) common name as UTF-8, control characters escaped; "" if none.
std::string common_name(const X509_NAME* name) {
    int idx = -1, last = -1;
    while ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, idx)) >= 0) last = idx;
    if (last < 0) return {};
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, value);
    if (len < 0) {
        drain_openssl_errors();
        return {};
    }
    std::string out;
    for (int i = 0; i < len; ++i) {
        unsigned char c = utf8[i];
        if (c < 0x20 || c == 0x7f || c == '\\') {
            static constexpr char hex[] = "0123456789ABCDEF";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0x0f];
        } else {
            out += static_cast<char>(c);
        }
    }
    OPENSSL_free(utf8);
    return out;
}

// The value of the first name with this type prefix ("DNS:"), or "".
std::string first_of(const std::vector<std::string>& names, std::string_view prefix) {
    for (const auto& n : names) {
        if (std::string_view(n).substr(0, prefix.size()) == prefix) return n.substr(prefix.size());
    }
    return {};
}

}  // namespace

std::shared_ptr<const Principal> Principal::from_certificate(X509* leaf, STACK_OF(X509)* chain,
                                                             std::optional<Account> account) {
    if (leaf == nullptr) {
        fail(SSX_E_NO_PEER_CERT, "a principal needs the peer's certificate, and there is none");
    }
    auto p = std::make_shared<Principal>();
    auto keep = [&](X509* cert) {
        X509_up_ref(cert);
        p->chain_.emplace_back(cert);
    };
    p->chain_.reserve(1 + static_cast<size_t>(chain ? sk_X509_num(chain) : 0));
    keep(leaf);
    for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
        X509* cert = sk_X509_value(chain, i);
        if (i == 0 && X509_cmp(cert, leaf) == 0) continue;  // the leaf is already first
        keep(cert);
    }
    if (account) p->account_ = std::make_unique<const Account>(std::move(*account));
    return p;
}

std::shared_ptr<const Principal> Principal::named(std::string name, std::optional<Account> account) {
    auto p = std::make_shared<Principal>();
    auto d = std::make_unique<Description>();
    d->name = std::move(name);
    p->description_.store(d.release(), std::memory_order_release);  // before it is shared
    if (account) p->account_ = std::make_unique<const Account>(std::move(*account));
    return p;
}

Principal::~Principal() { delete description_.load(std::memory_order_acquire); }

namespace {

std::unique_ptr<const Description> describe(X509* leaf, const std::vector<ossl::X509Ptr>& chain) {
    auto d = std::make_unique<Description>();
    d->names = tls::san_names(leaf);
    d->subject = rfc2253(X509_get_subject_name(leaf));
    // Only a certificate that satisfies the X509-SVID leaf rules has a SPIFFE ID: a CA or a
    // certificate with two URI SANs must not pass for a workload identity in a token either.
    d->spiffe_id = tls::svid_spiffe_id(leaf).value_or(std::string());
    d->fingerprint = fingerprint_of(leaf);
    // ssx_token_name(): SPIFFE ID, else the first DNS, URI, IP, email SAN, else the subject CN,
    // else the whole subject; the fingerprint when even that is empty (never "").
    for (std::string candidate :
         {d->spiffe_id, first_of(d->names, "DNS:"), first_of(d->names, "URI:"), first_of(d->names, "IP:"),
          first_of(d->names, "email:"), common_name(X509_get_subject_name(leaf)), d->subject, d->fingerprint}) {
        if (!candidate.empty()) {
            d->name = std::move(candidate);
            break;
        }
    }
    d->chain_der.reserve(chain.size());
    for (const auto& cert : chain) d->chain_der.push_back(der_of(cert.get()));
    return d;
}

}  // namespace

const Description& Principal::description() const {
    if (const Description* d = description_.load(std::memory_order_acquire)) return *d;
    std::unique_ptr<const Description> fresh = describe(chain_.at(0).get(), chain_);
    const Description* expected = nullptr;
    if (description_.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
        return *fresh.release();
    }
    return *expected;  // another thread stored an identical description first; ours is freed
}

}  // namespace ssx::identity
