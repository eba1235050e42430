// SSX_SETTINGS_ALLOW_INSECURE both ways. With the flag: an ssx server serves TLS and clear-text
// clients on one listener, and an ssx client falls back to clear text when the server does not
// speak TLS (greets first, answers a request with an error, or hangs up) — the query then reports
// the connection as not secured. Without the flag the same peers are refused and not one
// application byte reaches them. A certificate or name failure never falls back.
#include <chrono>

#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

const std::string kPayload = "PING application-secret\n";

// The query of a clear-text connection: nothing secured, no TLS details, no tokens.
void expect_clear_text(int fd) {
    Query q = query(fd, SSX_TOKEN_QUERY);
    ASSERT_TRUE(succeeded(q.call));
    EXPECT_EQ(q.info.flags & (SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED), 0u);
    EXPECT_EQ(q.info.protocol, SSX_PROTOCOL_DEFAULT);
    EXPECT_EQ(q.info.tls_version, 0u);
    EXPECT_STREQ(q.info.cipher, "");
    EXPECT_EQ(q.info.peer_application_token, nullptr) << "a clear-text peer proved no identity";
    ssx_token_close(q.info.peer_application_token);
}

void expect_secured(int fd) {
    Query q = query(fd);
    ASSERT_TRUE(succeeded(q.call));
    EXPECT_EQ(q.info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED);
    EXPECT_EQ(q.info.protocol, SSX_PROTOCOL_TLS);
}

class InsecureTest : public ::testing::Test {
protected:
    Pki pki_;
    Identity server_ = identity(pki_, "server");
    Identity client_ = identity(pki_, "client");
    Identity insecure(Identity id) {
        id.flags |= SSX_SETTINGS_ALLOW_INSECURE;
        return id;
    }
};

// ----- Server side --------------------------------------------------------------------------------

TEST_F(InsecureTest, ServerAcceptsClearTextAndTlsClientsOnOneListener) {
    Identity server = insecure(server_);
    Listener l = listen_on(&server);

    // A plain TCP client (it speaks first, as clear-text protocol clients do).
    auto srv = serve_once(l.fd(), [](int fd, Served& s) {
        expect_clear_text(fd);
        std::vector<unsigned char> line;
        s.end = recv_exact(fd, kPayload.size(), &line);
        s.received.assign(line.begin(), line.end());
        send_text(fd, "PONG\n");
    });
    Socket plain(plain_connect(l.address));
    ASSERT_GE(plain.get(), 0);
    ASSERT_TRUE(plain_send(plain.get(), kPayload));
    EXPECT_EQ(plain_read_all(plain.get()), "PONG\n");
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.query.info.flags & SSX_INFO_CONNECTION_SECURED, 0u);
    EXPECT_EQ(s.query.info.protocol, SSX_PROTOCOL_DEFAULT);
    EXPECT_EQ(s.received, kPayload);
    plain.reset();

    // A TLS client on the same listener is secured.
    auto srv2 = serve_once(l.fd(), [](int fd, Served& s) {
        expect_secured(fd);
        s.end = recv_until_end(fd, &s.received);
    });
    Outcome c;
    Socket tls = connect_client(client_, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    expect_secured(tls.get());
    EXPECT_TRUE(succeeded(send_text(tls.get(), kPayload)));
    tls.reset();
    Served s2 = get_within(srv2);
    EXPECT_TRUE(succeeded(s2.accept));
    EXPECT_EQ(s2.query.info.flags & SSX_INFO_CONNECTION_SECURED, SSX_INFO_CONNECTION_SECURED);
    EXPECT_EQ(s2.received, kPayload);
}

TEST_F(InsecureTest, ServerWithoutTheFlagRefusesClearTextClients) {
    Listener l = listen_on(&server_);
    auto srv = serve_once(l.fd());
    Socket plain(plain_connect(l.address));
    ASSERT_TRUE(plain_send(plain.get(), kPayload));
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_PEER_NOT_TLS, EPROTO));
    EXPECT_TRUE(mentions(s.accept.message, {"does not speak TLS", "ALLOW_INSECURE"}));
    EXPECT_TRUE(s.received.empty());
    // The refused client is hung up on, and got no clear-text answer.
    std::string answer = plain_read_all(plain.get(), 2000ms);
    EXPECT_TRUE(answer.empty() || static_cast<unsigned char>(answer[0]) == 0x15)
        << "expected nothing or a TLS alert, got " << answer.size() << " bytes";
}

// A TLS client with a bad certificate is not "clear text": the server refuses it.
TEST_F(InsecureTest, ServerNeverDowngradesAFailedTlsClient) {
    Identity server = insecure(server_);
    Listener l = listen_on(&server);
    Pki foreign("foreign CA");
    auto srv = serve_once(l.fd());
    Outcome c;
    connect_client(identity(foreign, "client", pki_), "server.test", l.address, &c);
    EXPECT_TRUE(failed_with(c, SSX_E_PEER_REJECTED, ECONNREFUSED));
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_PEER_UNTRUSTED, EACCES));
    EXPECT_TRUE(s.received.empty());
}

// ----- Client side: three kinds of clear-text servers ---------------------------------------------

const char kGreeting[] = "220 plain service ready\r\n";

// Greets first ("220 ..."), then records what the client sends until it ends.
void greeting_server(int fd, size_t, std::string& received) {
    set_receive_timeout(fd, 3000ms);
    plain_send(fd, kGreeting);
    received = plain_read_all(fd);
}

// Reads a request and answers it: PONG to a PING, an error to anything else; until the client ends.
void request_server(int fd, size_t, std::string& received) {
    const auto deadline = Clock::now() + 3000ms;
    char buf[4096];
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        std::string chunk(buf, static_cast<size_t>(n));
        received += chunk;
        plain_send(fd, contains(chunk, "PING") ? "PONG\n" : "ERR unknown command\n");
    }
}

// Hangs up on anything that is not its protocol; answers a PING.
void strict_server(int fd, size_t, std::string& received) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    received.assign(buf, static_cast<size_t>(n));
    if (!contains(received, "PING")) return;  // close
    plain_send(fd, "PONG\n");
    received += plain_read_all(fd, 2000ms);
}

struct PlainCase {
    const char* name;
    PlainServer::Behaviour behaviour;
    const char* greeting;  // what the server says first on the clear-text connection
    const char* reply;     // what the client reads after sending kPayload in clear text
    int refusal_code;      // without the flag
    int refusal_errno;
};

class PlainServers : public InsecureTest, public ::testing::WithParamInterface<PlainCase> {};

TEST_P(PlainServers, ClientFallsBackToClearTextOnlyWithTheFlag) {
    const PlainCase& c = GetParam();
    PlainServer plain(AF_INET, 2, c.behaviour);
    Outcome o;
    Socket fd = connect_client(insecure(client_), "server.test", plain.address(), &o);
    ASSERT_TRUE(succeeded(o));
    expect_clear_text(fd.get());
    EXPECT_TRUE(failed_with(outcome(ssx_impersonate_socket_peer(fd.get(), nullptr, 0)), SSX_E_NOT_SECURED, EACCES));

    const std::string greeting = c.greeting;
    std::vector<unsigned char> got;
    if (!greeting.empty()) {
        EXPECT_TRUE(succeeded(recv_exact(fd.get(), greeting.size(), &got)));
        EXPECT_EQ(std::string(got.begin(), got.end()), greeting);
    }
    EXPECT_TRUE(succeeded(send_text(fd.get(), kPayload)));
    const std::string reply = c.reply;
    if (!reply.empty()) {
        EXPECT_TRUE(succeeded(recv_exact(fd.get(), reply.size(), &got)));
        EXPECT_EQ(std::string(got.begin(), got.end()), reply);
    }
    fd.reset();
    std::vector<std::string> received = plain.join();
    ASSERT_EQ(received.size(), 2u) << "expected the TLS attempt and one clear-text connection";
    ASSERT_FALSE(received[0].empty());
    EXPECT_EQ(static_cast<unsigned char>(received[0][0]), 0x16) << "the first connection carries a ClientHello";
    EXPECT_FALSE(contains(received[0], kPayload)) << "application data went out on the TLS attempt";
    EXPECT_EQ(received[1], kPayload) << "the clear-text connection carries exactly the application's bytes";
}

TEST_P(PlainServers, ClientWithoutTheFlagSendsNothingInClear) {
    const PlainCase& c = GetParam();
    PlainServer plain(AF_INET, 2, c.behaviour);
    Socket fd(secured_client(client_, "server.test"));
    Outcome o = connect_to(fd.get(), plain.address());
    EXPECT_TRUE(failed_with(o, c.refusal_code, c.refusal_errno));
    if (c.refusal_code == SSX_E_PEER_NOT_TLS) {
        EXPECT_TRUE(mentions(o.message, {"does not speak TLS", "ALLOW_INSECURE"}));
    } else {
        EXPECT_TRUE(mentions(o.message, {"closed"}));
    }
    Outcome send = outcome(ssx_send(fd.get(), kPayload.data(), kPayload.size(), 0));
    EXPECT_TRUE(failed_with(send, c.refusal_code, c.refusal_errno)) << "ssx_send after the refusal";
    fd.reset();
    std::vector<std::string> received = plain.join();
    ASSERT_EQ(received.size(), 1u) << "the client must not connect again without ALLOW_INSECURE";
    ASSERT_FALSE(received[0].empty());
    EXPECT_EQ(static_cast<unsigned char>(received[0][0]), 0x16);
    EXPECT_FALSE(contains(received[0], "PING")) << "application data reached the clear-text server";
}

INSTANTIATE_TEST_SUITE_P(
    Servers, PlainServers,
    ::testing::Values(PlainCase{"GreetsFirst", greeting_server, kGreeting, "", SSX_E_PEER_NOT_TLS, EPROTO},
                      PlainCase{"AnswersARequest", request_server, "", "PONG\n", SSX_E_PEER_NOT_TLS, EPROTO},
                      PlainCase{"HangsUp", strict_server, "", "PONG\n", SSX_E_PEER_CLOSED, ECONNRESET}),
    [](const ::testing::TestParamInfo<PlainCase>& info) { return info.param.name; });

// ----- Certificate and name failures never fall back ----------------------------------------------

void expect_no_fallback(const Identity& server, const Identity& client, int code) {
    Listener l = listen_on(&server);
    auto srv = serve_once(l.fd());
    Outcome o;
    Socket fd = connect_client(client, "server.test", l.address, &o);
    EXPECT_TRUE(failed_with(o, code, EACCES));
    Served s = get_within(srv);
    EXPECT_EQ(s.accept.result, -1);
    EXPECT_TRUE(s.received.empty());
    EXPECT_FALSE(connection_pending(l.fd(), 300ms)) << "the client fell back to a clear-text connection";
}

TEST_F(InsecureTest, NameMismatchNeverFallsBack) {
    pki::LeafOptions other;
    other.name = "other";
    other.dns = {"other.test"};
    pki_.issue(other);
    expect_no_fallback(insecure(identity(pki_, "other")), insecure(client_), SSX_E_NAME_MISMATCH);
}

TEST_F(InsecureTest, UntrustedServerNeverFallsBack) {
    Pki foreign("foreign CA");
    expect_no_fallback(insecure(identity(foreign, "server", pki_)), insecure(client_), SSX_E_PEER_UNTRUSTED);
}

TEST_F(InsecureTest, ExpiredServerNeverFallsBack) {
    pki::LeafOptions o;
    o.name = "expired";
    o.dns = {"server.test"};
    o.not_before_offset = -std::chrono::hours(48);
    o.not_after_offset = -std::chrono::hours(24);
    pki_.issue(o);
    expect_no_fallback(insecure(identity(pki_, "expired")), insecure(client_), SSX_E_CERT_EXPIRED);
}

// Both sides allowing clear text still get TLS when both speak it.
TEST_F(InsecureTest, TwoFlaggedPeersStillUseTls) {
    Identity server = insecure(server_);
    Listener l = listen_on(&server);
    auto srv = serve_once(l.fd());
    Outcome o;
    Socket fd = connect_client(insecure(client_), "server.test", l.address, &o);
    ASSERT_TRUE(succeeded(o));
    expect_secured(fd.get());
    fd.reset();
    Served s = get_within(srv);
    EXPECT_EQ(s.query.info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED);
}

}  // namespace
}  // namespace ssx::test

namespace ssx::test {
namespace {

// GUARANTEE_ENCRYPTION means "no connection unless encrypted": it wins over ALLOW_INSECURE, so the
// combination never falls back to clear text.
TEST_F(InsecureTest, GuaranteeEncryptionOverridesAllowInsecure) {
    PlainServer plain(AF_INET, 2, greeting_server);
    Identity both = insecure(client_);
    both.flags |= SSX_SETTINGS_GUARANTEE_ENCRYPTION;
    Socket fd(secured_client(both, "server.test"));
    Outcome o = connect_to(fd.get(), plain.address());
    EXPECT_TRUE(failed_with(o, SSX_E_PEER_NOT_TLS, EPROTO)) << describe(o);
    fd.reset();
    std::vector<std::string> received = plain.join();
    EXPECT_EQ(received.size(), 1u) << "no second, clear-text connection may be made";
}

// The fallback connection keeps the application's setup: here the source address it bound
// (127.0.0.2), so clear text never leaves from another address than the application chose.
TEST_F(InsecureTest, FallbackKeepsTheSourceAddressTheApplicationBound) {
    PlainServer plain(AF_INET, 2, [](int fd, size_t, std::string& received) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len);
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
        received = text;  // record where each connection came from
        plain_send(fd, kGreeting);
    });
    int raw = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    Socket fd(raw);
    const Identity id = insecure(client_);  // settings() borrows its strings: keep it alive
    ssx_security_settings s = id.settings();
    ASSERT_EQ(ssx_set_socket_security(fd.get(), &s), 0) << ssx_last_error_message();
    // Bound after ssx_set_socket_security: a client may pick its source address before connect.
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000002);  // 127.0.0.2
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0) << std::strerror(errno);
    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), nullptr, 0, "server.test"), 0);
    Outcome o = connect_to(fd.get(), plain.address());
    ASSERT_TRUE(succeeded(o)) << describe(o);
    expect_clear_text(fd.get());
    fd.reset();
    std::vector<std::string> received = plain.join();
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0], "127.0.0.2");
    EXPECT_EQ(received[1], "127.0.0.2") << "the clear-text fallback left from another source address";
}

}  // namespace
}  // namespace ssx::test
