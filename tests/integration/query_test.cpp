// ssx_query_socket_security on real connections, from both ends: flags, protocol, TLS version,
// cipher suite, ALPN, verification result; tokens only on request; every token accessor checked
// against the certificate files themselves (fingerprint = SHA-256 of the DER); access rights; size
// negotiation; argument errors; tokens outliving their socket.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <set>

#include "harness.hpp"

namespace ssx::test {
namespace {

// The DER of the first certificate in a PEM file.
std::vector<unsigned char> leaf_der(const std::string& pem_file) {
    std::vector<unsigned char> der;
    FILE* f = std::fopen(pem_file.c_str(), "r");
    if (!f) return der;
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (!cert) return der;
    int n = i2d_X509(cert, nullptr);
    if (n > 0) {
        der.resize(static_cast<size_t>(n));
        unsigned char* p = der.data();
        i2d_X509(cert, &p);
    }
    X509_free(cert);
    return der;
}

std::string sha256_hex(const std::vector<unsigned char>& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    std::string hex;
    char b[3];
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(b, sizeof b, "%02X", md[i]);
        hex += b;
    }
    return hex;
}

// One connection, kept open for the test: the client socket and the server's accepted socket.
class QueryTest : public ::testing::Test {
protected:
    void connect(Identity server, Identity client) {
        listener_ = listen_on(&server);
        auto srv = on_thread([this] { return outcome(ssx_accept(listener_.fd(), nullptr, nullptr)); });
        Outcome c;
        client_ = connect_client(client, "server.test", listener_.address, &c);
        Outcome a = get_within(srv);
        ASSERT_TRUE(succeeded(c));
        ASSERT_TRUE(succeeded(a));
        server_.reset(static_cast<int>(a.result));
    }
    void SetUp() override { connect(identity(pki_, "server"), identity(pki_, "client")); }

    Pki pki_;
    Listener listener_;
    Socket client_, server_;
};

void expect_tls13_details(const ssx_query_info& info) {
    EXPECT_EQ(info.size, sizeof(ssx_query_info));
    EXPECT_EQ(info.protocol, SSX_PROTOCOL_TLS);
    EXPECT_EQ(info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED);
    EXPECT_EQ(info.tls_version, 0x0304u);
    const std::set<std::string> tls13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                         "TLS_CHACHA20_POLY1305_SHA256"};
    EXPECT_TRUE(tls13.count(info.cipher)) << "cipher '" << info.cipher << "'";
    EXPECT_STREQ(info.alpn, "");
    EXPECT_EQ(info.verify_result, 0);
    EXPECT_EQ(info.tls_flags, 0u) << "a first connection is not resumed";
}

TEST_F(QueryTest, BothEndsReportTls13WithoutTokensByDefault) {
    for (int fd : {client_.get(), server_.get()}) {
        Query q = query(fd, 0);
        ASSERT_TRUE(succeeded(q.call));
        expect_tls13_details(q.info);
        EXPECT_EQ(q.info.peer_application_token, nullptr) << "mask 0 must return no token";
        EXPECT_EQ(q.info.peer_machine_token, nullptr);
    }
    // The two ends agree on the suite.
    EXPECT_STREQ(query(client_.get()).info.cipher, query(server_.get()).info.cipher);
    // A NULL template is allowed on stream sockets: same as mask 0.
    ssx_query_info info{};
    size_t len = sizeof info;
    ASSERT_EQ(ssx_query_socket_security(client_.get(), nullptr, &info, &len), 0) << ssx_last_error_message();
    EXPECT_EQ(len, sizeof info);
    EXPECT_EQ(info.peer_application_token, nullptr);
    expect_tls13_details(info);
}

// Every accessor of the token, compared with the peer's certificate file.
void expect_token_of(ssx_token* t, const std::string& pem, const std::string& name,
                     const std::vector<std::string>& names, const std::string& cn) {
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(text_or_null(ssx_token_name(t)), name);
    EXPECT_EQ(text_or_null(ssx_token_spiffe_id(t)), name);
    EXPECT_EQ(text_or_null(ssx_token_subject(t)), "CN=" + cn);
    ASSERT_EQ(ssx_token_name_count(t), names.size());
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(text_or_null(ssx_token_name_at(t, i)), names[i]) << i;
    EXPECT_EQ(ssx_token_name_at(t, names.size()), nullptr);
    EXPECT_TRUE(failed_with(outcome(-1), SSX_E_INVALID_ARGUMENT, EINVAL));

    const std::vector<unsigned char> der = leaf_der(pem);
    ASSERT_FALSE(der.empty()) << pem;
    EXPECT_EQ(text_or_null(ssx_token_fingerprint(t)), sha256_hex(der));
    // The chain as the peer sent it, leaf first; ssx never sends the self-signed root.
    ASSERT_EQ(ssx_token_chain_length(t), 1u);
    size_t len = 0;
    const unsigned char* p = ssx_token_chain_der(t, 0, &len);
    ASSERT_NE(p, nullptr) << ssx_last_error_message();
    EXPECT_EQ(std::vector<unsigned char>(p, p + len), der);
    EXPECT_EQ(ssx_token_chain_der(t, 1, &len), nullptr);
    EXPECT_EQ(ssx_last_error(), SSX_E_INVALID_ARGUMENT);
    EXPECT_EQ(ssx_token_chain_der(t, 0, nullptr), nullptr);
    EXPECT_EQ(ssx_last_error(), SSX_E_NULL_POINTER);

    // No [[identity_map]]: no local account.
    uint32_t uid = 7, gid = 7;
    EXPECT_TRUE(failed_with(outcome(ssx_token_unix_account(t, &uid, &gid)), SSX_E_NOT_FOUND, ENOENT));
    EXPECT_EQ(uid, 7u) << "outputs are written only on success";
    EXPECT_EQ(ssx_token_unix_user(t), nullptr);
    size_t count = 0;
    EXPECT_TRUE(failed_with(outcome(ssx_token_unix_groups(t, nullptr, &count)), SSX_E_NOT_FOUND, ENOENT));
}

TEST_F(QueryTest, TokensDescribeThePeersCertificate) {
    Query server_view = query(server_.get(), SSX_TOKEN_QUERY);
    ASSERT_TRUE(succeeded(server_view.call));
    Token client_token(server_view.info.peer_application_token);
    EXPECT_EQ(server_view.info.peer_machine_token, nullptr) << "documented as NULL in this release";
    ssx_token_close(server_view.info.peer_machine_token);
    expect_token_of(client_token.get(), pki_.cert("client"), "spiffe://test/client",
                    {"DNS:client.test", "URI:spiffe://test/client"}, "client");
    EXPECT_EQ(ssx_token_access_mask(client_token.get()), SSX_TOKEN_QUERY);

    Query client_view = query(client_.get(), SSX_TOKEN_READ);
    ASSERT_TRUE(succeeded(client_view.call));
    Token server_token(client_view.info.peer_application_token);
    expect_token_of(server_token.get(), pki_.cert("server"), "spiffe://test/server",
                    {"DNS:server.test", "IP:127.0.0.1", "IP:::1", "URI:spiffe://test/server"}, "server");
}

TEST_F(QueryTest, ReadingATokenNeedsTokenQuery) {
    Query q = query(server_.get(), SSX_TOKEN_IMPERSONATE | SSX_TOKEN_DUPLICATE);
    ASSERT_TRUE(succeeded(q.call));
    Token t(q.info.peer_application_token);
    ASSERT_TRUE(t) << "a non-zero mask returns a token even without TOKEN_QUERY";
    EXPECT_EQ(ssx_token_access_mask(t.get()), SSX_TOKEN_IMPERSONATE | SSX_TOKEN_DUPLICATE);
    for (const char* (*accessor)(const ssx_token*) :
         {ssx_token_name, ssx_token_subject, ssx_token_spiffe_id, ssx_token_fingerprint}) {
        errno = 0;
        EXPECT_EQ(accessor(t.get()), nullptr);
        EXPECT_TRUE(failed_with(outcome(-1), SSX_E_ACCESS_DENIED, EACCES));
        EXPECT_TRUE(mentions(ssx_last_error_message(), {"SSX_TOKEN_QUERY"}));
    }
    EXPECT_EQ(ssx_token_name_count(t.get()), 0u);
    EXPECT_EQ(ssx_token_chain_length(t.get()), 0u);
    size_t len = 0;
    EXPECT_EQ(ssx_token_chain_der(t.get(), 0, &len), nullptr);
    EXPECT_EQ(ssx_last_error(), SSX_E_ACCESS_DENIED);

    // A duplicate has the same rights; TOKEN_ALL_ACCESS includes QUERY.
    ssx_token* dup = nullptr;
    ASSERT_EQ(ssx_token_duplicate(t.get(), &dup), 0);
    Token d(dup);
    EXPECT_EQ(ssx_token_name(d.get()), nullptr);
    Token all(query(server_.get(), SSX_TOKEN_ALL_ACCESS).info.peer_application_token);
    EXPECT_EQ(text_or_null(ssx_token_name(all.get())), "spiffe://test/client");

    // NULL tokens.
    EXPECT_EQ(ssx_token_name(nullptr), nullptr);
    EXPECT_EQ(ssx_last_error(), SSX_E_NULL_POINTER);
    EXPECT_EQ(ssx_token_access_mask(nullptr), 0u);
    EXPECT_EQ(ssx_token_close(nullptr), 0);
}

TEST_F(QueryTest, TokensOutliveTheirSocket) {
    Token t(query(server_.get(), SSX_TOKEN_QUERY).info.peer_application_token);
    const char* name = ssx_token_name(t.get());
    ASSERT_NE(name, nullptr);
    server_.reset();
    client_.reset();
    EXPECT_EQ(text_or_null(ssx_token_name(t.get())), "spiffe://test/client");
    EXPECT_STREQ(name, "spiffe://test/client") << "strings stay valid until the token is closed";
    EXPECT_EQ(ssx_token_chain_length(t.get()), 1u);
}

TEST_F(QueryTest, FirstReadsFromManyThreadsAgree) {
    // A token's strings and DER are rendered on the first request; threads racing to be first
    // must all get the same, lasting pointers (run under ASan in the test command).
    for (int round = 0; round < 10; ++round) {
        if (round > 0) connect(identity(pki_, "server"), identity(pki_, "client"));  // a fresh peer
        Query q = query(server_.get(), SSX_TOKEN_QUERY);
        ASSERT_TRUE(succeeded(q.call));
        Token t(q.info.peer_application_token);
        constexpr int kThreads = 8;
        std::vector<std::future<std::pair<const char*, const unsigned char*>>> readers;
        for (int i = 0; i < kThreads; ++i) {
            readers.push_back(on_thread([tok = t.get(), i] {
                size_t len = 0;
                // Half start with the DER, half with the name: both render the whole description.
                if (i % 2) {
                    const unsigned char* der = ssx_token_chain_der(tok, 0, &len);
                    return std::make_pair(ssx_token_name(tok), der);
                }
                const char* name = ssx_token_name(tok);
                return std::make_pair(name, ssx_token_chain_der(tok, 0, &len));
            }));
        }
        std::set<std::pair<const char*, const unsigned char*>> seen;
        for (auto& r : readers) seen.insert(get_within(r));
        ASSERT_EQ(seen.size(), 1u) << "round " << round;
        EXPECT_NE(seen.begin()->first, nullptr);
        EXPECT_NE(seen.begin()->second, nullptr);
        EXPECT_EQ(text_or_null(ssx_token_name(t.get())), "spiffe://test/client");
    }
}

TEST_F(QueryTest, SizeNegotiation) {
    EXPECT_EQ(ssx_query_info_size(), sizeof(ssx_query_info));
    EXPECT_EQ(ssx_query_template_size(), sizeof(ssx_query_template));
    ssx_query_template t = SSX_QUERY_TEMPLATE_INIT;
    t.peer_token_access_mask = SSX_TOKEN_QUERY;

    size_t len = 0;
    Outcome o = outcome(ssx_query_socket_security(client_.get(), &t, nullptr, &len));
    EXPECT_TRUE(failed_with(o, SSX_E_BUFFER_TOO_SMALL, EMSGSIZE));
    EXPECT_EQ(len, sizeof(ssx_query_info)) << "the required size is written back";

    ssx_query_info info{};
    len = sizeof info - 1;
    o = outcome(ssx_query_socket_security(client_.get(), &t, &info, &len));
    EXPECT_TRUE(failed_with(o, SSX_E_BUFFER_TOO_SMALL, EMSGSIZE));
    EXPECT_EQ(len, sizeof(ssx_query_info));
    EXPECT_EQ(info.peer_application_token, nullptr) << "no token is handed out by a failed call";

    o = outcome(ssx_query_socket_security(client_.get(), &t, &info, nullptr));
    EXPECT_TRUE(failed_with(o, SSX_E_NULL_POINTER, EFAULT));
    EXPECT_TRUE(mentions(o.message, {"info_len"}));

    // A larger buffer is fine; *info_len becomes the bytes written.
    struct {
        ssx_query_info info;
        char spare[64];
    } big{};
    len = sizeof big;
    ASSERT_EQ(ssx_query_socket_security(client_.get(), &t, &big.info, &len), 0) << ssx_last_error_message();
    EXPECT_EQ(len, sizeof(ssx_query_info));
    ssx_token_close(big.info.peer_application_token);
}

TEST_F(QueryTest, TemplateErrors) {
    ssx_query_info info{};
    size_t len = sizeof info;
    ssx_query_template t = SSX_QUERY_TEMPLATE_INIT;
    t.size = 4;
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(client_.get(), &t, &info, &len)),
                            SSX_E_INVALID_ARGUMENT, EINVAL));
    t = SSX_QUERY_TEMPLATE_INIT;
    for (int32_t ipsec : {SSX_PROTOCOL_IPSEC, SSX_PROTOCOL_IPSEC2}) {
        t.protocol = ipsec;
        Outcome o = outcome(ssx_query_socket_security(client_.get(), &t, &info, &len));
        EXPECT_TRUE(failed_with(o, SSX_E_NOT_SUPPORTED, EOPNOTSUPP));
        EXPECT_TRUE(mentions(o.message, {"IPsec"}));
    }
    t.protocol = 3;
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(client_.get(), &t, &info, &len)),
                            SSX_E_INVALID_ARGUMENT, EINVAL));
    t.protocol = SSX_PROTOCOL_TLS;
    EXPECT_EQ(ssx_query_socket_security(client_.get(), &t, &info, &len), 0) << ssx_last_error_message();
}

TEST_F(QueryTest, SocketsSsxDoesNotSecure) {
    int plain = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    Socket guard(plain);
    ssx_query_info info{};
    size_t len = sizeof info;
    Outcome o = outcome(ssx_query_socket_security(plain, nullptr, &info, &len));
    EXPECT_TRUE(failed_with(o, SSX_E_NO_SECURITY, EINVAL));
    EXPECT_TRUE(mentions(o.message, {"ssx_set_socket_security"}));
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(-1, nullptr, &info, &len)),
                            SSX_E_BAD_DESCRIPTOR, EBADF));
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(p[0], nullptr, &info, &len)), SSX_E_NOT_SOCKET,
                            ENOTSOCK));
    ::close(p[0]);
    ::close(p[1]);
}

// ----- ALPN ---------------------------------------------------------------------------------------

class AlpnTest : public QueryTest {
protected:
    void SetUp() override {}
};

TEST_F(AlpnTest, BothSidesReportTheSelectedProtocol) {
    Identity server = identity(pki_, "server"), client = identity(pki_, "client");
    server.alpn = "http/1.1,ssx-test";
    client.alpn = "ssx-test,http/1.1";
    connect(server, client);
    // The server picks the first of its own list that the client offers.
    EXPECT_STREQ(query(client_.get()).info.alpn, "http/1.1");
    EXPECT_STREQ(query(server_.get()).info.alpn, "http/1.1");
}

TEST_F(AlpnTest, OnlyOneSideSettingAlpnNegotiatesNone) {
    Identity server = identity(pki_, "server"), client = identity(pki_, "client");
    client.alpn = "h2";
    connect(server, client);
    EXPECT_STREQ(query(client_.get()).info.alpn, "");
    EXPECT_STREQ(query(server_.get()).info.alpn, "");
}

TEST_F(AlpnTest, NoCommonProtocolFailsBothSides) {
    Identity server = identity(pki_, "server"), client = identity(pki_, "client");
    server.alpn = "imap";
    client.alpn = "h2";
    Listener l = listen_on(&server);
    auto srv = serve_once(l.fd());
    Outcome c;
    connect_client(client, "server.test", l.address, &c);
    EXPECT_TRUE(failed_with(c, SSX_E_PEER_REJECTED, ECONNREFUSED));
    EXPECT_TRUE(mentions(c.message, {"ALPN"}));
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_HANDSHAKE, ECONNABORTED));
    EXPECT_TRUE(mentions(s.accept.message, {"ALPN"}));
}

}  // namespace
}  // namespace ssx::test
