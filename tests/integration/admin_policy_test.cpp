// The administrator's policy (SSX_POLICY) as applications meet it: credentials from the policy,
// errors naming the file and line, the message for a host with no credentials at all, the
// allow_insecure ban, and the TLS settings (cipher suites, version floor, handshake deadline)
// actually applied to connections.
#include <chrono>
#include <fstream>

#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

class AdminPolicyTest : public ::testing::Test {
protected:
    Pki pki_;

    // Secures a new listener (or client) with NULL settings while SSX_POLICY names `policy`.
    Listener listener_with(const std::string& policy) {
        ScopedEnv env("SSX_POLICY", policy);
        Identity defaults = from_policy();
        return listen_on(&defaults);
    }
    Socket client_with(const std::string& policy, const std::string& target = "server.test") {
        ScopedEnv env("SSX_POLICY", policy);
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        EXPECT_EQ(ssx_set_socket_security(fd, nullptr), 0) << ssx_last_error_message();
        if (!target.empty()) {
            EXPECT_EQ(ssx_set_peer_target_name(fd, nullptr, 0, target.c_str()), 0);
        }
        return Socket(fd);
    }
    Outcome secure_with(const std::string& policy, uint32_t flags = 0) {
        ScopedEnv env("SSX_POLICY", policy);
        Socket fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
        s.flags = flags;
        return outcome(ssx_set_socket_security(fd.get(), &s));
    }
    std::string write_file(const std::string& name, const std::string& text) {
        std::string path = (pki_.dir() / name).string();
        std::ofstream(path) << text;
        return path;
    }
};

TEST_F(AdminPolicyTest, CredentialsComeFromThePolicy) {
    Listener l = listener_with(pki_.policy("server"));
    auto srv = serve_once(l.fd(), [](int fd, Served& s) {
        Token t(query(fd, SSX_TOKEN_QUERY).info.peer_application_token);
        s.received = text_or_null(ssx_token_name(t.get()));
    });
    Socket fd = client_with(pki_.policy("client"));
    Outcome c = connect_to(fd.get(), l.address);
    ASSERT_TRUE(succeeded(c));
    Token t(query(fd.get(), SSX_TOKEN_QUERY).info.peer_application_token);
    EXPECT_EQ(text_or_null(ssx_token_name(t.get())), "spiffe://test/server");
    fd.reset();
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.received, "spiffe://test/client");
}

// Per-socket files replace the policy's; the rest still comes from the policy.
TEST_F(AdminPolicyTest, PerSocketCredentialsOverrideThePolicy) {
    Listener l = listener_with(pki_.policy("server"));
    auto srv = serve_once(l.fd(), [](int fd, Served& s) {
        Token t(query(fd, SSX_TOKEN_QUERY).info.peer_application_token);
        s.received = text_or_null(ssx_token_name(t.get()));
    });
    ScopedEnv env("SSX_POLICY", pki_.policy("server"));  // the client would present "server"...
    Identity client;
    client.cert = pki_.cert("client");  // ...but overrides its certificate and key; trust: policy's
    client.key = pki_.key("client");
    Outcome c;
    Socket fd = connect_client(client, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    fd.reset();
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.received, "spiffe://test/client");
}

TEST_F(AdminPolicyTest, InvalidPolicyNamesFileLineAndKey) {
    std::string path = write_file("bad.toml", "# comment\n[tls]\nmin_version = \"1.1\"\ncertifcate = \"x.pem\"\n");
    Outcome o = secure_with(path);
    EXPECT_TRUE(failed_with(o, SSX_E_POLICY, EINVAL));
    EXPECT_TRUE(mentions(o.message, {path + ":3:", "tls.min_version", path + ":4:", "certificate"}));
    // Per-socket credentials do not make a broken policy acceptable.
    ScopedEnv env("SSX_POLICY", path);
    Socket fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ssx_security_settings s = identity(pki_, "client").settings();
    EXPECT_TRUE(failed_with(outcome(ssx_set_socket_security(fd.get(), &s)), SSX_E_POLICY, EINVAL));
}

TEST_F(AdminPolicyTest, UnreadablePolicyIsAnErrorNotADefault) {
    std::string missing = (pki_.dir() / "missing.toml").string();
    Outcome o = secure_with(missing);
    EXPECT_TRUE(failed_with(o, SSX_E_POLICY, EINVAL));
    EXPECT_TRUE(mentions(o.message, {missing}));
}

TEST_F(AdminPolicyTest, NoPolicyAndNoCredentialsSaysHowToProvideThem) {
    Outcome o = secure_with("");
    EXPECT_TRUE(failed_with(o, SSX_E_NO_CREDENTIALS, ENOENT));
    EXPECT_TRUE(mentions(o.message, {"SSX_POLICY", "certificate_file", "trust_file"}));
}

TEST_F(AdminPolicyTest, AllowInsecureFalseRefusesTheFlag) {
    std::string policy = pki_.policy("client", "allow_insecure = false\n");
    Outcome o = secure_with(policy, SSX_SETTINGS_ALLOW_INSECURE);
    EXPECT_TRUE(failed_with(o, SSX_E_POLICY_FORBIDS, EPERM));
    EXPECT_TRUE(mentions(o.message, {"allow_insecure = false", policy}));
    EXPECT_TRUE(succeeded(secure_with(policy, 0)));
    EXPECT_TRUE(succeeded(secure_with(policy, SSX_SETTINGS_GUARANTEE_ENCRYPTION)));
}

TEST_F(AdminPolicyTest, CipherSuitesAreApplied) {
    Listener l = listener_with(pki_.policy("server", "cipher_suites = \"TLS_CHACHA20_POLY1305_SHA256\"\n"));
    auto srv = serve_once(l.fd());
    Socket fd = client_with(pki_.policy("client"));
    ASSERT_TRUE(succeeded(connect_to(fd.get(), l.address)));
    EXPECT_STREQ(query(fd.get()).info.cipher, "TLS_CHACHA20_POLY1305_SHA256");
    fd.reset();
    Served s = get_within(srv);
    EXPECT_STREQ(s.query.info.cipher, "TLS_CHACHA20_POLY1305_SHA256");
}

TEST_F(AdminPolicyTest, NoCommonCipherSuiteFailsBothSides) {
    Listener l = listener_with(pki_.policy("server", "cipher_suites = \"TLS_CHACHA20_POLY1305_SHA256\"\n"));
    auto srv = serve_once(l.fd());
    Socket fd = client_with(pki_.policy("client", "cipher_suites = \"TLS_AES_256_GCM_SHA384\"\n"));
    Outcome c = connect_to(fd.get(), l.address);
    EXPECT_TRUE(failed_with(c, SSX_E_PROTOCOL_VERSION, EPROTONOSUPPORT));
    EXPECT_TRUE(mentions(c.message, {"cipher"}));
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_PROTOCOL_VERSION, EPROTONOSUPPORT));
    EXPECT_TRUE(mentions(s.accept.message, {"cipher"}));
}

// min_version = "1.2" allows 1.2 but two ssx peers still agree on 1.3 (tests/interop checks a
// TLS 1.2-only peer against both settings).
TEST_F(AdminPolicyTest, MinVersionOneTwoStillNegotiatesOneThree) {
    Listener l = listener_with(pki_.policy("server", "min_version = \"1.2\"\n"));
    auto srv = serve_once(l.fd());
    Socket fd = client_with(pki_.policy("client", "min_version = \"1.2\"\n"));
    ASSERT_TRUE(succeeded(connect_to(fd.get(), l.address)));
    EXPECT_EQ(query(fd.get()).info.tls_version, 0x0304u);
    fd.reset();
    EXPECT_EQ(get_within(srv).query.info.tls_version, 0x0304u);
}

TEST_F(AdminPolicyTest, HandshakeTimeoutComesFromThePolicy) {
    Listener l = listener_with(pki_.policy("server", "handshake_timeout_ms = 300\n"));
    auto srv = serve_once(l.fd());
    Socket silent(plain_connect(l.address));  // connects and says nothing
    const auto start = Clock::now();
    Served s = get_within(srv);
    const auto took = Clock::now() - start;
    EXPECT_TRUE(failed_with(s.accept, SSX_E_TIMEOUT, ETIMEDOUT));
    EXPECT_TRUE(mentions(s.accept.message, {"300 ms", "handshake_timeout_ms"}));
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 3s);
}

// A policy change is picked up by sockets secured afterwards; sockets keep their snapshot.
TEST_F(AdminPolicyTest, ChangingSsxPolicyAffectsOnlyNewSockets) {
    std::string good = pki_.policy("client");
    std::string bad = write_file("bad.toml", "[tls]\nmin_version = 1.3\n");
    EXPECT_TRUE(succeeded(secure_with(good)));
    EXPECT_TRUE(failed_with(secure_with(bad), SSX_E_POLICY, EINVAL));
    EXPECT_TRUE(succeeded(secure_with(good)));
}

}  // namespace
}  // namespace ssx::test
