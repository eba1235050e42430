// Hostile and unlucky peers, and descriptors reused behind ssx's back: a stalled, garbage-sending
// or vanishing peer gives a precise error within the handshake deadline and leaves the listener
// serving; socket timeouts are honoured; closing never hangs and never loses data already sent;
// a descriptor number reused by a new socket never inherits the old socket's security.
#include <chrono>

#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

class RobustnessTest : public SharedPkiTest {
protected:

    Identity quick_server() {
        Identity s = server_;
        s.timeout_ms = 300;
        return s;
    }

    // The listener still completes a proper handshake after whatever the test did to it.
    void expect_listener_serves(const Listener& l) {
        auto srv = serve_once(l.fd());
        Outcome c;
        Socket fd = connect_client(client_, "server.test", l.address, &c);
        EXPECT_TRUE(succeeded(c)) << "the listener stopped working";
        fd.reset();
        EXPECT_TRUE(succeeded(get_within(srv).accept));
    }
};


// The first bytes of a real ClientHello record header: handshake (0x16), TLS 1.0 record version,
// length 512, then "ClientHello" (1) with a length — and nothing more.
const std::string kPartialClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);

// ----- Handshake: silence, garbage, disappearance -------------------------------------------------

TEST_F(RobustnessTest, SilentClientTimesOutAndTheListenerKeepsWorking) {
    Identity server = quick_server();
    Listener l = listen_on(&server);
    for (const std::string& said : {std::string(), kPartialClientHello}) {
        auto srv = serve_once(l.fd());
        Socket silent(plain_connect(l.address));
        ASSERT_TRUE(said.empty() || plain_send(silent.get(), said));
        const auto start = Clock::now();
        Served s = get_within(srv);
        const auto took = Clock::now() - start;
        EXPECT_TRUE(failed_with(s.accept, SSX_E_TIMEOUT, ETIMEDOUT)) << "sent " << said.size() << " bytes";
        EXPECT_TRUE(mentions(s.accept.message, {"300 ms", "handshake_timeout_ms"}));
        EXPECT_GE(took, 250ms);
        EXPECT_LT(took, 3s);
    }
    expect_listener_serves(l);
}

TEST_F(RobustnessTest, SilentServerTimesTheClientOut) {
    PlainServer silent(AF_INET, 1, [](int fd, size_t, std::string& received) { received = plain_read_all(fd, 2000ms); });
    Identity client = client_;
    client.timeout_ms = 300;
    Socket fd(secured_client(client, "server.test"));
    const auto start = Clock::now();
    Outcome o = connect_to(fd.get(), silent.address());
    const auto took = Clock::now() - start;
    EXPECT_TRUE(failed_with(o, SSX_E_TIMEOUT, ETIMEDOUT));
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 3s);
    fd.reset();
    std::vector<std::string> received = silent.join();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(static_cast<unsigned char>(received[0].at(0)), 0x16) << "only the ClientHello went out";
}

TEST_F(RobustnessTest, ClientSpeakingAnotherProtocolIsRefused) {
    Identity server = quick_server();
    Listener l = listen_on(&server);
    auto srv = serve_once(l.fd());
    Socket http(plain_connect(l.address));
    ASSERT_TRUE(plain_send(http.get(), "GET / HTTP/1.1\r\nHost: server.test\r\n\r\n"));
    Served s = get_within(srv);
    EXPECT_TRUE(failed_with(s.accept, SSX_E_PEER_NOT_TLS, EPROTO));
    EXPECT_TRUE(mentions(s.accept.message, {"does not speak TLS", "0x47"}));  // 'G'
    expect_listener_serves(l);
}

// A TLS record header followed by bytes that are not a ClientHello: a TLS-looking peer that breaks
// the protocol.
TEST_F(RobustnessTest, MalformedTlsFromTheClientIsAProtocolError) {
    Identity server = quick_server();
    Listener l = listen_on(&server);
    auto srv = serve_once(l.fd());
    Socket bad(plain_connect(l.address));
    std::string record("\x16\x03\x01\x00\x40", 5);
    std::vector<unsigned char> junk = pattern(0x40, 99);
    junk[0] = 0x01;  // "ClientHello", with a body that is noise
    record.append(junk.begin(), junk.end());
    ASSERT_TRUE(plain_send(bad.get(), record));
    Served s = get_within(srv);
    // It does speak TLS (the first byte is a handshake record), badly: not "does not speak TLS".
    EXPECT_TRUE(failed_with(s.accept, SSX_E_PROTOCOL, EPROTO));
    EXPECT_FALSE(contains(s.accept.message, "does not speak TLS")) << s.accept.message;
    expect_listener_serves(l);
}

TEST_F(RobustnessTest, ServerSendingGarbageIsNotTls) {
    PlainServer garbage(AF_INET, 1, [](int fd, size_t, std::string& received) {
        std::vector<unsigned char> noise = pattern(300, 7);
        noise[0] = 0x00;
        ::send(fd, noise.data(), noise.size(), MSG_NOSIGNAL);
        received = plain_read_all(fd, 2000ms);
    });
    Socket fd(secured_client(client_, "server.test"));
    Outcome o = connect_to(fd.get(), garbage.address());
    EXPECT_TRUE(failed_with(o, SSX_E_PEER_NOT_TLS, EPROTO));
    EXPECT_TRUE(mentions(o.message, {"does not speak TLS", "0x00"}));
}

TEST_F(RobustnessTest, ClientVanishingMidHandshake) {
    Listener l = listen_on(&server_);
    // Closes after part of a ClientHello; then one that resets the connection.
    for (bool reset : {false, true}) {
        auto srv = serve_once(l.fd());
        Socket gone(plain_connect(l.address));
        ASSERT_TRUE(plain_send(gone.get(), kPartialClientHello));
        if (reset) {
            linger lg{1, 0};
            ::setsockopt(gone.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        gone.reset();
        Served s = get_within(srv);
        EXPECT_TRUE(failed_with(s.accept, SSX_E_PEER_CLOSED, ECONNRESET)) << (reset ? "reset" : "closed");
        EXPECT_TRUE(mentions(s.accept.message, {"closed"}));
    }
    expect_listener_serves(l);
}

// A server that reads the ClientHello and hangs up.
TEST_F(RobustnessTest, ServerVanishingMidHandshake) {
    PlainServer gone(AF_INET, 1, [](int fd, size_t, std::string& received) {
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) received.assign(buf, static_cast<size_t>(n));
    });
    Socket fd(secured_client(client_, "server.test"));
    Outcome o = connect_to(fd.get(), gone.address());
    EXPECT_TRUE(failed_with(o, SSX_E_PEER_CLOSED, ECONNRESET));
    EXPECT_TRUE(mentions(o.message, {"closed the connection during the TLS handshake"}));
}

// ----- Data path: timeouts, flags, ends ----------------------------------------------------------

// An established connection whose server side runs `body` on a thread.
struct Pair {
    Listener listener;
    Socket client;
    std::future<Served> server;
};

Pair connected(const Identity& server, const Identity& client, std::function<void(int, Served&)> body) {
    Pair p;
    p.listener = listen_on(&server);
    p.server = serve_once(p.listener.fd(), std::move(body));
    Outcome c;
    p.client = connect_client(client, "server.test", p.listener.address, &c);
    EXPECT_TRUE(succeeded(c));
    return p;
}

TEST_F(RobustnessTest, ReceiveTimeoutIsHonoured) {
    std::promise<void> release;
    auto released = release.get_future().share();
    Pair p = connected(server_, client_, [released](int, Served&) { released.wait_for(5s); });
    set_receive_timeout(p.client.get(), 200ms);
    char buf[16];
    const auto start = Clock::now();
    Outcome o = outcome(ssx_recv(p.client.get(), buf, sizeof buf, 0));
    const auto took = Clock::now() - start;
    EXPECT_TRUE(failed_with(o, SSX_E_TIMEOUT, EAGAIN)) << "recv(2) reports SO_RCVTIMEO as EAGAIN";
    EXPECT_TRUE(mentions(o.message, {"SO_RCVTIMEO"}));
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 2s);
    release.set_value();
    // The connection is still usable after a timeout.
    p.client.reset();
    get_within(p.server);
}

TEST_F(RobustnessTest, FlagsAndBuffersAreChecked) {
    Pair p = connected(server_, client_, [](int fd, Served& s) {
        send_text(fd, "peekaboo");
        s.end = recv_until_end(fd, &s.received);
    });
    int fd = p.client.get();
    char buf[8];
    EXPECT_TRUE(failed_with(outcome(ssx_send(fd, buf, 1, MSG_OOB)), SSX_E_INVALID_ARGUMENT, EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_recv(fd, buf, 1, MSG_WAITALL)), SSX_E_INVALID_ARGUMENT, EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_send(fd, nullptr, 1, 0)), SSX_E_NULL_POINTER, EFAULT));
    EXPECT_TRUE(failed_with(outcome(ssx_recv(fd, nullptr, 1, 0)), SSX_E_NULL_POINTER, EFAULT));
    EXPECT_EQ(ssx_send(fd, nullptr, 0, 0), 0);
    EXPECT_TRUE(failed_with(outcome(ssx_shutdown(fd, 42)), SSX_E_INVALID_ARGUMENT, EINVAL));
    // MSG_PEEK leaves the data in place.
    size_t got = 0;
    while (got < 8) {
        ssize_t n = ssx_recv(fd, buf, sizeof buf, MSG_PEEK);
        ASSERT_GT(n, 0) << ssx_last_error_message();
        got = static_cast<size_t>(n);
    }
    std::vector<unsigned char> all;
    EXPECT_TRUE(succeeded(recv_exact(fd, 8, &all)));
    EXPECT_EQ(std::string(all.begin(), all.end()), "peekaboo");
    // After SHUT_WR: the peer reads an orderly end, and we may not send any more.
    ASSERT_EQ(ssx_shutdown(fd, SHUT_WR), 0) << ssx_last_error_message();
    EXPECT_TRUE(failed_with(outcome(ssx_send(fd, "x", 1, 0)), SSX_E_SHUT_DOWN, EPIPE));
    Served s = get_within(p.server);
    EXPECT_EQ(s.end.result, 0) << describe(s.end);
}

// The peer closing TCP without close_notify could be a truncation attack: not an orderly end.
TEST_F(RobustnessTest, PeerClosingWithoutCloseNotifyIsNotAnOrderlyEnd) {
    Listener l = listen_on(&server_);
    auto srv = on_thread([&] { return ssx_accept(l.fd(), nullptr, nullptr); });
    Outcome c;
    Socket fd = connect_client(client_, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    int accepted = get_within(srv);
    ASSERT_GE(accepted, 0);
    ASSERT_TRUE(succeeded(send_text(accepted, "partial")));
    ::close(accepted);  // plain close: FIN without close_notify
    std::vector<unsigned char> got;
    EXPECT_TRUE(succeeded(recv_exact(fd.get(), 7, &got)));
    char b;
    Outcome end = outcome(ssx_recv(fd.get(), &b, 1, 0));
    EXPECT_TRUE(failed_with(end, SSX_E_PEER_CLOSED, ECONNRESET));
    EXPECT_TRUE(mentions(end.message, {"close_notify"}));
}

// ----- Closing ------------------------------------------------------------------------------------

TEST_F(RobustnessTest, CloseDoesNotHangWhileThePeerKeepsSending) {
    std::atomic<bool> closed{false};
    Pair p = connected(server_, client_, [&closed](int fd, Served& s) {
        std::vector<unsigned char> chunk = pattern(16384, 1);
        const auto deadline = Clock::now() + 10s;
        while (Clock::now() < deadline) {
            ssize_t n = ssx_send(fd, chunk.data(), chunk.size(), 0);
            if (n < 0) {
                s.end = outcome(n);
                return;
            }
        }
        s.end = outcome(-2);  // never failed: the client's close did not reach us
    });
    std::this_thread::sleep_for(100ms);  // let the flood fill the buffers
    const auto start = Clock::now();
    EXPECT_EQ(ssx_close(p.client.release()), 0) << ssx_last_error_message();
    const auto took = Clock::now() - start;
    closed = true;
    EXPECT_LT(took, 2s) << "ssx_close must be bounded";
    Served s = get_within(p.server);
    EXPECT_EQ(s.end.result, -1) << "the sender must see the connection end: " << describe(s.end);
    EXPECT_TRUE(s.end.code == SSX_E_PEER_CLOSED) << describe(s.end);
}

// The server sends 1 MiB and closes at once, with a request of the client's still unread (which
// would make a plain close() reset the connection); the client, reading late, gets every byte.
TEST_F(RobustnessTest, CloseRightAfterSendingLosesNoData) {
    const std::vector<unsigned char> data = pattern(1u << 20, 1234);
    std::promise<void> request_sent;
    auto sent = request_sent.get_future().share();
    Pair p = connected(server_, client_, [&data, sent](int fd, Served& s) {
        sent.wait_for(5s);
        s.end = send_all(fd, data.data(), data.size());
        // serve_once closes with ssx_close right after this returns
    });
    ASSERT_TRUE(succeeded(send_text(p.client.get(), std::string(65536, 'r'))));
    request_sent.set_value();
    std::this_thread::sleep_for(300ms);  // the server is closing (or closed) before we read
    std::vector<unsigned char> got;
    Outcome r = recv_exact(p.client.get(), data.size(), &got);
    EXPECT_TRUE(succeeded(r));
    ASSERT_EQ(got.size(), data.size());
    EXPECT_EQ(first_difference(got, data), -1);
    char b;
    EXPECT_EQ(ssx_recv(p.client.get(), &b, 1, 0), 0) << "an orderly end follows: " << ssx_last_error_message();
    Served s = get_within(p.server);
    EXPECT_TRUE(succeeded(s.end));
}

// ----- Descriptor reuse ---------------------------------------------------------------------------

// Makes `fd` name a fresh, plain TCP socket (as a reused descriptor number would).
void reuse_number(int fd) {
    int fresh = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fresh != fd) {
        ASSERT_EQ(::dup3(fresh, fd, O_CLOEXEC), fd);
        ::close(fresh);
    }
}

TEST_F(RobustnessTest, ReusedDescriptorNeverInheritsSecurity) {
    Listener l = listen_on(&server_);
    auto srv = serve_once(l.fd());
    Outcome c;
    Socket secured = connect_client(client_, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    const int number = secured.release();
    ASSERT_EQ(::close(number), 0);  // plain close(): ssx is not told
    reuse_number(number);
    Socket reused(number);

    char b = 'x';
    Outcome o = outcome(ssx_send(number, &b, 1, 0));
    EXPECT_TRUE(failed_with(o, SSX_E_NO_SECURITY, EINVAL)) << "the stale TLS session was used";
    EXPECT_TRUE(failed_with(outcome(ssx_recv(number, &b, 1, MSG_DONTWAIT)), SSX_E_NO_SECURITY, EINVAL));
    ssx_query_info info{};
    size_t len = sizeof info;
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(number, nullptr, &info, &len)), SSX_E_NO_SECURITY,
                            EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_impersonate_socket_peer(number, nullptr, 0)), SSX_E_NO_SECURITY, EINVAL));
    // The new socket is a new socket: it can be secured and connected from scratch.
    ssx_security_settings s = client_.settings();
    EXPECT_TRUE(succeeded(outcome(ssx_set_socket_security(number, &s))));
    ASSERT_EQ(ssx_set_peer_target_name(number, nullptr, 0, "server.test"), 0);
    auto srv2 = serve_once(l.fd());
    EXPECT_TRUE(succeeded(connect_to(number, l.address)));
    reused.reset();
    get_within(srv);
    get_within(srv2);
}

TEST_F(RobustnessTest, ReusedListenerDescriptorIsNotSecured) {
    Listener l = listen_on(&server_);
    const int number = l.sock.release();
    ASSERT_EQ(::close(number), 0);
    int fresh = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fresh != number) {
        ASSERT_EQ(::dup3(fresh, number, O_CLOEXEC), number);
        ::close(fresh);
    }
    Socket reused(number);
    Address any = loopback_address(AF_INET, 0);
    ASSERT_EQ(::bind(number, any.sa(), any.len), 0);
    ASSERT_EQ(::listen(number, 4), 0);
    EXPECT_TRUE(failed_with(outcome(ssx_accept(number, nullptr, nullptr)), SSX_E_NO_SECURITY, EINVAL));
}

// A socket configured (not connected) and closed plainly: the reused number is not configured.
TEST_F(RobustnessTest, ReusedConfiguredDescriptorCanBeSecuredAgain) {
    int number = secured_client(client_, "server.test");
    ASSERT_EQ(::close(number), 0);
    reuse_number(number);
    Socket reused(number);
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(number, nullptr, 0, "server.test")), SSX_E_NO_SECURITY,
                            EINVAL));
    ssx_security_settings s = client_.settings();
    EXPECT_TRUE(succeeded(outcome(ssx_set_socket_security(number, &s))));
}

}  // namespace
}  // namespace ssx::test
