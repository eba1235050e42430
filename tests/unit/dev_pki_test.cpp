// ssx::pki (core/pki): the development CA and leaves must be real, verifiable X.509 with exactly
// the extensions asked for, keys must never be readable by others, and bad input must be refused
// with SSX_E_INVALID_ARGUMENT before anything is written.
#include "pki/dev_pki.hpp"

#include <gtest/gtest.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <toml++/toml.h>

#include "common/error.hpp"
#include "common/openssl_ptr.hpp"
#include "ssx/ssx.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using BigNum = std::unique_ptr<BIGNUM, ssx::ossl::Deleter<BN_free>>;

class DevPkiTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "ssx-pki-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
        root_ = tmpl;
        dir_ = root_ / "pki";  // does not exist yet: init_ca must create it
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    ssx::pki::LeafOptions leaf(const std::string& name) {
        ssx::pki::LeafOptions o;
        o.name = name;
        o.dns = {"localhost"};
        o.ip = {"127.0.0.1"};
        return o;
    }

    fs::path root_;
    fs::path dir_;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every certificate of a PEM file, in order.
std::vector<ssx::ossl::X509Ptr> load_certs(const fs::path& p) {
    std::vector<ssx::ossl::X509Ptr> out;
    ssx::ossl::Bio bio(BIO_new_file(p.c_str(), "r"));
    if (!bio) return out;
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        out.emplace_back(x);
    ssx::drain_openssl_errors();  // the end-of-file "no start line"
    return out;
}

ssx::ossl::X509Ptr load_cert(const fs::path& p) {
    auto certs = load_certs(p);
    return certs.empty() ? nullptr : std::move(certs.front());
}

ssx::ossl::PKey load_key(const fs::path& p) {
    ssx::ossl::Bio bio(BIO_new_file(p.c_str(), "r"));
    if (!bio) return nullptr;
    return ssx::ossl::PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// X509_verify_cert of the leaf in `chain_file` against the single trust anchor `ca_file`
// (the chain's other certificates are offered as untrusted intermediates). Returns the
// X509_V_* result (X509_V_OK on success).
int verify(const fs::path& chain_file, const fs::path& ca_file) {
    auto chain = load_certs(chain_file);
    if (chain.empty()) return -1;
    ssx::ossl::X509Store store(X509_STORE_new());
    if (X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) return -2;
    std::unique_ptr<STACK_OF(X509), decltype([](STACK_OF(X509) * s) { sk_X509_free(s); })>
        untrusted(sk_X509_new_null());
    for (size_t i = 1; i < chain.size(); ++i)
        sk_X509_push(untrusted.get(), chain[i].get());
    ssx::ossl::X509StoreCtx ctx(X509_STORE_CTX_new());
    if (X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1)
        return -3;
    int ok = X509_verify_cert(ctx.get());
    int err = X509_STORE_CTX_get_error(ctx.get());
    ssx::drain_openssl_errors();
    return ok == 1 ? X509_V_OK : (err == X509_V_OK ? -4 : err);
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0xffffffff;
    return st.st_mode & 07777;
}

// Seconds from now to `t` (negative: in the past).
long seconds_from_now(const ASN1_TIME* t) {
    int days = 0, secs = 0;
    if (ASN1_TIME_diff(&days, &secs, nullptr, t) != 1) return 0x7fffffff;
    return days * 86400L + secs;
}

std::string common_name(X509_NAME* name) {
    char buf[256] = {};
    X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof buf);
    return buf;
}

bool ext_critical(X509* cert, int nid) {
    int idx = X509_get_ext_by_NID(cert, nid, -1);
    return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) == 1;
}

struct Sans {
    std::vector<std::string> dns, ip, uri, email;  // ip as raw bytes
};

Sans read_sans(X509* cert) {
    Sans s;
    ssx::ossl::GeneralNames names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return s;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        int type = 0;
        auto* str = static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
        std::string v(reinterpret_cast<const char*>(ASN1_STRING_get0_data(str)),
                      static_cast<size_t>(ASN1_STRING_length(str)));
        if (type == GEN_DNS) s.dns.push_back(v);
        if (type == GEN_IPADD) s.ip.push_back(v);
        if (type == GEN_URI) s.uri.push_back(v);
        if (type == GEN_EMAIL) s.email.push_back(v);
    }
    return s;
}

// Runs `fn` and returns the SSX_E_* code of the ssx::Error it throws (0 if none).
template <class F>
int code_of(F&& fn, std::string* message = nullptr) {
    try {
        fn();
    } catch (const ssx::Error& e) {
        if (message) *message = e.message();
        return e.code();
    }
    return 0;
}

std::set<std::string> entries(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.insert(e.path().filename().string());
    return out;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

int run_openssl_verify(const fs::path& ca, const fs::path& chain) {
    std::string cmd = "openssl verify -CAfile " + shell_quote(ca.string()) + " " +
                      shell_quote(chain.string()) + " >/dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// ---- the CA ---------------------------------------------------------------------------------

TEST_F(DevPkiTest, CaIsSelfSignedP256WithCaExtensions) {
    ssx::pki::init_ca(dir_, {.common_name = "Unit Test CA", .valid_days = 10});
    auto ca = load_cert(dir_ / "ca.pem");
    ASSERT_TRUE(ca);
    X509* x = ca.get();
    EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
    EXPECT_EQ(common_name(X509_get_subject_name(x)), "Unit Test CA");
    EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    EXPECT_EQ(X509_check_issued(x, x), X509_V_OK);
    EXPECT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);

    // basicConstraints critical CA:TRUE pathlen:0; keyUsage critical keyCertSign,cRLSign; SKI.
    EXPECT_TRUE(X509_get_extension_flags(x) & EXFLAG_CA);
    EXPECT_EQ(X509_get_pathlen(x), 0);
    EXPECT_TRUE(ext_critical(x, NID_basic_constraints));
    EXPECT_TRUE(ext_critical(x, NID_key_usage));
    EXPECT_EQ(X509_get_key_usage(x), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_NE(X509_get0_subject_key_id(x), nullptr);
    EXPECT_FALSE(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);

    // Validity now-5min .. now+10 days (a minute of slack for a slow machine).
    EXPECT_NEAR(seconds_from_now(X509_get0_notBefore(x)), -300, 60);
    EXPECT_NEAR(seconds_from_now(X509_get0_notAfter(x)), 10 * 86400, 60);

    // A random, positive serial of about 128 bits (the top bit is cleared, the next bits random).
    BigNum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr));
    ASSERT_TRUE(serial);
    EXPECT_FALSE(BN_is_negative(serial.get()));
    EXPECT_GE(BN_num_bits(serial.get()), 121);
    EXPECT_LE(BN_num_bits(serial.get()), 127);

    // ca.key: unencrypted PKCS#8 PEM of the certificate's P-256 key.
    EXPECT_EQ(slurp(dir_ / "ca.key").rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    auto key = load_key(dir_ / "ca.key");
    ASSERT_TRUE(key);
    EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
    EXPECT_EQ(X509_check_private_key(x, key.get()), 1);
}

TEST_F(DevPkiTest, TwoCasHaveDifferentSerialsAndKeys) {
    ssx::pki::init_ca(dir_);
    ssx::pki::init_ca(root_ / "other");
    auto a = load_cert(dir_ / "ca.pem");
    auto b = load_cert(root_ / "other" / "ca.pem");
    ASSERT_TRUE(a && b);
    EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())),
              0);
    EXPECT_NE(EVP_PKEY_eq(X509_get0_pubkey(a.get()), X509_get0_pubkey(b.get())), 1);
    EXPECT_EQ(common_name(X509_get_subject_name(a.get())), "ssx development CA");
}

TEST_F(DevPkiTest, FolderIs0700AndKeysAre0600EvenWithPermissiveUmask) {
    mode_t old = ::umask(0);  // the modes must come from open()/mkdir(), not from the umask
    ssx::pki::init_ca(dir_ / "nested");
    ssx::pki::issue(dir_ / "nested", leaf("server"));
    ssx::pki::issue(dir_ / "nested", leaf("server"));  // the overwrite path too
    ::umask(old);
    EXPECT_EQ(mode_of(dir_), 0700u);
    EXPECT_EQ(mode_of(dir_ / "nested"), 0700u);
    EXPECT_EQ(mode_of(dir_ / "nested" / "ca.key"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "nested" / "server.key"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "nested" / "ca.pem"), 0644u);
    EXPECT_EQ(mode_of(dir_ / "nested" / "server.pem"), 0644u);
}

TEST_F(DevPkiTest, ExistingFolderKeepsItsMode) {
    fs::create_directory(dir_);
    ::chmod(dir_.c_str(), 0750);
    ssx::pki::init_ca(dir_);
    EXPECT_EQ(mode_of(dir_), 0750u);
    EXPECT_EQ(mode_of(dir_ / "ca.key"), 0600u);
}

TEST_F(DevPkiTest, SecondInitCaIsRefusedAndKeepsTheKey) {
    ssx::pki::init_ca(dir_);
    const std::string key_before = slurp(dir_ / "ca.key");
    const std::string cert_before = slurp(dir_ / "ca.pem");
    std::string msg;
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_); }, &msg), SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(msg.find(dir_.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("already holds a CA (ca.key); choose another folder or delete it"),
              std::string::npos)
        << msg;
    EXPECT_EQ(slurp(dir_ / "ca.key"), key_before);
    EXPECT_EQ(slurp(dir_ / "ca.pem"), cert_before);

    // ca.key alone (or a dangling symlink named ca.key) is still a CA folder: never overwritten.
    fs::remove(dir_ / "ca.pem");
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_); }), SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(slurp(dir_ / "ca.key"), key_before);
    fs::remove(dir_ / "ca.key");
    fs::create_symlink(root_ / "nowhere", dir_ / "ca.key");
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_); }), SSX_E_INVALID_ARGUMENT);
    EXPECT_FALSE(fs::exists(root_ / "nowhere"));
}

TEST_F(DevPkiTest, ConcurrentInitCaCreatesExactlyOneCa) {
    std::atomic<int> ok{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            int c = code_of([&] { ssx::pki::init_ca(dir_); });
            (c == 0 ? ok : refused)++;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(refused.load(), 3);
    auto ca = load_cert(dir_ / "ca.pem");
    auto key = load_key(dir_ / "ca.key");
    ASSERT_TRUE(ca && key);
    EXPECT_EQ(X509_check_private_key(ca.get(), key.get()), 1);
}

TEST_F(DevPkiTest, InitCaRejectsBadOptionsBeforeCreatingAnything) {
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_, {.common_name = "", .valid_days = 1}); }),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_, {.common_name = std::string(65, 'a')}); }),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_, {.common_name = "x", .valid_days = 0}); }),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(dir_, {.common_name = "x", .valid_days = -5}); }),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(DevPkiTest, CaCommonNameIsUtf8AndChecked) {
    ssx::pki::init_ca(dir_, {.common_name = "Entwicklungs-CA \xc3\xbc"});
    auto ca = load_cert(dir_ / "ca.pem");
    ASSERT_TRUE(ca);
    EXPECT_EQ(common_name(X509_get_subject_name(ca.get())), "Entwicklungs-CA \xc3\xbc");
    std::string msg;
    EXPECT_EQ(
        code_of([&] { ssx::pki::init_ca(root_ / "b", {.common_name = "bad \xff utf8"}); }, &msg),
        SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(msg.find("UTF-8"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(root_ / "b" / "ca.key"));
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(root_ / "c", {.common_name = "line\nbreak"}); }),
              SSX_E_INVALID_ARGUMENT);
}

TEST_F(DevPkiTest, InitCaReportsIoErrorsWithPathAndErrno) {
    std::ofstream(root_ / "file") << "x";
    std::string msg;
    int code = 0, sys = 0;
    try {
        ssx::pki::init_ca(root_ / "file" / "pki");
    } catch (const ssx::Error& e) {
        code = e.code();
        sys = e.sys_errno();
        msg = e.message();
    }
    EXPECT_EQ(code, SSX_E_IO);
    EXPECT_EQ(sys, ENOTDIR);
    EXPECT_NE(msg.find((root_ / "file").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::strerror(ENOTDIR)), std::string::npos) << msg;
    // DIR itself being a file is a usage mistake, not an I/O failure.
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(root_ / "file"); }), SSX_E_INVALID_ARGUMENT);
}

// ---- leaves ---------------------------------------------------------------------------------

TEST_F(DevPkiTest, LeafVerifiesAgainstTheCaAndCarriesEverySan) {
    ssx::pki::init_ca(dir_);
    ssx::pki::LeafOptions o;
    o.name = "db-server_1.corp";
    o.dns = {"localhost", "db.corp.example", "*.svc.example"};
    o.ip = {"127.0.0.1", "::1", "2001:db8::7"};
    o.uri = {"spiffe://corp/db"};
    o.email = {"ops@corp.example"};
    ssx::pki::issue(dir_, o);

    EXPECT_EQ(verify(dir_ / "db-server_1.corp.pem", dir_ / "ca.pem"), X509_V_OK);
    auto cert = load_cert(dir_ / "db-server_1.corp.pem");
    ASSERT_TRUE(cert);
    X509* x = cert.get();
    EXPECT_EQ(common_name(X509_get_subject_name(x)), "db-server_1.corp");

    Sans s = read_sans(x);
    EXPECT_EQ(s.dns, o.dns);
    ASSERT_EQ(s.ip.size(), 3u);
    EXPECT_EQ(s.ip[0], std::string("\x7f\x00\x00\x01", 4));
    EXPECT_EQ(s.ip[1], std::string(15, '\0') + "\x01");
    EXPECT_EQ(s.ip[2].size(), 16u);
    EXPECT_EQ(s.uri, o.uri);
    EXPECT_EQ(s.email, o.email);
    EXPECT_FALSE(ext_critical(x, NID_subject_alt_name));

    // OpenSSL's own matchers see the same names.
    EXPECT_EQ(X509_check_host(x, "db.corp.example", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(x, "a.svc.example", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(x, "other.example", 0, 0, nullptr), 0);
    EXPECT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
    EXPECT_EQ(X509_check_email(x, "ops@corp.example", 0, 0), 1);
}

TEST_F(DevPkiTest, LeafHasLeafExtensionsLinkedToTheCa) {
    ssx::pki::init_ca(dir_);
    ssx::pki::issue(dir_, leaf("server"));
    auto ca = load_cert(dir_ / "ca.pem");
    auto cert = load_cert(dir_ / "server.pem");
    ASSERT_TRUE(ca && cert);
    X509* x = cert.get();
    EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
    EXPECT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca.get())), 0);
    EXPECT_FALSE(X509_get_extension_flags(x) & EXFLAG_CA);
    EXPECT_TRUE(X509_get_extension_flags(x) & EXFLAG_BCONS);  // present, saying CA:FALSE
    EXPECT_TRUE(ext_critical(x, NID_basic_constraints));
    EXPECT_TRUE(ext_critical(x, NID_key_usage));
    EXPECT_EQ(X509_get_key_usage(x), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
    ASSERT_NE(X509_get0_subject_key_id(x), nullptr);
    ASSERT_NE(X509_get0_authority_key_id(x), nullptr);
    EXPECT_EQ(
        ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(ca.get())),
        0);
    EXPECT_NE(
        ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(x), X509_get0_subject_key_id(ca.get())), 0);
    EXPECT_NEAR(seconds_from_now(X509_get0_notBefore(x)), -300, 60);
    EXPECT_NEAR(seconds_from_now(X509_get0_notAfter(x)), 365 * 86400, 60);
}

TEST_F(DevPkiTest, ChainFileIsLeafThenCa) {
    ssx::pki::init_ca(dir_);
    ssx::pki::issue(dir_, leaf("server"));
    auto chain = load_certs(dir_ / "server.pem");
    auto ca = load_cert(dir_ / "ca.pem");
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(common_name(X509_get_subject_name(chain[0].get())), "server");
    EXPECT_EQ(X509_cmp(chain[1].get(), ca.get()), 0);
}

TEST_F(DevPkiTest, LeafKeyIsPkcs8P256AndMatchesTheCertificate) {
    ssx::pki::init_ca(dir_);
    ssx::pki::issue(dir_, leaf("client"));
    EXPECT_EQ(slurp(dir_ / "client.key").rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    auto key = load_key(dir_ / "client.key");
    auto cert = load_cert(dir_ / "client.pem");
    auto ca_key = load_key(dir_ / "ca.key");
    ASSERT_TRUE(key && cert && ca_key);
    EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
    EXPECT_EQ(X509_check_private_key(cert.get(), ca_key.get()), 0);
    ssx::drain_openssl_errors();
}

TEST_F(DevPkiTest, ExtendedKeyUsageFollowsTheFlags) {
    ssx::pki::init_ca(dir_);
    struct Case {
        const char* name;
        bool server, client;
        uint32_t xku;
    } cases[] = {
        {"both", true, true, XKU_SSL_SERVER | XKU_SSL_CLIENT},
        {"server-only", true, false, XKU_SSL_SERVER},
        {"client-only", false, true, XKU_SSL_CLIENT},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto o = leaf(c.name);
        o.server = c.server;
        o.client = c.client;
        ssx::pki::issue(dir_, o);
        auto cert = load_cert(dir_ / (std::string(c.name) + ".pem"));
        ASSERT_TRUE(cert);
        EXPECT_TRUE(X509_get_extension_flags(cert.get()) & EXFLAG_XKUSAGE);
        EXPECT_FALSE(ext_critical(cert.get(), NID_ext_key_usage));
        EXPECT_EQ(X509_get_extended_key_usage(cert.get()), c.xku);
        EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), c.server ? 1 : 0);
        EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), c.client ? 1 : 0);
    }
    // Neither flag: no extendedKeyUsage extension at all (RFC 5280: any purpose).
    auto o = leaf("no-eku");
    o.server = o.client = false;
    ssx::pki::issue(dir_, o);
    auto cert = load_cert(dir_ / "no-eku.pem");
    ASSERT_TRUE(cert);
    EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_ext_key_usage, -1), 0);
}

TEST_F(DevPkiTest, CaFlagLeafIsACaCertificate) {
    ssx::pki::init_ca(dir_);
    auto o = leaf("svid-ca");
    o.is_ca = true;
    ssx::pki::issue(dir_, o);
    auto cert = load_cert(dir_ / "svid-ca.pem");
    ASSERT_TRUE(cert);
    EXPECT_TRUE(X509_get_extension_flags(cert.get()) & EXFLAG_CA);
    EXPECT_TRUE(ext_critical(cert.get(), NID_basic_constraints));
    EXPECT_EQ(X509_get_key_usage(cert.get()),
              static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN));
    // Still signed by the CA: as the last certificate of the path, pathlen:0 is respected.
    EXPECT_EQ(verify(dir_ / "svid-ca.pem", dir_ / "ca.pem"), X509_V_OK);
}

TEST_F(DevPkiTest, ExpiredLeafFailsVerificationAsExpired) {
    ssx::pki::init_ca(dir_);
    auto o = leaf("expired");
    o.not_before_offset = -std::chrono::hours(48);
    o.not_after_offset = -std::chrono::hours(24);
    ssx::pki::issue(dir_, o);
    EXPECT_EQ(verify(dir_ / "expired.pem", dir_ / "ca.pem"), X509_V_ERR_CERT_HAS_EXPIRED);
    auto cert = load_cert(dir_ / "expired.pem");
    EXPECT_NEAR(seconds_from_now(X509_get0_notAfter(cert.get())), -86400, 60);
    EXPECT_NE(run_openssl_verify(dir_ / "ca.pem", dir_ / "expired.pem"), 0);
}

TEST_F(DevPkiTest, FutureLeafFailsVerificationAsNotYetValid) {
    ssx::pki::init_ca(dir_);
    auto o = leaf("future");
    o.not_before_offset = std::chrono::hours(24);
    o.not_after_offset = std::chrono::hours(48);
    ssx::pki::issue(dir_, o);
    EXPECT_EQ(verify(dir_ / "future.pem", dir_ / "ca.pem"), X509_V_ERR_CERT_NOT_YET_VALID);
    auto cert = load_cert(dir_ / "future.pem");
    EXPECT_NEAR(seconds_from_now(X509_get0_notBefore(cert.get())), 86400, 60);
}

TEST_F(DevPkiTest, LeafFromAnotherCaDoesNotVerify) {
    ssx::pki::init_ca(dir_);
    ssx::pki::init_ca(root_ / "other");
    ssx::pki::issue(root_ / "other", leaf("stranger"));
    EXPECT_NE(verify(root_ / "other" / "stranger.pem", dir_ / "ca.pem"), X509_V_OK);
    EXPECT_NE(run_openssl_verify(dir_ / "ca.pem", root_ / "other" / "stranger.pem"), 0);
}

TEST_F(DevPkiTest, OpensslCommandAgrees) {
    ssx::pki::init_ca(dir_);
    ssx::pki::issue(dir_, leaf("server"));
    EXPECT_EQ(run_openssl_verify(dir_ / "ca.pem", dir_ / "server.pem"), 0);
    // The key file is readable by the openssl command as an EC key too.
    std::string cmd = "openssl pkey -in " + shell_quote((dir_ / "server.key").string()) +
                      " -noout >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(DevPkiTest, IssueOverwritesALeafWithoutLeavingTemporaryFiles) {
    ssx::pki::init_ca(dir_);
    ssx::pki::issue(dir_, leaf("server"));
    auto first = load_cert(dir_ / "server.pem");
    ssx::pki::issue(dir_, leaf("server"));
    auto second = load_cert(dir_ / "server.pem");
    auto key = load_key(dir_ / "server.key");
    ASSERT_TRUE(first && second && key);
    EXPECT_NE(X509_cmp(first.get(), second.get()), 0);
    EXPECT_EQ(X509_check_private_key(second.get(), key.get()), 1);
    EXPECT_EQ(entries(dir_),
              (std::set<std::string>{"ca.key", "ca.pem", "server.key", "server.pem"}));
}

TEST_F(DevPkiTest, ConcurrentIssueOfOneNameLeavesAMatchingPair) {
    ssx::pki::init_ca(dir_);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int round = 0; round < 5; ++round)
                if (code_of([&] { ssx::pki::issue(dir_, leaf("shared")); }) != 0) ++failures;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    auto cert = load_cert(dir_ / "shared.pem");
    auto key = load_key(dir_ / "shared.key");
    ASSERT_TRUE(cert && key);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
    EXPECT_EQ(entries(dir_),
              (std::set<std::string>{"ca.key", "ca.pem", "shared.key", "shared.pem"}));
}

TEST_F(DevPkiTest, IssueWithoutCaIsRefused) {
    std::string msg;
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, leaf("server")); }, &msg),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(msg.find("holds no CA"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(DevPkiTest, EmptyFolderPathIsRefused) {
    EXPECT_EQ(code_of([&] { ssx::pki::init_ca(""); }), SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(code_of([&] { ssx::pki::issue("", leaf("server")); }), SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(code_of([&] { ssx::pki::write_policy("", "server"); }), SSX_E_INVALID_ARGUMENT);
}

TEST_F(DevPkiTest, IssueRefusesAMismatchedCaKey) {
    ssx::pki::init_ca(dir_);
    ssx::pki::init_ca(root_ / "other");
    fs::copy_file(root_ / "other" / "ca.key", dir_ / "ca.key",
                  fs::copy_options::overwrite_existing);
    std::string msg;
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, leaf("server")); }, &msg),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(msg.find("do not belong together"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(dir_ / "server.pem"));
}

TEST_F(DevPkiTest, IssueRefusesAGarbageCaFile) {
    ssx::pki::init_ca(dir_);
    std::ofstream(dir_ / "ca.pem", std::ios::trunc) << "not a certificate\n";
    std::string msg;
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, leaf("server")); }, &msg),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(msg.find("ca.pem"), std::string::npos) << msg;
}

TEST_F(DevPkiTest, NamesAreCheckedBeforeAnythingIsWritten) {
    ssx::pki::init_ca(dir_);
    const char* bad[] = {"",           ".hidden",     ".",     "..",       "a/b",
                         "../escape",  "ca",          "CA",    "Ca",       "sp ace",
                         "semi;colon", "caf\xc3\xa9", "tab\t", "new\nline"};
    for (const char* n : bad) {
        SCOPED_TRACE(n);
        EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, leaf(n)); }), SSX_E_INVALID_ARGUMENT);
        EXPECT_EQ(code_of([&] { ssx::pki::write_policy(dir_, n); }), SSX_E_INVALID_ARGUMENT);
    }
    std::string with_nul("ab\0cd", 5);
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, leaf(with_nul)); }), SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, leaf(std::string(65, 'a'))); }),
              SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(entries(dir_), (std::set<std::string>{"ca.key", "ca.pem"}));
    EXPECT_FALSE(fs::exists(root_ / "escape.pem"));

    // The whole allowed alphabet, at the 64-character limit.
    std::string good = "Az09._-" + std::string(57, 'x');
    ASSERT_EQ(good.size(), 64u);
    ssx::pki::issue(dir_, leaf(good));
    EXPECT_TRUE(fs::exists(dir_ / (good + ".pem")));
    EXPECT_TRUE(fs::exists(dir_ / (good + ".key")));
    ssx::pki::issue(dir_, leaf("ca-server"));  // only "ca" itself is reserved
}

TEST_F(DevPkiTest, BadSanTextIsRejected) {
    ssx::pki::init_ca(dir_);
    auto expect_bad = [&](auto set_field, std::vector<std::string> values) {
        for (const auto& v : values) {
            SCOPED_TRACE(v);
            auto o = leaf("server");
            set_field(o, v);
            std::string msg;
            EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, o); }, &msg), SSX_E_INVALID_ARGUMENT);
            EXPECT_FALSE(msg.empty());
        }
    };
    expect_bad([](auto& o, const std::string& v) { o.ip = {v}; },
               {"", "256.1.1.1", "1.2.3", "127.0.0.1:443", "::1%lo", "fe80::1%eth0", "localhost",
                " 127.0.0.1", "1.2.3.4.5", ":::1"});
    expect_bad([](auto& o, const std::string& v) { o.dns = {v}; },
               {"", "a..b", ".a.com", "a.com.", "-a.com", "a-.com", "a_b.com", "exa mple.com",
                "foo.*.com", "**.a.com", "a.*", std::string(64, 'a') + ".com",
                std::string(50, 'a') + "." + std::string(50, 'a') + "." + std::string(50, 'a') +
                    "." + std::string(50, 'a') + "." + std::string(50, 'a') + ".com",
                "caf\xc3\xa9.com", "a,DNS:evil.com"});
    expect_bad([](auto& o, const std::string& v) { o.uri = {v}; },
               {"", "nocolon", ":x", "1http://x", "spiffe:", "spiffe://a b", "sp iffe://a",
                "spiffe://a\nb", "spi_ffe://a"});
    expect_bad([](auto& o, const std::string& v) { o.email = {v}; },
               {"", "a", "@b", "a@", "a@b@c", "a b@c", "a@b c"});
    EXPECT_FALSE(fs::exists(dir_ / "server.pem"));

    // The accepted forms, for the record.
    auto o = leaf("server");
    o.dns = {"LocalHost", "*.a.example", "xn--bcher-kva.example", "a1-b2.c3"};
    o.ip = {"0.0.0.0", "::", "::ffff:127.0.0.1"};
    o.uri = {"spiffe://corp/db", "urn:x-ssx:test", "https://h.example:8443/p?q=1"};
    o.email = {"first.last+tag@sub.example"};
    ssx::pki::issue(dir_, o);
    EXPECT_EQ(verify(dir_ / "server.pem", dir_ / "ca.pem"), X509_V_OK);
}

TEST_F(DevPkiTest, ValidityOffsetsAreChecked) {
    ssx::pki::init_ca(dir_);
    auto o = leaf("server");
    o.not_before_offset = 10s;
    o.not_after_offset = 10s;
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, o); }), SSX_E_INVALID_ARGUMENT);
    o.not_after_offset = -10s;
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, o); }), SSX_E_INVALID_ARGUMENT);
    o.not_before_offset = 0s;
    o.not_after_offset = std::chrono::hours(24 * 366 * 200);
    EXPECT_EQ(code_of([&] { ssx::pki::issue(dir_, o); }), SSX_E_INVALID_ARGUMENT);
    EXPECT_FALSE(fs::exists(dir_ / "server.pem"));
}

TEST_F(DevPkiTest, LeafWithoutSansHasNoSanExtension) {
    ssx::pki::init_ca(dir_);
    ssx::pki::LeafOptions o;
    o.name = "bare";
    ssx::pki::issue(dir_, o);
    auto cert = load_cert(dir_ / "bare.pem");
    ASSERT_TRUE(cert);
    EXPECT_LT(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1), 0);
    EXPECT_EQ(verify(dir_ / "bare.pem", dir_ / "ca.pem"), X509_V_OK);
}

// ---- policy files ---------------------------------------------------------------------------

TEST_F(DevPkiTest, WritePolicyNamesTheFilesRelatively) {
    ssx::pki::init_ca(dir_);
    ssx::pki::issue(dir_, leaf("server"));
    fs::path p = ssx::pki::write_policy(
        dir_, "server", "min_version = \"1.2\"\n[peer_name]\nverification = \"optional\"");
    EXPECT_EQ(p, dir_ / "server.toml");
    EXPECT_EQ(mode_of(p), 0644u);
    toml::table t;
    try {
        t = toml::parse_file(p.string());
    } catch (const toml::parse_error& e) {
        FAIL() << "not valid TOML: " << e.description();
    }
    EXPECT_EQ(t["tls"]["certificate"].value<std::string>(), "server.pem");
    EXPECT_EQ(t["tls"]["private_key"].value<std::string>(), "server.key");
    EXPECT_EQ(t["tls"]["trust_anchors"].value<std::string>(), "ca.pem");
    EXPECT_EQ(t["tls"]["min_version"].value<std::string>(), "1.2");  // bare keys land in [tls]
    EXPECT_EQ(t["peer_name"]["verification"].value<std::string>(), "optional");
    std::string text = slurp(p);
    EXPECT_NE(text.find("[tls]\ncertificate = \"server.pem\"\n"), std::string::npos) << text;
    EXPECT_EQ(text.back(), '\n');

    // Rewriting replaces the file; without extra text it holds only the [tls] table.
    ssx::pki::write_policy(dir_, "server");
    t = toml::parse_file(p.string());
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t["tls"].as_table()->size(), 3u);
}

TEST_F(DevPkiTest, WritePolicyIntoAMissingFolderIsAnIoError) {
    std::string msg;
    EXPECT_EQ(code_of([&] { ssx::pki::write_policy(root_ / "missing", "server"); }, &msg),
              SSX_E_IO);
    EXPECT_NE(msg.find((root_ / "missing").string()), std::string::npos) << msg;
}

}  // namespace
