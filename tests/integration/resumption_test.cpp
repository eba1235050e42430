// TLS 1.3 session resumption: a client reconnecting to the same address with the same target name
// resumes (after the first connection is closed, as a real client reconnects), the peer identity
// survives on both ends, a different target name or a policy with session_resumption = false gets
// a full handshake, and a resumed session is still re-authorized against the target name.
#include "harness.hpp"

namespace ssx::test {
namespace {

struct Seen {
    bool ok = false;
    uint32_t tls_flags = 0;
    std::string peer_name, peer_fingerprint;   // what the client sees of the server
    std::string client_name, client_fingerprint;  // what the server sees of the client
    uint32_t server_tls_flags = 0;
    Outcome connect;
};

// One complete connection: connect, exchange a line (so tickets are processed), close both ends.
Seen connect_once(const Listener& l, const Identity& client, const std::string& target) {
    Seen seen;
    auto srv = serve_once(l.fd(), [](int fd, Served& s) {
        Query q = query(fd, SSX_TOKEN_QUERY);
        s.query = q;
        Token t(q.info.peer_application_token);
        s.received = text_or_null(ssx_token_name(t.get())) + "|" + text_or_null(ssx_token_fingerprint(t.get()));
        send_text(fd, "hi\n");
        std::string rest;
        s.end = recv_until_end(fd, &rest);
    });
    Socket fd(secured_client(client, target));
    seen.connect = connect_to(fd.get(), l.address);
    if (seen.connect.result == 0) {
        std::vector<unsigned char> hi;
        EXPECT_TRUE(succeeded(recv_exact(fd.get(), 3, &hi)));
        Query q = query(fd.get(), SSX_TOKEN_QUERY);
        Token t(q.info.peer_application_token);
        seen.ok = succeeded(q.call);
        seen.tls_flags = q.info.tls_flags;
        seen.peer_name = text_or_null(ssx_token_name(t.get()));
        seen.peer_fingerprint = text_or_null(ssx_token_fingerprint(t.get()));
    }
    fd.reset();
    Served s = get_within(srv);
    seen.server_tls_flags = s.query.info.tls_flags;
    auto bar = s.received.find('|');
    if (bar != std::string::npos) {
        seen.client_name = s.received.substr(0, bar);
        seen.client_fingerprint = s.received.substr(bar + 1);
    }
    return seen;
}

class ResumptionTest : public ::testing::Test {
protected:
    Pki pki_;
    Identity server_ = identity(pki_, "server");
    Identity client_ = identity(pki_, "client");
};

TEST_F(ResumptionTest, ReconnectingWithTheSameTargetNameResumes) {
    Listener l = listen_on(&server_);
    Seen first = connect_once(l, client_, "server.test");
    ASSERT_TRUE(succeeded(first.connect));
    EXPECT_EQ(first.tls_flags & SSX_TLS_RESUMED, 0u);

    Seen second = connect_once(l, client_, "server.test");
    ASSERT_TRUE(succeeded(second.connect));
    EXPECT_EQ(second.tls_flags & SSX_TLS_RESUMED, SSX_TLS_RESUMED) << "the client did not resume";
    EXPECT_EQ(second.server_tls_flags & SSX_TLS_RESUMED, SSX_TLS_RESUMED) << "the server did not resume";
    // The identities survive resumption on both ends.
    EXPECT_EQ(second.peer_name, "spiffe://test/server");
    EXPECT_EQ(second.peer_fingerprint, first.peer_fingerprint);
    EXPECT_EQ(second.client_name, "spiffe://test/client");
    EXPECT_EQ(second.client_fingerprint, first.client_fingerprint);
}

TEST_F(ResumptionTest, ADifferentTargetNameDoesNotResume) {
    Listener l = listen_on(&server_);
    ASSERT_TRUE(succeeded(connect_once(l, client_, "server.test").connect));
    Seen other = connect_once(l, client_, "spiffe://test/server");
    ASSERT_TRUE(succeeded(other.connect));
    EXPECT_EQ(other.tls_flags & SSX_TLS_RESUMED, 0u) << "a session made for another target name was reused";
    EXPECT_EQ(other.peer_name, "spiffe://test/server");
}

TEST_F(ResumptionTest, ADifferentServerAddressDoesNotResume) {
    Listener a = listen_on(&server_);
    Listener b = listen_on(&server_);
    ASSERT_TRUE(succeeded(connect_once(a, client_, "server.test").connect));
    Seen other = connect_once(b, client_, "server.test");
    ASSERT_TRUE(succeeded(other.connect));
    EXPECT_EQ(other.tls_flags & SSX_TLS_RESUMED, 0u);
}

TEST_F(ResumptionTest, PolicyCanDisableResumption) {
    ScopedEnv env("SSX_POLICY", pki_.policy("client", "session_resumption = false\n"));
    Listener l = listen_on(&server_);  // per-socket credentials; the policy applies all the same
    ASSERT_TRUE(succeeded(connect_once(l, client_, "server.test").connect));
    Seen second = connect_once(l, client_, "server.test");
    ASSERT_TRUE(succeeded(second.connect));
    EXPECT_EQ(second.tls_flags & SSX_TLS_RESUMED, 0u);
    EXPECT_EQ(second.server_tls_flags & SSX_TLS_RESUMED, 0u);
}

// A resumed connection reports the identity verified when the session was made: verify_result 0,
// the leaf (the only certificate a resumed session knows) and its SPIFFE ID — never an empty token.
TEST_F(ResumptionTest, ResumedConnectionsKeepTheVerifiedChainLeaf) {
    Listener l = listen_on(&server_);
    ASSERT_TRUE(succeeded(connect_once(l, client_, "server.test").connect));
    auto srv = serve_once(l.fd());
    Socket fd(secured_client(client_, "server.test"));
    ASSERT_TRUE(succeeded(connect_to(fd.get(), l.address)));
    Query q = query(fd.get(), SSX_TOKEN_QUERY);
    Token t(q.info.peer_application_token);
    EXPECT_EQ(q.info.tls_flags & SSX_TLS_RESUMED, SSX_TLS_RESUMED);
    EXPECT_EQ(q.info.verify_result, 0);
    ASSERT_GE(ssx_token_chain_length(t.get()), 1u) << "the leaf is known on a resumed session";
    EXPECT_EQ(text_or_null(ssx_token_spiffe_id(t.get())), "spiffe://test/server");
    fd.reset();
    get_within(srv);
}

}  // namespace
}  // namespace ssx::test
