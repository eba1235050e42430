// Target names: every accepted form and every rejection of parse_target_name(), and match_peer()
// against real certificates from the development PKI (plus a few hand-built ones for shapes the
// PKI refuses to issue, such as a SAN with a NUL byte).
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "pki/dev_pki.hpp"
#include "provider/tls/name_match.hpp"
#include "ssx/ssx.h"

namespace fs = std::filesystem;
using ssx::tls::match_peer;
using ssx::tls::parse_target_name;
using ssx::tls::TargetKind;

namespace {

// ---- certificates --------------------------------------------------------------------------

class Pki {
public:
    Pki() {
        std::string tmpl = (fs::temp_directory_path() / "ssx-name-match-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        root_ = tmpl;
        ssx::pki::init_ca(root_ / "pki");
    }
    ~Pki() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    // Issues NAME with the given options and returns its leaf certificate.
    ssx::ossl::X509Ptr issue(ssx::pki::LeafOptions o) {
        ssx::pki::issue(root_ / "pki", o);
        return read_pem(root_ / "pki" / (o.name + ".pem"));
    }
    static ssx::ossl::X509Ptr read_pem(const fs::path& file) {
        ssx::ossl::Bio bio(BIO_new_file(file.c_str(), "r"));
        if (!bio) throw std::runtime_error("cannot open " + file.string());
        ssx::ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!cert) throw std::runtime_error("no certificate in " + file.string());
        return cert;
    }

private:
    fs::path root_;
};

Pki& pki() {
    static Pki instance;
    return instance;
}

ssx::pki::LeafOptions leaf(std::string name, std::vector<std::string> dns = {},
                           std::vector<std::string> ip = {}, std::vector<std::string> uri = {}) {
    ssx::pki::LeafOptions o;
    o.name = std::move(name);
    o.dns = std::move(dns);
    o.ip = std::move(ip);
    o.uri = std::move(uri);
    return o;
}

// A self-signed certificate built here, for shapes the development PKI will not issue. `sans` is
// a list of (GEN_* type, raw bytes); `extensions` are (NID, OpenSSL config value) pairs.
ssx::ossl::X509Ptr handmade(const std::vector<std::pair<int, std::string>>& sans,
                            const std::vector<std::pair<int, std::string>>& extensions,
                            const std::string& cn = "handmade") {
    ssx::ossl::PKey key(EVP_EC_gen("P-256"));
    ssx::ossl::X509Ptr x(X509_new());
    X509_set_version(x.get(), X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(x.get()), -300);
    X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
    if (!cn.empty()) {
        X509_NAME_add_entry_by_NID(X509_get_subject_name(x.get()), NID_commonName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    }
    X509_set_issuer_name(x.get(), X509_get_subject_name(x.get()));
    X509_set_pubkey(x.get(), key.get());
    for (const auto& [nid, value] : extensions) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value.c_str());
        X509_add_ext(x.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!sans.empty()) {
        ssx::ossl::GeneralNames names(GENERAL_NAMES_new());
        for (const auto& [type, bytes] : sans) {
            ASN1_IA5STRING* s = ASN1_IA5STRING_new();
            ASN1_STRING_set(s, bytes.data(), static_cast<int>(bytes.size()));
            GENERAL_NAME* gn = GENERAL_NAME_new();
            GENERAL_NAME_set0_value(gn, type, s);
            sk_GENERAL_NAME_push(names.get(), gn);
        }
        X509_add1_ext_i2d(x.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT);
    }
    X509_sign(x.get(), key.get(), EVP_sha256());
    return x;
}

bool matches(const std::string& target, X509* cert) {
    return match_peer(parse_target_name(target), cert).ok;
}

// The ssx::Error thrown by parse_target_name (fails the test if none is thrown).
ssx::Error parse_error(std::string_view name) {
    try {
        parse_target_name(name);
    } catch (const ssx::Error& e) {
        return e;
    }
    ADD_FAILURE() << "parse_target_name accepted '" << name << "'";
    return ssx::Error(0, "");
}

void expect_parsed(std::string_view name, TargetKind kind, std::string_view value) {
    SCOPED_TRACE(std::string(name));
    auto t = parse_target_name(name);
    EXPECT_EQ(t.kind, kind);
    EXPECT_EQ(t.value, value);
    EXPECT_EQ(t.original, name);
}

void expect_rejected(std::string_view name, std::string_view reason) {
    SCOPED_TRACE(std::string(name));
    auto e = parse_error(name);
    EXPECT_EQ(e.code(), SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(e.message().find(reason), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("accepted forms"), std::string::npos) << e.message();
}

// ---- parsing: DNS --------------------------------------------------------------------------

TEST(ParseTargetName, DnsNames) {
    expect_parsed("db.corp", TargetKind::dns, "db.corp");
    expect_parsed("DB.Corp", TargetKind::dns, "db.corp");
    expect_parsed("db.corp.", TargetKind::dns, "db.corp");
    expect_parsed("localhost", TargetKind::dns, "localhost");
    expect_parsed("xn--bcher-kva.example", TargetKind::dns, "xn--bcher-kva.example");
    expect_parsed("a-b.c0.corp", TargetKind::dns, "a-b.c0.corp");
    expect_parsed("DNS:db.corp", TargetKind::dns, "db.corp");
    expect_parsed("dns:Db.Corp.", TargetKind::dns, "db.corp");
    expect_parsed("1.2.3.4.corp", TargetKind::dns, "1.2.3.4.corp");
}

TEST(ParseTargetName, DnsLengthLimits) {
    std::string label63(63, 'a');
    expect_parsed(label63 + ".corp", TargetKind::dns, label63 + ".corp");
    expect_rejected(std::string(64, 'a') + ".corp", "the limit is 63");

    // 4 * 63 + 1 = 253 bytes: the longest DNS name; with its trailing dot still accepted.
    std::string longest = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    ASSERT_EQ(longest.size(), 253u);
    expect_parsed(longest, TargetKind::dns, longest);
    expect_parsed(longest + ".", TargetKind::dns, longest);
    expect_rejected(longest + "b", "the limit is 253");
}

TEST(ParseTargetName, DnsRejections) {
    expect_rejected("*.corp", "wildcards are not allowed");
    expect_rejected("a.*.corp", "wildcards are not allowed");
    expect_rejected("f*.corp", "wildcards are not allowed");
    expect_rejected("DNS:*.corp", "wildcards are not allowed");
    expect_rejected("b\xC3\xBC" "cher.example", "A-labels (xn--");
    expect_rejected("a..corp", "empty label");
    expect_rejected(".corp", "empty label");
    expect_rejected(".", "the DNS name is empty");
    expect_rejected("DNS:", "the DNS name is empty");
    expect_rejected("a_b.corp", "'_' is not allowed");
    expect_rejected("db corp", "0x20 is not allowed");
    expect_rejected("-db.corp", "starts or ends with '-'");
    expect_rejected("db-.corp", "starts or ends with '-'");
    expect_rejected("1.2.3.999", "last label is all digits");
    expect_rejected("DNS:10.0.0.1", "last label is all digits");
    expect_rejected("DNS:::1", "':' is not allowed");
}

// ---- parsing: IP ---------------------------------------------------------------------------

TEST(ParseTargetName, IpAddresses) {
    expect_parsed("192.0.2.7", TargetKind::ip, "192.0.2.7");
    expect_parsed("2001:DB8:0:0:0:0:0:1", TargetKind::ip, "2001:db8::1");
    expect_parsed("::1", TargetKind::ip, "::1");
    expect_parsed("[::1]", TargetKind::ip, "::1");
    expect_parsed("::ffff:192.0.2.7", TargetKind::ip, "::ffff:192.0.2.7");
    expect_parsed("IP:10.0.0.1", TargetKind::ip, "10.0.0.1");
    expect_parsed("ip:[2001:db8::1]", TargetKind::ip, "2001:db8::1");
}

TEST(ParseTargetName, IpRejections) {
    expect_rejected("IP:db.corp", "IPv4 or IPv6 address");
    expect_rejected("IP:10.0.0.1:80", "IPv4 or IPv6 address");
    expect_rejected("IP:[10.0.0.1]", "IPv4 or IPv6 address");
    expect_rejected("IP:", "IPv4 or IPv6 address");
    expect_rejected("fe80::1%eth0", "zone IDs");
    expect_rejected("2001:db8::zz", "not a valid IP address");
    expect_rejected("1:2:3:4:5:6:7:8:9", "not a valid IP address");
    expect_rejected("010.0.0.1", "last label is all digits");  // no octal or leading zeros
}

// ---- parsing: URIs and SPIFFE IDs -----------------------------------------------------------

TEST(ParseTargetName, Uris) {
    expect_parsed("https://Api.Corp/v1/X", TargetKind::uri, "https://Api.Corp/v1/X");
    expect_parsed("HTTPS://api.corp/x", TargetKind::uri, "https://api.corp/x");
    expect_parsed("urn:corp:db", TargetKind::uri, "urn:corp:db");
    expect_parsed("URI:https://api.corp/a%20b", TargetKind::uri, "https://api.corp/a%20b");
    expect_parsed("uri:urn:x", TargetKind::uri, "urn:x");
    expect_parsed("urn:corp/a/b", TargetKind::uri, "urn:corp/a/b");
}

TEST(ParseTargetName, UriRejections) {
    expect_rejected("https://api corp/x", "percent-encode it");
    expect_rejected("https://api.corp/\xC3\xA9", "percent-encode it");
    expect_rejected("https://api.corp/%zz", "two hex digits");
    expect_rejected("https://api.corp/%4", "two hex digits");
    expect_rejected("1https://api.corp", "starts with a scheme");
    expect_rejected("URI:db.corp", "starts with a scheme");
    expect_rejected("urn:", "nothing after its scheme");
    expect_rejected("db.corp:443", "looks like host:port");
    expect_rejected("localhost:8080/x", "looks like host:port");
}

TEST(ParseTargetName, SpiffeIds) {
    expect_parsed("spiffe://corp/db", TargetKind::spiffe_exact, "spiffe://corp/db");
    expect_parsed("spiffe://corp/ns/Prod/sa/db-1_x.y", TargetKind::spiffe_exact,
                  "spiffe://corp/ns/Prod/sa/db-1_x.y");
    expect_parsed("spiffe://corp/db/*", TargetKind::spiffe_prefix, "spiffe://corp/db");
    expect_parsed("spiffe://corp", TargetKind::spiffe_trust_domain, "spiffe://corp");
    expect_parsed("spiffe://corp/*", TargetKind::spiffe_trust_domain, "spiffe://corp");
    expect_parsed("spiffe://my-corp.example_1", TargetKind::spiffe_trust_domain,
                  "spiffe://my-corp.example_1");
    expect_parsed("URI:spiffe://corp/db", TargetKind::spiffe_exact, "spiffe://corp/db");
    // Prefix "." or ".." would be path traversal, but "..." is an ordinary segment.
    expect_parsed("spiffe://corp/.../db", TargetKind::spiffe_exact, "spiffe://corp/.../db");
}

TEST(ParseTargetName, SpiffeRejections) {
    expect_rejected("spiffe://Corp/db", "must be lower case");
    expect_rejected("SPIFFE://corp/db", "lower case ('spiffe://')");
    expect_rejected("Spiffe://corp", "lower case ('spiffe://')");
    expect_rejected("spiffe:corp/db", "spiffe://<trust domain>/<path>");
    expect_rejected("spiffe:///db", "trust domain is empty");
    expect_rejected("spiffe://", "trust domain is empty");
    expect_rejected("spiffe://corp/db/", "empty segment");
    expect_rejected("spiffe://corp//db", "empty segment");
    expect_rejected("spiffe://corp/", "empty segment");
    expect_rejected("spiffe://corp/./db", "'.' is not allowed");
    expect_rejected("spiffe://corp/a/..", "'..' is not allowed");
    expect_rejected("spiffe://corp/db?x=1", "no query");
    expect_rejected("spiffe://corp/db#frag", "no fragment");
    expect_rejected("spiffe://corp:443/db", "no port");
    expect_rejected("spiffe://user@corp/db", "no user info");
    expect_rejected("spiffe://corp/d%20b", "no percent-encoding");
    expect_rejected("spiffe://corp/a*/b", "whole last segment");
    expect_rejected("spiffe://corp/*/b", "whole last segment");
    expect_rejected("spiffe://corp/db/**", "whole last segment");
    expect_rejected("spiffe://corp/db/*/", "whole last segment");
    expect_rejected("spiffe://co rp/db", "not allowed in a SPIFFE trust domain");
    expect_rejected("spiffe://" + std::string(256, 'a') + "/db", "longer than 255");
}

// ---- parsing: Windows SPNs -----------------------------------------------------------------

TEST(ParseTargetName, WindowsSpns) {
    expect_parsed("host/db.corp", TargetKind::dns, "db.corp");
    expect_parsed("host/db.corp:443/svc", TargetKind::dns, "db.corp");
    expect_parsed("HOST/DB.CORP", TargetKind::dns, "db.corp");
    expect_parsed("host/DB", TargetKind::dns, "db");
    expect_parsed("http/[::1]:80", TargetKind::ip, "::1");
    expect_parsed("http/[2001:DB8::1]", TargetKind::ip, "2001:db8::1");
    expect_parsed("MSSQLSvc/10.0.0.5:1433", TargetKind::ip, "10.0.0.5");
    expect_parsed("ldap/dc1.corp/corp.example", TargetKind::dns, "dc1.corp");
    expect_parsed("host/db.corp/svc/extra", TargetKind::dns, "db.corp");
}

TEST(ParseTargetName, SpnRejections) {
    expect_rejected("/db.corp", "no service class");
    expect_rejected("host/", "no host");
    expect_rejected("host/:443", "no host");
    expect_rejected("host/::1", "no host");
    expect_rejected("host/db.corp:0", "from 1 to 65535");
    expect_rejected("host/db.corp:65536", "from 1 to 65535");
    expect_rejected("host/db.corp:", "from 1 to 65535");
    expect_rejected("host/db.corp:https", "from 1 to 65535");
    expect_rejected("host/db.corp/", "service name after the last '/' is empty");
    expect_rejected("host/[db.corp]", "is not an IPv6 address");
    expect_rejected("host/[10.0.0.1]", "is not an IPv6 address");
    expect_rejected("host/[::1", "'[' without ']'");
    expect_rejected("host/[::1]x", "after the SPN host");
    expect_rejected("host/*.corp", "wildcards are not allowed");
    expect_rejected("ho st/db.corp", "SPN service class");
}

// ---- parsing: input that is never a name ---------------------------------------------------

TEST(ParseTargetName, GeneralRejections) {
    expect_rejected("", "the name is empty");
    expect_rejected(std::string_view("db\0.corp", 8), "NUL byte at offset 2");
    expect_rejected("db.corp\n", "control character 0x0A at offset 7");
    expect_rejected("\tdb.corp", "control character 0x09 at offset 0");
    expect_rejected("db\x7f.corp", "control character 0x7F");

    auto e = parse_error(std::string(1025, 'a'));
    EXPECT_EQ(e.code(), SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(e.message().find("1025 bytes long; the limit is 1024"), std::string::npos);
    EXPECT_LT(e.message().size(), 1000u) << "the over-long name is not echoed";

    // The rejected name is echoed escaped: no raw control byte reaches a log line.
    auto nl = parse_error("evil\nFAKE LOG LINE");
    EXPECT_EQ(nl.message().find('\n'), std::string::npos);
    EXPECT_NE(nl.message().find("evil\\x0AFAKE"), std::string::npos) << nl.message();
}

// ---- matching: DNS -------------------------------------------------------------------------

TEST(MatchPeer, DnsExactCaseAndTrailingDot) {
    auto cert = pki().issue(leaf("dns-exact", {"db.corp", "www.corp"}, {"192.0.2.7"}));
    EXPECT_TRUE(matches("db.corp", cert.get()));
    EXPECT_TRUE(matches("www.corp", cert.get()));
    EXPECT_TRUE(matches("DB.CORP", cert.get()));
    EXPECT_TRUE(matches("db.corp.", cert.get()));
    EXPECT_TRUE(matches("DNS:db.corp", cert.get()));
    EXPECT_FALSE(matches("other.corp", cert.get()));
    EXPECT_FALSE(matches("corp", cert.get()));
    EXPECT_FALSE(matches("a.db.corp", cert.get()));

    auto r = match_peer(parse_target_name("other.corp"), cert.get());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.reason,
              "peer certificate does not match target name 'other.corp' (presented: DNS:db.corp, "
              "DNS:www.corp, IP:192.0.2.7)");
}

TEST(MatchPeer, DnsWildcardOnlyAsWholeLeftmostLabel) {
    auto cert = pki().issue(leaf("dns-wild", {"*.web.corp"}));
    EXPECT_TRUE(matches("a.web.corp", cert.get()));
    EXPECT_TRUE(matches("A.WEB.CORP", cert.get()));
    EXPECT_FALSE(matches("a.b.web.corp", cert.get()));  // one label only
    EXPECT_FALSE(matches("web.corp", cert.get()));      // not the parent itself
    EXPECT_FALSE(matches("a.corp", cert.get()));

    // OpenSSL also refuses a wildcard directly under a single-label suffix ("*.corp"): such a
    // certificate matches no name at all, rather than every host in a top-level domain.
    auto tld = pki().issue(leaf("dns-wild-tld", {"*.corp"}));
    EXPECT_FALSE(matches("a.corp", tld.get()));
    EXPECT_FALSE(matches("corp", tld.get()));
}

TEST(MatchPeer, DnsPartialWildcardRejected) {
    auto cert = pki().issue(leaf("dns-partial", {"f*.web.corp", "*x.web.corp"}));
    EXPECT_FALSE(matches("foo.web.corp", cert.get()));
    EXPECT_FALSE(matches("f.web.corp", cert.get()));
    EXPECT_FALSE(matches("ax.web.corp", cert.get()));
}

TEST(MatchPeer, DnsNeverUsesCommonName) {
    // The development PKI puts the leaf's name in the subject CN.
    auto with_san = pki().issue(leaf("db.corp", {"other.corp"}));
    EXPECT_FALSE(matches("db.corp", with_san.get()));
    EXPECT_TRUE(matches("other.corp", with_san.get()));

    auto cn_only = pki().issue(leaf("cn-only.corp"));
    auto r = match_peer(parse_target_name("cn-only.corp"), cn_only.get());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.reason.find("(presented: no subject alternative names)"), std::string::npos)
        << r.reason;
}

TEST(MatchPeer, DnsNameIsNotSatisfiedByOtherSanTypes) {
    auto cert = pki().issue(leaf("dns-other-types", {}, {"192.0.2.7"},
                                 {"https://db.corp/", "dns:db.corp"}));
    EXPECT_FALSE(matches("db.corp", cert.get()));
}

TEST(MatchPeer, DnsSanWithEmbeddedNulIsNeverMatched) {
    auto cert = handmade({{GEN_DNS, std::string("db.corp\0.evil", 13)}}, {});
    EXPECT_FALSE(matches("db.corp", cert.get()));
    auto names = ssx::tls::san_names(cert.get());
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], "DNS:db.corp\\x00.evil");
}

// ---- matching: IP --------------------------------------------------------------------------

TEST(MatchPeer, IpAddresses) {
    auto cert = pki().issue(leaf("ip", {"192.0.2.9"}, {"192.0.2.7", "2001:db8::1"}));
    EXPECT_TRUE(matches("192.0.2.7", cert.get()));
    EXPECT_TRUE(matches("IP:192.0.2.7", cert.get()));
    EXPECT_TRUE(matches("2001:db8::1", cert.get()));
    EXPECT_TRUE(matches("2001:DB8:0:0::1", cert.get()));
    EXPECT_TRUE(matches("[2001:db8::1]", cert.get()));
    EXPECT_FALSE(matches("192.0.2.8", cert.get()));
    EXPECT_FALSE(matches("2001:db8::2", cert.get()));
    // A v4-mapped v6 address is a different (16-byte) identity from the 4-byte SAN.
    EXPECT_FALSE(matches("::ffff:192.0.2.7", cert.get()));
    // An IP target is proved only by an IP SAN, never by a DNS SAN spelling the address.
    EXPECT_FALSE(matches("192.0.2.9", cert.get()));

    auto r = match_peer(parse_target_name("192.0.2.8"), cert.get());
    EXPECT_EQ(r.reason,
              "peer certificate does not match target name '192.0.2.8' (presented: DNS:192.0.2.9, "
              "IP:192.0.2.7, IP:2001:db8::1)");
}

TEST(MatchPeer, Ipv6LoopbackAndMappedSan) {
    auto cert = pki().issue(leaf("ip6", {}, {"::1", "::ffff:10.0.0.1"}));
    EXPECT_TRUE(matches("::1", cert.get()));
    EXPECT_TRUE(matches("http/[::1]:80", cert.get()));
    EXPECT_TRUE(matches("::ffff:10.0.0.1", cert.get()));
    EXPECT_FALSE(matches("10.0.0.1", cert.get()));
    EXPECT_FALSE(matches("127.0.0.1", cert.get()));
}

// ---- matching: URIs ------------------------------------------------------------------------

TEST(MatchPeer, UriExact) {
    auto cert = pki().issue(leaf("uri", {}, {}, {"https://Api.Corp/v1/X", "urn:corp:db"}));
    EXPECT_TRUE(matches("https://Api.Corp/v1/X", cert.get()));
    EXPECT_TRUE(matches("https://api.corp/v1/X", cert.get()));  // host: case-insensitive
    EXPECT_TRUE(matches("HTTPS://API.CORP/v1/X", cert.get()));  // scheme: case-insensitive
    EXPECT_TRUE(matches("urn:corp:db", cert.get()));
    EXPECT_TRUE(matches("URN:corp:db", cert.get()));
    EXPECT_FALSE(matches("https://api.corp/v1/x", cert.get()));  // path: case-sensitive
    EXPECT_FALSE(matches("https://api.corp/v1/X/", cert.get()));
    EXPECT_FALSE(matches("https://api.corp/v1", cert.get()));
    EXPECT_FALSE(matches("https://api.corp/v1/X?a=1", cert.get()));
    EXPECT_FALSE(matches("https://api.corp:443/v1/X", cert.get()));
    EXPECT_FALSE(matches("http://api.corp/v1/X", cert.get()));
    EXPECT_FALSE(matches("urn:corp:DB", cert.get()));
    EXPECT_FALSE(matches("api.corp", cert.get()));
}

TEST(MatchPeer, UriUserInfoIsCaseSensitive) {
    auto cert = pki().issue(leaf("uri-user", {}, {}, {"ssh://Admin@Host.corp/x"}));
    EXPECT_TRUE(matches("ssh://Admin@host.corp/x", cert.get()));
    EXPECT_FALSE(matches("ssh://admin@host.corp/x", cert.get()));
}

TEST(MatchPeer, NonSpiffeUrisIgnoreSvidRules) {
    auto cert = pki().issue(leaf("uri-two", {}, {}, {"https://a.corp/", "https://b.corp/"}));
    EXPECT_TRUE(matches("https://a.corp/", cert.get()));
    EXPECT_TRUE(matches("https://b.corp/", cert.get()));
}

// ---- matching: SPIFFE ----------------------------------------------------------------------

TEST(MatchPeer, SpiffeExactPrefixAndTrustDomain) {
    auto cert = pki().issue(leaf("svid", {"db.corp"}, {}, {"spiffe://corp/a/b"}));
    EXPECT_TRUE(matches("spiffe://corp/a/b", cert.get()));
    EXPECT_TRUE(matches("URI:spiffe://corp/a/b", cert.get()));
    EXPECT_TRUE(matches("spiffe://corp/a/*", cert.get()));
    EXPECT_TRUE(matches("spiffe://corp/*", cert.get()));
    EXPECT_TRUE(matches("spiffe://corp", cert.get()));
    EXPECT_TRUE(matches("db.corp", cert.get()));  // other SAN types still work on an SVID

    EXPECT_FALSE(matches("spiffe://corp/a", cert.get()));
    EXPECT_FALSE(matches("spiffe://corp/a/b/c", cert.get()));
    EXPECT_FALSE(matches("spiffe://corp/a/b/*", cert.get()));  // a prefix never matches itself
    EXPECT_FALSE(matches("spiffe://corp/A/b", cert.get()));    // paths are case-sensitive
    EXPECT_FALSE(matches("spiffe://corp2", cert.get()));
    EXPECT_FALSE(matches("spiffe://cor", cert.get()));  // trust domains compare whole
    EXPECT_FALSE(matches("spiffe://cor/*", cert.get()));
    EXPECT_FALSE(matches("spiffe://other/a/b", cert.get()));
    EXPECT_FALSE(matches("spiffe://corp/a/b.", cert.get()));
}

TEST(MatchPeer, SpiffePrefixRespectsSegmentBoundaries) {
    auto ab = pki().issue(leaf("svid-ab", {}, {}, {"spiffe://corp/ab"}));
    EXPECT_FALSE(matches("spiffe://corp/a/*", ab.get()));
    EXPECT_TRUE(matches("spiffe://corp/ab", ab.get()));

    auto deep = pki().issue(leaf("svid-deep", {}, {}, {"spiffe://corp/a/b/c/d"}));
    EXPECT_TRUE(matches("spiffe://corp/a/*", deep.get()));
    EXPECT_TRUE(matches("spiffe://corp/a/b/c/*", deep.get()));
    EXPECT_FALSE(matches("spiffe://corp/a/b/c/d/*", deep.get()));

    // A trust domain that is a prefix of another does not cover it.
    auto longer = pki().issue(leaf("svid-td", {}, {}, {"spiffe://corp.example/a"}));
    EXPECT_FALSE(matches("spiffe://corp", longer.get()));
    EXPECT_TRUE(matches("spiffe://corp.example", longer.get()));
}

TEST(MatchPeer, SpiffeMismatchReason) {
    auto cert = pki().issue(leaf("svid-reason", {}, {}, {"spiffe://corp/web"}));
    auto r = match_peer(parse_target_name("spiffe://corp/db"), cert.get());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.reason,
              "peer certificate does not match target name 'spiffe://corp/db' (presented: "
              "URI:spiffe://corp/web)");
}

// ---- X509-SVID leaf rules ------------------------------------------------------------------

void expect_svid_rule(X509* cert, const std::string& target, const std::string& rule) {
    SCOPED_TRACE(target);
    auto r = match_peer(parse_target_name(target), cert);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.reason.find("is not a valid X509-SVID for target name '" + target + "'"),
              std::string::npos)
        << r.reason;
    EXPECT_NE(r.reason.find("X509-SVID rule: "), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find(rule), std::string::npos) << r.reason;
    std::string why;
    EXPECT_FALSE(ssx::tls::svid_spiffe_id(cert, &why).has_value());
    EXPECT_NE(why.find(rule), std::string::npos) << why;
}

TEST(SvidRules, ValidSvidHasSpiffeId) {
    auto cert = pki().issue(leaf("svid-ok", {"db.corp"}, {"192.0.2.7"}, {"spiffe://corp/db"}));
    EXPECT_EQ(ssx::tls::svid_spiffe_id(cert.get()).value_or(""), "spiffe://corp/db");
}

TEST(SvidRules, TwoUriSans) {
    auto cert = pki().issue(leaf("svid-two", {}, {}, {"spiffe://corp/a", "https://corp/a"}));
    for (const char* t : {"spiffe://corp/a", "spiffe://corp/*", "spiffe://corp"}) {
        expect_svid_rule(cert.get(), t, "exactly one URI SAN (it has 2)");
    }
    // The extra URI is still an exact URI identity.
    EXPECT_TRUE(matches("https://corp/a", cert.get()));

    auto two_spiffe =
        pki().issue(leaf("svid-two-spiffe", {}, {}, {"spiffe://corp/a", "spiffe://corp/b"}));
    expect_svid_rule(two_spiffe.get(), "spiffe://corp/a", "exactly one URI SAN (it has 2)");
}

TEST(SvidRules, NoUriSan) {
    auto cert = pki().issue(leaf("svid-none", {"corp"}));
    expect_svid_rule(cert.get(), "spiffe://corp", "exactly one URI SAN (it has 0)");
}

TEST(SvidRules, CaAsLeaf) {
    auto o = leaf("svid-ca", {}, {}, {"spiffe://corp/ca-leaf"});
    o.is_ca = true;
    auto cert = pki().issue(o);
    expect_svid_rule(cert.get(), "spiffe://corp/ca-leaf", "must not be a CA");
}

TEST(SvidRules, KeyCertSignOrCrlSignWithoutCa) {
    auto cert_sign = handmade({{GEN_URI, "spiffe://corp/db"}},
                              {{NID_basic_constraints, "critical,CA:FALSE"},
                               {NID_key_usage, "critical,digitalSignature,keyCertSign"}});
    expect_svid_rule(cert_sign.get(), "spiffe://corp/db", "keyCertSign or cRLSign");
    auto crl_sign = handmade({{GEN_URI, "spiffe://corp/db"}},
                             {{NID_key_usage, "critical,digitalSignature,cRLSign"}});
    expect_svid_rule(crl_sign.get(), "spiffe://corp/*", "keyCertSign or cRLSign");
    auto fine = handmade({{GEN_URI, "spiffe://corp/db"}},
                         {{NID_key_usage, "critical,digitalSignature"}});
    EXPECT_TRUE(matches("spiffe://corp/db", fine.get()));
}

TEST(SvidRules, InvalidSpiffeIdInCertificate) {
    auto root = pki().issue(leaf("svid-root", {}, {}, {"spiffe://corp"}));
    expect_svid_rule(root.get(), "spiffe://corp", "must have a path");
    auto upper = pki().issue(leaf("svid-upper", {}, {}, {"spiffe://Corp/db"}));
    expect_svid_rule(upper.get(), "spiffe://corp", "not a valid SPIFFE ID");
    auto dots = pki().issue(leaf("svid-dots", {}, {}, {"spiffe://corp/a/../b"}));
    expect_svid_rule(dots.get(), "spiffe://corp/*", "not a valid SPIFFE ID");
    auto star = pki().issue(leaf("svid-star", {}, {}, {"spiffe://corp/a/*"}));
    expect_svid_rule(star.get(), "spiffe://corp/a/*", "'*' is not allowed");
    auto scheme = pki().issue(leaf("svid-scheme", {}, {}, {"SPIFFE://corp/db"}));
    expect_svid_rule(scheme.get(), "spiffe://corp/db", "lower case");
    auto https = pki().issue(leaf("svid-https", {}, {}, {"https://corp/db"}));
    expect_svid_rule(https.get(), "spiffe://corp/db", "spiffe://<trust domain>/<path>");
    auto nul = handmade({{GEN_URI, std::string("spiffe://corp/db\0x", 18)}}, {});
    expect_svid_rule(nul.get(), "spiffe://corp/db", "not a valid SPIFFE ID");
}

// ---- SPNs against certificates -------------------------------------------------------------

TEST(MatchPeer, WindowsSpnsMatchByHost) {
    auto cert = pki().issue(leaf("spn", {"db.corp"}, {"10.0.0.5"}));
    EXPECT_TRUE(matches("host/db.corp", cert.get()));
    EXPECT_TRUE(matches("host/db.corp:443/svc", cert.get()));
    EXPECT_TRUE(matches("HOST/DB.CORP", cert.get()));
    EXPECT_TRUE(matches("MSSQLSvc/10.0.0.5:1433", cert.get()));
    EXPECT_FALSE(matches("host/web.corp", cert.get()));
    EXPECT_FALSE(matches("http/[::1]:80", cert.get()));

    auto r = match_peer(parse_target_name("host/web.corp:443"), cert.get());
    EXPECT_NE(r.reason.find("target name 'host/web.corp:443'"), std::string::npos) << r.reason;
}

// ---- presented names -----------------------------------------------------------------------

TEST(PresentedNames, ListsEveryTypeInCertificateOrder) {
    auto o = leaf("presented", {"db.corp"}, {"192.0.2.7", "2001:db8::1"}, {"spiffe://corp/db"});
    o.email = {"ops@corp"};
    auto cert = pki().issue(o);
    EXPECT_EQ(ssx::tls::presented_names(cert.get()),
              "DNS:db.corp, IP:192.0.2.7, IP:2001:db8::1, URI:spiffe://corp/db, email:ops@corp");
}

TEST(PresentedNames, TruncatesLongLists) {
    std::vector<std::string> dns;
    for (int i = 0; i < 20; ++i) dns.push_back("h" + std::to_string(i) + ".corp");
    auto cert = pki().issue(leaf("presented-many", dns));
    auto text = ssx::tls::presented_names(cert.get());
    EXPECT_NE(text.find("DNS:h15.corp, ... (4 more)"), std::string::npos) << text;
    EXPECT_EQ(text.find("h16.corp"), std::string::npos) << text;
    EXPECT_EQ(ssx::tls::san_names(cert.get()).size(), 20u);
}

TEST(MatchPeer, NullCertificate) {
    auto r = match_peer(parse_target_name("db.corp"), nullptr);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.reason.find("no peer certificate"), std::string::npos);
    EXPECT_EQ(ssx::tls::presented_names(nullptr), "no subject alternative names");
    EXPECT_FALSE(ssx::tls::svid_spiffe_id(nullptr).has_value());
}

}  // namespace
