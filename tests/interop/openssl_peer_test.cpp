// Interop with peers nobody here wrote: the openssl command's s_server and s_client against ssx, on
// loopback. s_server -Verify 1 (client certificates required) against an ssx client, s_client -cert
// against an ssx server; data both ways; negative cases: a server with an untrusted certificate or
// another name (and the proof that the ssx client then sent no certificate and no data), a client
// without a certificate or from another PKI, TLS 1.2-only peers against the version policy, and
// resumption with a session s_client saved. Every openssl process is bounded in time and killed
// if it outlives its test; ports are chosen by the kernel (s_server -accept 127.0.0.1:0).
#include <chrono>
#include <regex>

#include "harness.hpp"
#include "process.hpp"

#ifndef SSX_OPENSSL_PROGRAM
#define SSX_OPENSSL_PROGRAM "/usr/bin/openssl"
#endif

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

const std::string kOpenssl = SSX_OPENSSL_PROGRAM;

class OpensslInterop : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        pki_ = new Pki();
        pki::LeafOptions other;
        other.name = "other";
        other.dns = {"other.test"};
        other.uri = {"spiffe://test/other"};
        pki_->issue(other);
        foreign_ = new Pki("foreign CA");
    }
    static void TearDownTestSuite() {
        delete pki_;
        delete foreign_;
        pki_ = foreign_ = nullptr;
    }
    static Pki* pki_;
    static Pki* foreign_;

    // `openssl s_server` presenting CERT of `pki`, trusting our CA, requiring a client certificate,
    // serving one connection. Returns the port it listens on (0 if it did not start).
    uint16_t start_s_server(std::unique_ptr<Process>& server, const Pki& pki, const std::string& cert,
                            std::vector<std::string> extra = {"-tls1_3"}) {
        std::vector<std::string> argv = {kOpenssl, "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                                         "-cert", pki.cert(cert), "-key", pki.key(cert), "-CAfile", pki_->ca(),
                                         "-Verify", "1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        server = std::make_unique<Process>(argv);
        EXPECT_TRUE(server->started()) << server->error();
        if (!server->wait_for("ACCEPT 127.0.0.1:", 10s) || !server->wait_for("\n", 2s)) {
            ADD_FAILURE() << "s_server did not start listening: " << server->output();
            return 0;
        }
        std::smatch m;
        const std::string& out = server->output();
        if (!std::regex_search(out, m, std::regex("ACCEPT 127\\.0\\.0\\.1:([0-9]+)"))) return 0;
        return static_cast<uint16_t>(std::stoi(m[1]));
    }

    // `openssl s_client` connecting to `port`, with extra arguments (e.g. -cert/-key).
    std::unique_ptr<Process> start_s_client(uint16_t port, std::vector<std::string> extra) {
        std::vector<std::string> argv = {kOpenssl, "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                                         "-CAfile", pki_->ca(), "-verify_return_error", "-verify_hostname",
                                         "server.test", "-servername", "server.test", "-nocommands"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto p = std::make_unique<Process>(argv);
        EXPECT_TRUE(p->started()) << p->error();
        return p;
    }

    std::vector<std::string> client_cert(const Pki& pki, const std::string& name = "client") {
        return {"-cert", pki.cert(name), "-key", pki.key(name)};
    }
};

Pki* OpensslInterop::pki_ = nullptr;
Pki* OpensslInterop::foreign_ = nullptr;

// ----- ssx client against openssl s_server ------------------------------------------------------

TEST_F(OpensslInterop, SsxClientExchangesDataWithSServer) {
    std::unique_ptr<Process> server;
    uint16_t port = start_s_server(server, *pki_, "server");
    ASSERT_NE(port, 0);
    Outcome c;
    Socket fd = connect_client(identity(*pki_, "client"), "server.test", loopback_address(AF_INET, port), &c);
    ASSERT_TRUE(succeeded(c)) << server->output();

    Query q = query(fd.get(), SSX_TOKEN_QUERY);
    ASSERT_TRUE(succeeded(q.call));
    Token peer(q.info.peer_application_token);
    EXPECT_EQ(q.info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED);
    EXPECT_EQ(q.info.tls_version, 0x0304u);
    EXPECT_EQ(text_or_null(ssx_token_name(peer.get())), "spiffe://test/server");

    ASSERT_TRUE(succeeded(send_text(fd.get(), "hello from ssx\n")));
    EXPECT_TRUE(server->wait_for("hello from ssx\n")) << server->output();
    // s_server verified our certificate (its verify callback prints the chain it received).
    EXPECT_TRUE(contains(server->output(), "Client certificate")) << server->output();
    EXPECT_TRUE(contains(server->output(), "subject=CN = client")) << server->output();
    EXPECT_TRUE(contains(server->output(), "CIPHER is TLS_")) << server->output();

    ASSERT_TRUE(server->write("hello from openssl s_server\n"));
    std::vector<unsigned char> got;
    const std::string expected = "hello from openssl s_server\n";
    EXPECT_TRUE(succeeded(recv_exact(fd.get(), expected.size(), &got)));
    EXPECT_EQ(std::string(got.begin(), got.end()), expected);
    fd.reset();
    EXPECT_EQ(server->wait_exit(10s), 0) << server->output();
    EXPECT_TRUE(contains(server->output(), "1 server accepts that finished")) << server->output();
}

// The refused server never sees a client certificate or an application byte.
void expect_refused_before_client_auth(Process& server, Socket& fd) {
    const std::string payload = "must never be sent\n";
    EXPECT_EQ(ssx_send(fd.get(), payload.data(), payload.size(), 0), -1);
    fd.reset();
    server.wait_exit(10s);
    EXPECT_FALSE(contains(server.output(), "Client certificate")) << server.output();
    EXPECT_FALSE(contains(server.output(), "CN = client")) << server.output();
    EXPECT_FALSE(contains(server.output(), "must never")) << server.output();
    EXPECT_TRUE(contains(server.output(), "0 server accepts that finished")) << server.output();
}

TEST_F(OpensslInterop, SServerWithAnUntrustedCertificateIsRefused) {
    std::unique_ptr<Process> server;
    uint16_t port = start_s_server(server, *foreign_, "server");
    ASSERT_NE(port, 0);
    Socket fd(secured_client(identity(*pki_, "client"), "server.test"));
    Outcome c = connect_to(fd.get(), loopback_address(AF_INET, port));
    EXPECT_TRUE(failed_with(c, SSX_E_PEER_UNTRUSTED, EACCES)) << server->output();
    EXPECT_TRUE(mentions(c.message, {"foreign CA"}));
    expect_refused_before_client_auth(*server, fd);
}

TEST_F(OpensslInterop, SServerPresentingAnotherNameIsRefused) {
    std::unique_ptr<Process> server;
    uint16_t port = start_s_server(server, *pki_, "other");
    ASSERT_NE(port, 0);
    Socket fd(secured_client(identity(*pki_, "client"), "server.test"));
    Outcome c = connect_to(fd.get(), loopback_address(AF_INET, port));
    EXPECT_TRUE(failed_with(c, SSX_E_NAME_MISMATCH, EACCES)) << server->output();
    EXPECT_TRUE(mentions(c.message, {"server.test", "other.test"}));
    expect_refused_before_client_auth(*server, fd);
}

TEST_F(OpensslInterop, SServerSpeakingOnlyTls12IsRefusedByDefault) {
    std::unique_ptr<Process> server;
    uint16_t port = start_s_server(server, *pki_, "server", {"-tls1_2"});
    ASSERT_NE(port, 0);
    Socket fd(secured_client(identity(*pki_, "client"), "server.test"));
    Outcome c = connect_to(fd.get(), loopback_address(AF_INET, port));
    EXPECT_TRUE(failed_with(c, SSX_E_PROTOCOL_VERSION, EPROTONOSUPPORT)) << server->output();
    expect_refused_before_client_auth(*server, fd);
}

// ----- openssl s_client against an ssx server ---------------------------------------------------

// An ssx server thread: accepts, reports the peer's name, echoes one line in upper case.
std::future<Served> upper_case_once(int listener) {
    return serve_once(listener, [](int fd, Served& s) {
        Token t(query(fd, SSX_TOKEN_QUERY).info.peer_application_token);
        s.query = query(fd);
        s.received = text_or_null(ssx_token_name(t.get())) + "|";
        char buf[256];
        std::string line;
        while (line.find('\n') == std::string::npos) {
            ssize_t n = ssx_recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                s.end = outcome(n);
                return;
            }
            line.append(buf, static_cast<size_t>(n));
        }
        s.received += line;
        for (char& ch : line) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        send_text(fd, line);
        std::string rest;
        s.end = recv_until_end(fd, &rest);
    });
}

TEST_F(OpensslInterop, SClientExchangesDataWithSsxServer) {
    Identity server_id = identity(*pki_, "server");
    Listener l = listen_on(&server_id);
    auto srv = upper_case_once(l.fd());
    auto client = start_s_client(l.port, client_cert(*pki_));
    ASSERT_TRUE(client->wait_for("Verify return code: 0 (ok)", 10s)) << client->output();
    ASSERT_TRUE(client->write("hello from s_client\n"));
    EXPECT_TRUE(client->wait_for("HELLO FROM S_CLIENT\n", 10s)) << client->output();
    EXPECT_TRUE(contains(client->output(), "TLSv1.3")) << client->output();
    client->close_stdin();  // s_client ends the connection on end of input
    EXPECT_EQ(client->wait_exit(10s), 0) << client->output();
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.received, "spiffe://test/client|hello from s_client\n");
    EXPECT_EQ(s.query.info.tls_version, 0x0304u);
    EXPECT_EQ(s.end.result, 0) << "s_client ends with close_notify: " << describe(s.end);
}

TEST_F(OpensslInterop, SClientWithoutACertificateIsRefused) {
    Identity server_id = identity(*pki_, "server");
    Listener l = listen_on(&server_id);
    auto srv = upper_case_once(l.fd());
    auto client = start_s_client(l.port, {});
    client->write("must never be read\n");
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_NO_PEER_CERT, EACCES)) << client->output();
    EXPECT_TRUE(mentions(s.accept.message, {"no certificate", "mutual authentication"}));
    EXPECT_TRUE(s.received.empty());
    client->wait_exit(10s);
    EXPECT_TRUE(contains(client->output(), "alert certificate required")) << client->output();
}

TEST_F(OpensslInterop, SClientFromAnotherPkiIsRefused) {
    Identity server_id = identity(*pki_, "server");
    Listener l = listen_on(&server_id);
    auto srv = upper_case_once(l.fd());
    auto client = start_s_client(l.port, client_cert(*foreign_));
    client->write("must never be read\n");
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_PEER_UNTRUSTED, EACCES)) << client->output();
    EXPECT_TRUE(s.received.empty());
    client->wait_exit(10s);
    EXPECT_TRUE(contains(client->output(), "alert unknown ca")) << client->output();
}

TEST_F(OpensslInterop, Tls12ClientNeedsThePolicysConsent) {
    {
        Identity server_id = identity(*pki_, "server");
        Listener l = listen_on(&server_id);
        auto srv = upper_case_once(l.fd());
        auto client = start_s_client(l.port, [&] {
            auto a = client_cert(*pki_);
            a.push_back("-tls1_2");
            return a;
        }());
        Served s = get_within(srv);
        EXPECT_TRUE(failed_with(s.accept, SSX_E_PROTOCOL_VERSION, EPROTONOSUPPORT)) << client->output();
        EXPECT_TRUE(mentions(s.accept.message, {"1.3"}));
        client->wait_exit(10s);
    }
    {
        ScopedEnv env("SSX_POLICY", pki_->policy("server", "min_version = \"1.2\"\n"));
        Identity from_file = from_policy();
        Listener l = listen_on(&from_file);
        auto srv = upper_case_once(l.fd());
        auto client = start_s_client(l.port, [&] {
            auto a = client_cert(*pki_);
            a.push_back("-tls1_2");
            return a;
        }());
        ASSERT_TRUE(client->wait_for("Verify return code: 0 (ok)", 10s)) << client->output();
        ASSERT_TRUE(client->write("over tls 1.2\n"));
        EXPECT_TRUE(client->wait_for("OVER TLS 1.2\n", 10s)) << client->output();
        client->close_stdin();
        client->wait_exit(10s);
        Served s = get_within(srv);
        EXPECT_TRUE(succeeded(s.accept));
        EXPECT_EQ(s.query.info.tls_version, 0x0303u);
        EXPECT_TRUE(std::regex_match(std::string(s.query.info.cipher), std::regex("TLS_ECDHE_ECDSA_WITH_\\w+")))
            << "cipher '" << s.query.info.cipher << "' (only forward-secret AEAD suites under TLS 1.2)";
        EXPECT_EQ(s.received, "spiffe://test/client|over tls 1.2\n");
    }
}

// s_client saves its session and offers it again: the ssx server resumes it and reports so, and
// the resumed connection still carries the client's identity.
TEST_F(OpensslInterop, SClientResumesASessionWithTheSsxServer) {
    TempDir tmp;
    const std::string session = (tmp.path() / "session.pem").string();
    Identity server_id = identity(*pki_, "server");
    Listener l = listen_on(&server_id);
    for (int round = 0; round < 2; ++round) {
        auto srv = upper_case_once(l.fd());
        auto args = client_cert(*pki_);
        args.push_back(round == 0 ? "-sess_out" : "-sess_in");
        args.push_back(session);
        auto client = start_s_client(l.port, args);
        ASSERT_TRUE(client->write("round " + std::to_string(round) + "\n"));
        EXPECT_TRUE(client->wait_for("ROUND " + std::to_string(round) + "\n", 10s)) << client->output();
        client->close_stdin();
        client->wait_exit(10s);
        Served s = get_within(srv);
        ASSERT_TRUE(succeeded(s.accept)) << client->output();
        EXPECT_EQ(s.received, "spiffe://test/client|round " + std::to_string(round) + "\n");
        if (round == 0) {
            EXPECT_EQ(s.query.info.tls_flags & SSX_TLS_RESUMED, 0u);
        } else {
            EXPECT_TRUE(contains(client->output(), "Reused, TLSv1.3")) << client->output();
            EXPECT_EQ(s.query.info.tls_flags & SSX_TLS_RESUMED, SSX_TLS_RESUMED);
        }
    }
}

}  // namespace
}  // namespace ssx::test
