// Principals (what a token reports about a verified peer) and the identity map (which local
// account a peer becomes), against certificates from the development PKI.
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "identity/principal.hpp"
#include "provider/tls/name_match.hpp"
#include "pki/dev_pki.hpp"
#include "ssx/ssx.h"

namespace fs = std::filesystem;
using ssx::identity::Account;
using ssx::identity::map_account;
using ssx::identity::Principal;
using ssx::policy::IdentityMapEntry;

namespace {

class Pki {
public:
    Pki() {
        std::string tmpl = (fs::temp_directory_path() / "ssx-identity-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        root_ = tmpl;
        ssx::pki::init_ca(dir());
    }
    ~Pki() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    fs::path dir() const { return root_ / "pki"; }
    fs::path pem(const std::string& name) const { return dir() / (name + ".pem"); }
    ssx::ossl::X509Ptr issue(const ssx::pki::LeafOptions& o) {
        ssx::pki::issue(dir(), o);
        return std::move(read_all(pem(o.name)).at(0));
    }
    // Every certificate in a PEM file, in file order.
    static std::vector<ssx::ossl::X509Ptr> read_all(const fs::path& file) {
        ssx::ossl::Bio bio(BIO_new_file(file.c_str(), "r"));
        if (!bio) throw std::runtime_error("cannot open " + file.string());
        std::vector<ssx::ossl::X509Ptr> out;
        while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
        ERR_clear_error();  // the read that ends the loop leaves "no start line"
        if (out.empty()) throw std::runtime_error("no certificate in " + file.string());
        return out;
    }

private:
    fs::path root_;
};

Pki& pki() {
    static Pki instance;
    return instance;
}

ssx::pki::LeafOptions leaf(std::string name, std::vector<std::string> dns = {},
                           std::vector<std::string> ip = {}, std::vector<std::string> uri = {},
                           std::vector<std::string> email = {}) {
    ssx::pki::LeafOptions o;
    o.name = std::move(name);
    o.dns = std::move(dns);
    o.ip = std::move(ip);
    o.uri = std::move(uri);
    o.email = std::move(email);
    return o;
}

std::vector<unsigned char> der(X509* x) {
    unsigned char* buf = nullptr;
    int len = i2d_X509(x, &buf);
    std::vector<unsigned char> out(buf, buf + std::max(len, 0));
    OPENSSL_free(buf);
    return out;
}

std::string run(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (!p) return out;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
    return out;
}

std::shared_ptr<const Principal> principal_of(X509* leaf) {
    return Principal::from_certificate(leaf, nullptr, std::nullopt);
}

// ---- Principal -----------------------------------------------------------------------------

TEST(Principal, NamesInCertificateOrderWithTypePrefixes) {
    auto cert = pki().issue(leaf("all-names", {"db.corp", "www.corp"}, {"192.0.2.7", "2001:db8::1"},
                                 {"https://corp/db"}, {"ops@corp"}));
    auto p = principal_of(cert.get());
    EXPECT_EQ(p->names(), (std::vector<std::string>{"DNS:db.corp", "DNS:www.corp", "IP:192.0.2.7",
                                                    "IP:2001:db8::1", "URI:https://corp/db",
                                                    "email:ops@corp"}));
    EXPECT_EQ(p->subject(), "CN=all-names");
    EXPECT_EQ(p->spiffe_id(), "");  // one URI SAN, but not a SPIFFE ID
    EXPECT_EQ(p->name(), "db.corp");
    EXPECT_EQ(p->account(), nullptr);
}

TEST(Principal, FingerprintIsSha256OfDerLikeOpenSslCommand) {
    auto cert = pki().issue(leaf("fingerprint", {"db.corp"}));
    auto p = principal_of(cert.get());
    const std::string& fp = p->fingerprint();
    ASSERT_EQ(fp.size(), 64u);
    EXPECT_TRUE(std::all_of(fp.begin(), fp.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    })) << fp;

    // Independently: SHA-256 over the DER encoding.
    auto bytes = der(cert.get());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ASSERT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr), 1);
    std::string expected;
    char hex[3];
    for (unsigned int i = 0; i < len; ++i) {
        snprintf(hex, sizeof hex, "%02X", md[i]);
        expected += hex;
    }
    EXPECT_EQ(fp, expected);

    // And as `openssl x509 -fingerprint -sha256` prints it, without the colons.
    std::string out = run("openssl x509 -noout -fingerprint -sha256 -in '" +
                          pki().pem("fingerprint").string() + "' 2>/dev/null");
    auto eq = out.find('=');
    ASSERT_NE(eq, std::string::npos) << "openssl printed: " << out;
    std::string printed;
    for (char c : out.substr(eq + 1)) {
        if (c != ':' && c != '\n') printed += c;
    }
    EXPECT_EQ(fp, printed);
}

TEST(Principal, ChainLeafFirstWithoutDuplicate) {
    auto certs = Pki::read_all(pki().dir() / "ca.pem");
    auto leaf_cert = pki().issue(leaf("chain", {"db.corp"}));
    auto file = Pki::read_all(pki().pem("chain"));  // leaf, then the CA
    ASSERT_EQ(file.size(), 2u);
    X509* ca = certs.at(0).get();

    // No chain (a resumed session): the leaf alone.
    auto alone = principal_of(leaf_cert.get());
    ASSERT_EQ(alone->chain_length(), 1u);
    EXPECT_EQ(alone->chain_der(0), der(leaf_cert.get()));

    // chain[0] is the leaf: it is not repeated.
    STACK_OF(X509)* chain = sk_X509_new_null();
    sk_X509_push(chain, file[0].get());
    sk_X509_push(chain, file[1].get());
    auto full = Principal::from_certificate(leaf_cert.get(), chain, std::nullopt);
    ASSERT_EQ(full->chain_length(), 2u);
    EXPECT_EQ(full->chain_der(0), der(leaf_cert.get()));
    EXPECT_EQ(full->chain_der(1), der(ca));

    // A chain that does not start with the leaf is appended after it.
    sk_X509_shift(chain);
    auto rest = Principal::from_certificate(leaf_cert.get(), chain, std::nullopt);
    ASSERT_EQ(rest->chain_length(), 2u);
    EXPECT_EQ(rest->chain_der(0), der(leaf_cert.get()));
    EXPECT_EQ(rest->chain_der(1), der(ca));
    sk_X509_free(chain);  // the stack only borrowed the certificates
}

TEST(Principal, KeepsItsCertificatesAndHandsOutStableDer) {
    auto leaf_cert = pki().issue(leaf("kept", {"db.corp"}));
    const auto expected = der(leaf_cert.get());
    auto p = Principal::from_certificate(leaf_cert.get(), nullptr, std::nullopt);
    leaf_cert.reset();  // the session's reference is gone (the connection was closed)
    ASSERT_EQ(p->chain_length(), 1u);
    const auto& first = p->chain_der(0);
    EXPECT_EQ(first, expected);
    EXPECT_EQ(&p->chain_der(0), &first);  // encoded once: pointers given out stay valid
    EXPECT_THROW(p->chain_der(1), std::out_of_range);
}

TEST(Principal, NamePrecedence) {
    auto svid = pki().issue(leaf("prec-svid", {"db.corp"}, {"192.0.2.7"}, {"spiffe://corp/db"},
                                 {"ops@corp"}));
    auto p = principal_of(svid.get());
    EXPECT_EQ(p->spiffe_id(), "spiffe://corp/db");
    EXPECT_EQ(p->name(), "spiffe://corp/db");

    EXPECT_EQ(principal_of(pki().issue(leaf("prec-dns", {"db.corp"}, {"192.0.2.7"},
                                            {"https://corp/db"}, {"ops@corp"})).get())->name(),
              "db.corp");
    EXPECT_EQ(principal_of(pki().issue(leaf("prec-uri", {}, {"192.0.2.7"}, {"urn:corp:db"},
                                            {"ops@corp"})).get())->name(),
              "urn:corp:db");
    EXPECT_EQ(principal_of(pki().issue(leaf("prec-ip", {}, {"2001:db8::7"}, {}, {"ops@corp"}))
                               .get())->name(),
              "2001:db8::7");
    EXPECT_EQ(principal_of(pki().issue(leaf("prec-email", {}, {}, {}, {"ops@corp"})).get())->name(),
              "ops@corp");
    auto cn = principal_of(pki().issue(leaf("prec-cn")).get());
    EXPECT_TRUE(cn->names().empty());
    EXPECT_EQ(cn->name(), "prec-cn");
}

TEST(Principal, SpiffeIdOnlyForValidSvid) {
    // Two URI SANs: not an SVID, so no SPIFFE ID; the name falls back to the first URI.
    auto two = principal_of(
        pki().issue(leaf("sp-two", {}, {}, {"spiffe://corp/a", "spiffe://corp/b"})).get());
    EXPECT_EQ(two->spiffe_id(), "");
    EXPECT_EQ(two->name(), "spiffe://corp/a");

    auto o = leaf("sp-ca", {}, {}, {"spiffe://corp/ca"});
    o.is_ca = true;
    EXPECT_EQ(principal_of(pki().issue(o).get())->spiffe_id(), "");

    EXPECT_EQ(principal_of(pki().issue(leaf("sp-root", {}, {}, {"spiffe://corp"})).get())
                  ->spiffe_id(),
              "");
}

TEST(Principal, KeepsTheAccount) {
    auto cert = pki().issue(leaf("account", {"db.corp"}));
    Account a;
    a.uid = 1234;
    a.gid = 99;
    a.groups = {99, 100};
    a.user = "svc";
    auto p = Principal::from_certificate(cert.get(), nullptr, a);
    ASSERT_NE(p->account(), nullptr);
    EXPECT_EQ(p->account()->uid, 1234u);
    EXPECT_EQ(p->account()->gid, 99u);
    EXPECT_EQ(p->account()->groups, (std::vector<uint32_t>{99, 100}));
    EXPECT_EQ(p->account()->user, "svc");
}

TEST(Principal, NullCertificateIsAnError) {
    try {
        Principal::from_certificate(nullptr, nullptr, std::nullopt);
        FAIL() << "no error";
    } catch (const ssx::Error& e) {
        EXPECT_EQ(e.code(), SSX_E_NO_PEER_CERT);
    }
}

// ---- map_account ---------------------------------------------------------------------------

IdentityMapEntry entry(std::string peer, int line) {
    IdentityMapEntry e;
    e.peer = std::move(peer);
    e.line = line;
    return e;
}

IdentityMapEntry by_uid(std::string peer, uint32_t uid, int line,
                        std::optional<uint32_t> gid = std::nullopt) {
    auto e = entry(std::move(peer), line);
    e.uid = uid;
    e.gid = gid;
    return e;
}

IdentityMapEntry by_user(std::string peer, std::string user, int line,
                         std::optional<uint32_t> gid = std::nullopt) {
    auto e = entry(std::move(peer), line);
    e.user = std::move(user);
    e.gid = gid;
    return e;
}

ssx::Error map_error(X509* cert, const std::vector<IdentityMapEntry>& map) {
    try {
        map_account(cert, map);
    } catch (const ssx::Error& e) {
        return e;
    }
    ADD_FAILURE() << "map_account did not fail";
    return ssx::Error(0, "");
}

class IdentityMap : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cert_ = pki().issue(leaf("mapped", {"db.corp"}, {"192.0.2.7"}, {"spiffe://corp/db"})).release();
    }
    static void TearDownTestSuite() {
        X509_free(cert_);
        cert_ = nullptr;
    }
    static X509* cert_;
};
X509* IdentityMap::cert_ = nullptr;

TEST_F(IdentityMap, ByUid) {
    auto a = map_account(cert_, {by_uid("spiffe://corp/*", 1234, 3)});
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->uid, 1234u);
    EXPECT_EQ(a->gid, 1234u);
    EXPECT_EQ(a->groups, (std::vector<uint32_t>{1234}));
    EXPECT_EQ(a->user, "");

    auto g = map_account(cert_, {by_uid("192.0.2.7", 1234, 3, 99)});
    ASSERT_TRUE(g.has_value());
    EXPECT_EQ(g->gid, 99u);
    EXPECT_EQ(g->groups, (std::vector<uint32_t>{99}));
}

TEST_F(IdentityMap, ByUserNobody) {
    const passwd* pw = getpwnam("nobody");
    ASSERT_NE(pw, nullptr) << "Debian always has 'nobody'";
    const uid_t uid = pw->pw_uid;
    const gid_t gid = pw->pw_gid;

    auto a = map_account(cert_, {by_user("db.corp", "nobody", 5)});
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->user, "nobody");
    EXPECT_EQ(a->uid, uid);
    EXPECT_EQ(a->gid, gid);

    // Groups as `id -G nobody` reports them (primary first, then supplementary).
    std::vector<uint32_t> expected;
    std::istringstream ids(run("id -G nobody"));
    for (uint32_t g; ids >> g;) expected.push_back(g);
    ASSERT_FALSE(expected.empty());
    auto got = a->groups, want = expected;
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    EXPECT_NE(std::find(a->groups.begin(), a->groups.end(), gid), a->groups.end());
}

TEST_F(IdentityMap, ByUserWithExplicitGid) {
    auto a = map_account(cert_, {by_user("db.corp", "nobody", 5, 4242)});
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->gid, 4242u);
    EXPECT_NE(std::find(a->groups.begin(), a->groups.end(), 4242u), a->groups.end());
}

TEST_F(IdentityMap, UnknownUserIsDenied) {
    auto e = map_error(cert_, {by_user("db.corp", "ssx-no-such-user-x", 7)});
    EXPECT_EQ(e.code(), SSX_E_IMPERSONATION_DENIED);
    EXPECT_NE(e.message().find(
                  "identity_map line 7: user 'ssx-no-such-user-x' does not exist on this host"),
              std::string::npos)
        << e.message();
}

TEST_F(IdentityMap, UserAndConflictingUidIsDenied) {
    auto e = by_user("db.corp", "nobody", 9);
    e.uid = 1;
    auto err = map_error(cert_, {e});
    EXPECT_EQ(err.code(), SSX_E_IMPERSONATION_DENIED);
    EXPECT_NE(err.message().find("identity_map line 9"), std::string::npos) << err.message();
}

TEST_F(IdentityMap, FirstMatchWins) {
    std::vector<IdentityMapEntry> map = {by_uid("other.corp", 1, 1), by_uid("db.corp", 2, 2),
                                         by_uid("spiffe://corp/*", 3, 3)};
    EXPECT_EQ(map_account(cert_, map)->uid, 2u);
    std::swap(map[1], map[2]);
    EXPECT_EQ(map_account(cert_, map)->uid, 3u);
    // An unknown user in an entry that does not match is never looked up.
    map.insert(map.begin(), by_user("spiffe://other/*", "ssx-no-such-user-x", 0));
    EXPECT_EQ(map_account(cert_, map)->uid, 3u);
}

TEST_F(IdentityMap, NoMatch) {
    EXPECT_FALSE(map_account(cert_, {}).has_value());
    EXPECT_FALSE(map_account(cert_, {by_uid("spiffe://corp/web", 1, 1), by_uid("10.0.0.1", 2, 2),
                                     by_uid("spiffe://corp/db/*", 3, 3)})
                     .has_value());
    EXPECT_FALSE(map_account(nullptr, {by_uid("db.corp", 1, 1)}).has_value());
}

TEST_F(IdentityMap, SvidRulesApply) {
    auto two = pki().issue(leaf("mapped-two", {}, {}, {"spiffe://corp/db", "https://corp/db"}));
    EXPECT_FALSE(map_account(two.get(), {by_uid("spiffe://corp/*", 1, 1)}).has_value());
    EXPECT_EQ(map_account(two.get(), {by_uid("spiffe://corp/*", 1, 1), by_uid("https://corp/db", 2, 2)})
                  ->uid,
              2u);
}

TEST_F(IdentityMap, BadEntriesArePolicyErrors) {
    auto bad = map_error(cert_, {by_uid("*.corp", 1, 12)});
    EXPECT_EQ(bad.code(), SSX_E_POLICY);
    EXPECT_NE(bad.message().find("identity_map line 12: peer: invalid peer target name '*.corp'"),
              std::string::npos)
        << bad.message();

    auto empty = map_error(cert_, {entry("db.corp", 13)});
    EXPECT_EQ(empty.code(), SSX_E_POLICY);
    EXPECT_NE(empty.message().find("identity_map line 13"), std::string::npos) << empty.message();
}

}  // namespace

namespace {

// Authorization is not server identity: a certificate for "*.svc.corp" proves the target name
// "admin.svc.corp" to a client (RFC 6125), but must never be mapped to admin's local account.
TEST(IdentityMapWildcards, AWildcardCertificateNeverMapsToASpecificName) {
    ssx::ossl::X509Ptr wildcard = pki().issue(leaf("wildcard", {"*.svc.corp"}));
    const auto target = ssx::tls::parse_target_name("admin.svc.corp");
    EXPECT_TRUE(ssx::tls::match_peer(target, wildcard.get()).ok) << "server identity: wildcards apply";
    EXPECT_FALSE(map_account(wildcard.get(), {by_uid("admin.svc.corp", 1234, 1)}).has_value())
        << "authorization: a wildcard certificate must not stand in for admin.svc.corp";
    // The exact name still maps.
    ssx::ossl::X509Ptr exact = pki().issue(leaf("admin", {"admin.svc.corp"}));
    EXPECT_TRUE(map_account(exact.get(), {by_uid("admin.svc.corp", 1234, 1)}).has_value());
}

}  // namespace
