// libFuzzer target: parse_target_name() on arbitrary bytes, then match_peer() against a fixed
// certificate carrying every SAN type. Checks, beyond "no crash/leak/UB": errors are always
// ssx::Error(SSX_E_INVALID_ARGUMENT); a parsed name keeps its original text; the normalised value
// of DNS, IP and SPIFFE names parses back to itself; a match failure always says why.
// Built by tests/fuzz/CMakeLists.txt (SSX_BUILD_FUZZERS=ON, clang) and run by scripts/fuzz.sh; the
// normal build replays the corpus as a regression test.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "provider/tls/name_match.hpp"
#include "ssx/ssx.h"

namespace {

void push_san(GENERAL_NAMES* names, int type, const std::string& bytes) {
    ASN1_STRING* s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    ASN1_STRING_set(s, bytes.data(), static_cast<int>(bytes.size()));
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, type, s);
    sk_GENERAL_NAME_push(names, gn);
}

std::string ip_bytes(int family, const char* text) {
    unsigned char buf[16];
    inet_pton(family, text, buf);
    return std::string(reinterpret_cast<char*>(buf), family == AF_INET ? 4 : 16);
}

// A self-signed certificate with DNS (exact and wildcard), IP v4/v6, one SPIFFE URI SAN and an
// email SAN: an X509-SVID, so every kind of target can match or fail on a real rule.
X509* make_certificate() {
    static ssx::ossl::X509Ptr cert = [] {
        ssx::ossl::PKey key(EVP_EC_gen("P-256"));
        ssx::ossl::X509Ptr x(X509_new());
        X509_set_version(x.get(), X509_VERSION_3);
        ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
        X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
        X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
        X509_NAME_add_entry_by_NID(X509_get_subject_name(x.get()), NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>("db.corp"), -1, -1, 0);
        X509_set_issuer_name(x.get(), X509_get_subject_name(x.get()));
        X509_set_pubkey(x.get(), key.get());
        ssx::ossl::GeneralNames names(GENERAL_NAMES_new());
        push_san(names.get(), GEN_DNS, "db.corp");
        push_san(names.get(), GEN_DNS, "*.web.corp");
        push_san(names.get(), GEN_IPADD, ip_bytes(AF_INET, "192.0.2.7"));
        push_san(names.get(), GEN_IPADD, ip_bytes(AF_INET6, "2001:db8::1"));
        push_san(names.get(), GEN_URI, "spiffe://corp/ns/prod/db");
        push_san(names.get(), GEN_EMAIL, "ops@corp");
        X509_add1_ext_i2d(x.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT);
        X509_sign(x.get(), key.get(), EVP_sha256());
        return x;
    }();
    return cert.get();
}

void check(bool ok) {
    if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    X509* cert = make_certificate();
    std::string_view input(reinterpret_cast<const char*>(data), size);
    ssx::tls::TargetName target;
    try {
        target = ssx::tls::parse_target_name(input);
    } catch (const ssx::Error& e) {
        check(e.code() == SSX_E_INVALID_ARGUMENT && !e.message().empty());
        return 0;
    }
    check(target.original == input && !target.value.empty());

    using ssx::tls::TargetKind;
    std::string again;
    switch (target.kind) {
        case TargetKind::dns:
        case TargetKind::ip:
        case TargetKind::spiffe_exact:
        case TargetKind::spiffe_trust_domain: again = target.value; break;
        case TargetKind::spiffe_prefix: again = target.value + "/*"; break;
        case TargetKind::uri: break;  // "URI:dns:x" normalises to "dns:x", a different form
    }
    if (!again.empty()) {
        auto reparsed = ssx::tls::parse_target_name(again);  // must not throw
        check(reparsed.kind == target.kind && reparsed.value == target.value);
    }

    auto result = ssx::tls::match_peer(target, cert);
    check(result.ok == result.reason.empty());
    return 0;
}
