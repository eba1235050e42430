// Peer verification over real connections: every target-name form accepts the right server and
// refuses a server presenting another name, with zero application bytes sent; an untrusted CA, an
// expired or not-yet-valid certificate are refused on either side; a server that rejects the
// client's certificate is reported to the client as such.
#include <chrono>

#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

// The standard PKI plus "other" (a server with different names) and "svc" (an SVID below a path).
class VerificationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        pki_ = new Pki();
        pki::LeafOptions other;
        other.name = "other";
        other.dns = {"other.test"};
        other.ip = {"127.0.0.2"};
        other.uri = {"spiffe://test/other"};
        pki_->issue(other);
        pki::LeafOptions svc;
        svc.name = "svc";
        svc.dns = {"svc.test"};
        svc.uri = {"spiffe://test/svc/db"};
        pki_->issue(svc);
    }
    static void TearDownTestSuite() {
        delete pki_;
        pki_ = nullptr;
    }
    static Pki* pki_;
};

Pki* VerificationTest::pki_ = nullptr;

struct Attempt {
    Outcome connect;      // the client's ssx_connect
    Outcome send_after;   // an ssx_send attempted after a failed connect
    Served server;        // what the server saw
    bool second_connection = false;  // did anything connect again (a retry or fallback)?
};

// A client with `client` and `target` connects to a server with `server`; on success it sends a
// line and ends; on failure it tries to send anyway, which must fail too.
Attempt attempt(const Identity& server, const Identity& client, const std::string& target) {
    Attempt a;
    Listener l = listen_on(&server);
    auto srv = serve_once(l.fd());
    Socket fd(secured_client(client, target));
    a.connect = connect_to(fd.get(), l.address);
    const std::string payload = "APPLICATION-DATA";
    if (a.connect.result == 0) {
        EXPECT_TRUE(succeeded(send_text(fd.get(), payload)));
        EXPECT_EQ(ssx_shutdown(fd.get(), SHUT_WR), 0) << ssx_last_error_message();
    } else {
        a.send_after = outcome(ssx_send(fd.get(), payload.data(), payload.size(), 0));
    }
    fd.reset();
    a.server = get_within(srv);
    a.second_connection = connection_pending(l.fd(), 100ms);
    return a;
}

// The proof that nothing went out: the client's send failed with the connect's own error, and the
// server never completed a handshake, so it never read one application byte.
void expect_nothing_sent(const Attempt& a, int code) {
    EXPECT_TRUE(failed_with(a.send_after, code, a.connect.err)) << "ssx_send after a failed connect";
    EXPECT_EQ(a.server.accept.result, -1) << "the server completed a handshake with a refused peer";
    EXPECT_TRUE(a.server.received.empty()) << "the server received: " << a.server.received;
    EXPECT_FALSE(a.second_connection) << "the client connected again after the failure";
}

struct NameCase {
    const char* target;
    const char* server;  // certificate the server presents
    bool accepted;
    const char* presented;  // for refusals: a name the message must quote
};

class TargetNames : public VerificationTest, public ::testing::WithParamInterface<NameCase> {};

TEST_P(TargetNames, AcceptTheRightServerAndRefuseAnyOther) {
    const NameCase& c = GetParam();
    Attempt a = attempt(identity(*pki_, c.server), identity(*pki_, "client"), c.target);
    if (c.accepted) {
        EXPECT_TRUE(succeeded(a.connect)) << c.target << " vs " << c.server;
        EXPECT_TRUE(succeeded(a.server.accept));
        EXPECT_EQ(a.server.received, "APPLICATION-DATA");
        return;
    }
    EXPECT_TRUE(failed_with(a.connect, SSX_E_NAME_MISMATCH, EACCES)) << c.target << " vs " << c.server;
    EXPECT_TRUE(mentions(a.connect.message, {c.target, c.presented}));
    expect_nothing_sent(a, SSX_E_NAME_MISMATCH);
    // The client aborted the handshake: the server learns it was refused (an alert), not more.
    EXPECT_TRUE(failed_with(a.server.accept, SSX_E_PEER_REJECTED, ECONNREFUSED));
}

INSTANTIATE_TEST_SUITE_P(
    Forms, TargetNames,
    ::testing::Values(
        NameCase{"server.test", "server", true, ""},
        NameCase{"server.test", "other", false, "other.test"},
        NameCase{"DNS:server.test", "other", false, "other.test"},
        NameCase{"127.0.0.1", "server", true, ""},
        NameCase{"127.0.0.1", "other", false, "127.0.0.2"},
        NameCase{"spiffe://test/server", "server", true, ""},
        NameCase{"spiffe://test/server", "other", false, "spiffe://test/other"},
        NameCase{"spiffe://test/svc/*", "svc", true, ""},
        NameCase{"spiffe://test/svc/*", "other", false, "spiffe://test/other"},
        NameCase{"spiffe://test/serv/*", "server", false, "spiffe://test/server"},  // whole segments
        NameCase{"spiffe://test", "server", true, ""},
        NameCase{"spiffe://prod", "server", false, "spiffe://test/server"},
        NameCase{"host/server.test", "server", true, ""},
        NameCase{"host/server.test", "other", false, "other.test"}),
    [](const ::testing::TestParamInfo<NameCase>& info) {
        std::string name = std::to_string(info.index) + "_";
        for (const char* p = info.param.target; *p; ++p) name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
        return name + "_vs_" + info.param.server;
    });

TEST_F(VerificationTest, ServerFromAnotherPkiIsUntrusted) {
    Pki foreign("foreign CA");
    // The foreign server trusts our CA (so it would accept the client); we do not trust it.
    Attempt a = attempt(identity(foreign, "server", *pki_), identity(*pki_, "client"), "server.test");
    EXPECT_TRUE(failed_with(a.connect, SSX_E_PEER_UNTRUSTED, EACCES));
    EXPECT_TRUE(mentions(a.connect.message, {"foreign CA", "trust_anchors"}));
    expect_nothing_sent(a, SSX_E_PEER_UNTRUSTED);
    EXPECT_TRUE(failed_with(a.server.accept, SSX_E_PEER_REJECTED, ECONNREFUSED));
}

TEST_F(VerificationTest, ExpiredServerCertificate) {
    pki::LeafOptions o;
    o.name = "expired";
    o.dns = {"server.test"};
    o.not_before_offset = -std::chrono::hours(48);
    o.not_after_offset = -std::chrono::hours(24);
    pki_->issue(o);
    Attempt a = attempt(identity(*pki_, "expired"), identity(*pki_, "client"), "server.test");
    EXPECT_TRUE(failed_with(a.connect, SSX_E_CERT_EXPIRED, EACCES));
    EXPECT_TRUE(mentions(a.connect.message, {"expired", "CN=expired"}));
    expect_nothing_sent(a, SSX_E_CERT_EXPIRED);
}

TEST_F(VerificationTest, NotYetValidServerCertificate) {
    pki::LeafOptions o;
    o.name = "future";
    o.dns = {"server.test"};
    o.not_before_offset = std::chrono::hours(24);
    o.not_after_offset = std::chrono::hours(48);
    pki_->issue(o);
    Attempt a = attempt(identity(*pki_, "future"), identity(*pki_, "client"), "server.test");
    EXPECT_TRUE(failed_with(a.connect, SSX_E_CERT_NOT_YET_VALID, EACCES));
    EXPECT_TRUE(mentions(a.connect.message, {"not valid before", "CN=future"}));
    expect_nothing_sent(a, SSX_E_CERT_NOT_YET_VALID);
}

// The server checks the client after the client's side of the handshake is done; ssx_connect still
// reports the rejection (not the first recv), and the server says why it refused.
TEST_F(VerificationTest, ServerRejectingTheClientCertificateIsReportedToTheClient) {
    Pki foreign("foreign CA");
    // The server trusts only the foreign CA; the client's certificate is from ours.
    Attempt a = attempt(identity(*pki_, "server", foreign), identity(*pki_, "client"), "server.test");
    EXPECT_TRUE(failed_with(a.connect, SSX_E_PEER_REJECTED, ECONNREFUSED));
    EXPECT_TRUE(mentions(a.connect.message, {"rejected", "alert"}));
    expect_nothing_sent(a, SSX_E_PEER_REJECTED);
    EXPECT_TRUE(failed_with(a.server.accept, SSX_E_PEER_UNTRUSTED, EACCES));
    EXPECT_TRUE(mentions(a.server.accept.message, {"client", "ssx test CA"}));
}

TEST_F(VerificationTest, ExpiredClientCertificate) {
    pki::LeafOptions o;
    o.name = "old-client";
    o.uri = {"spiffe://test/old-client"};
    o.not_before_offset = -std::chrono::hours(48);
    o.not_after_offset = -std::chrono::hours(24);
    pki_->issue(o);
    Attempt a = attempt(identity(*pki_, "server"), identity(*pki_, "old-client"), "server.test");
    EXPECT_TRUE(failed_with(a.connect, SSX_E_PEER_REJECTED, ECONNREFUSED));
    EXPECT_TRUE(mentions(a.connect.message, {"certificate expired"}));
    expect_nothing_sent(a, SSX_E_PEER_REJECTED);
    EXPECT_TRUE(failed_with(a.server.accept, SSX_E_CERT_EXPIRED, EACCES));
    EXPECT_TRUE(mentions(a.server.accept.message, {"client", "CN=old-client"}));
}

// After a refused client, the listener goes on serving good clients.
TEST_F(VerificationTest, ListenerSurvivesRefusedClients) {
    Identity server = identity(*pki_, "server");
    Listener l = listen_on(&server);
    Pki foreign("foreign CA");
    for (int round = 0; round < 2; ++round) {
        auto srv = serve_once(l.fd());
        Outcome c;
        connect_client(identity(foreign, "client", *pki_), "server.test", l.address, &c);
        EXPECT_TRUE(failed_with(c, SSX_E_PEER_REJECTED, ECONNREFUSED)) << "round " << round;
        EXPECT_TRUE(failed_with(get_within(srv).accept, SSX_E_PEER_UNTRUSTED, EACCES));
    }
    auto srv = serve_once(l.fd());
    Outcome c;
    Socket ok = connect_client(identity(*pki_, "client"), "server.test", l.address, &c);
    EXPECT_TRUE(succeeded(c));
    ok.reset();
    EXPECT_TRUE(succeeded(get_within(srv).accept));
}

}  // namespace
}  // namespace ssx::test
