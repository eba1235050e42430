// The workflow end to end over loopback: mutual-auth round trip on IPv4 and IPv6, both sides see
// the other's proven identity, and a large transfer arrives byte for byte in both directions.
#include <cstring>

#include "harness.hpp"

namespace ssx::test {
namespace {

TEST(Exchange, MutualAuthRoundTrip) {
    Pki pki;
    Identity server = identity(pki, "server"), client = identity(pki, "client");
    uint16_t port;
    int listener = secured_listener(&server, &port);
    auto srv = echo_once(listener);

    int fd = secured_client(client, "server.test");
    sockaddr_in to = loopback(port);
    ASSERT_EQ(ssx_connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << ssx_last_error_message();
    const char msg[] = "hello over TLS 1.3";
    ASSERT_EQ(ssx_send(fd, msg, sizeof msg, 0), static_cast<ssize_t>(sizeof msg));
    char back[64] = {};
    size_t got = 0;
    while (got < sizeof msg) {
        ssize_t n = ssx_recv(fd, back + got, sizeof back - got, 0);
        ASSERT_GT(n, 0) << ssx_last_error_message();
        got += static_cast<size_t>(n);
    }
    EXPECT_STREQ(back, msg);
    EXPECT_EQ(ssx_close(fd), 0);
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.received, std::string(msg, sizeof msg));
    EXPECT_EQ(s.end.result, 0) << "the server must read an orderly end: " << describe(s.end);
    ::close(listener);
}

// Both ends are authenticated: each side's query names the other's certificate identity.
void round_trip_with_identities(int family) {
    Pki pki;
    Identity server = identity(pki, "server"), client = identity(pki, "client");
    Listener l = listen_on(&server, family);
    auto srv = serve_once(l.fd(), [](int fd, Served& s) {
        Query q = query(fd, SSX_TOKEN_QUERY);
        s.query = q;
        Token peer(q.info.peer_application_token);
        s.received = peer ? text_or_null(ssx_token_name(peer.get())) : "(no token)";
        send_text(fd, "welcome " + s.received);
        std::string rest;
        s.end = recv_until_end(fd, &rest);
    });

    Outcome c;
    Socket fd = connect_client(client, family == AF_INET6 ? "::1" : "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    Query q = query(fd.get(), SSX_TOKEN_QUERY);
    ASSERT_TRUE(succeeded(q.call));
    Token server_token(q.info.peer_application_token);
    ASSERT_TRUE(server_token);
    EXPECT_EQ(text_or_null(ssx_token_name(server_token.get())), "spiffe://test/server");

    std::vector<unsigned char> greeting;
    const std::string expected = "welcome spiffe://test/client";
    EXPECT_TRUE(succeeded(recv_exact(fd.get(), expected.size(), &greeting)));
    EXPECT_EQ(std::string(greeting.begin(), greeting.end()), expected);
    ASSERT_EQ(ssx_shutdown(fd.get(), SHUT_WR), 0) << ssx_last_error_message();
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.query.info.flags & SSX_INFO_CONNECTION_SECURED, SSX_INFO_CONNECTION_SECURED);
    EXPECT_EQ(s.end.result, 0) << describe(s.end);
}

TEST(Exchange, IPv4PeersSeeEachOthersIdentity) { round_trip_with_identities(AF_INET); }

TEST(Exchange, IPv6LoopbackWithIpTargetName) { round_trip_with_identities(AF_INET6); }

// 8 MiB each way through an echo server, every byte compared; sent in uneven chunks while the
// reply is read, so records of every size and partial reads are exercised.
TEST(Exchange, EightMebibytesEchoedByteForByte) {
    Pki pki;
    Identity server = identity(pki, "server"), client = identity(pki, "client");
    Listener l = listen_on(&server);
    auto srv = echo_once(l.fd());
    Outcome c;
    Socket fd = connect_client(client, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));

    const size_t total = 8u << 20;
    const std::vector<unsigned char> data = pattern(total, 8);
    auto sender = on_thread([&] {
        size_t done = 0, chunk = 1;
        while (done < total) {
            size_t n = std::min(chunk, total - done);
            Outcome o = send_all(fd.get(), data.data() + done, n);
            if (!succeeded(o)) return o;
            done += n;
            chunk = chunk * 3 % 200003 + 1;  // 1 byte .. ~200 KB, irregular
        }
        return outcome(static_cast<long>(done));
    });
    std::vector<unsigned char> back;
    Outcome r = recv_exact(fd.get(), total, &back);
    Outcome w = get_within(sender, std::chrono::seconds(60));
    EXPECT_TRUE(succeeded(w));
    EXPECT_TRUE(succeeded(r));
    ASSERT_EQ(back.size(), total);
    EXPECT_EQ(first_difference(back, data), -1) << "the echoed stream differs";
    ASSERT_EQ(ssx_shutdown(fd.get(), SHUT_WR), 0) << ssx_last_error_message();
    Served s = get_within(srv);
    EXPECT_EQ(s.received.size(), total);
    EXPECT_EQ(s.end.result, 0) << describe(s.end);
}

}  // namespace
}  // namespace ssx::test
