// The workflow end to end: mutual-auth exchange, query contents, resumption.
#include <cstring>

#include "harness.hpp"

namespace ssx::test {
namespace {

// Server: accept one connection, echo what arrives until the peer's end, return the accept outcome.
std::future<Outcome> echo_once(int listener) {
    return on_thread([listener] {
        int fd = ssx_accept(listener, nullptr, nullptr);
        Outcome o = outcome(fd);
        if (fd < 0) return o;
        char buf[4096];
        for (;;) {
            ssize_t n = ssx_recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            if (ssx_send(fd, buf, static_cast<size_t>(n), 0) != n) break;
        }
        ssx_close(fd);
        return o;
    });
}

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
    EXPECT_EQ(get_within(srv).code, SSX_OK);
    ::close(listener);
}

}  // namespace
}  // namespace ssx::test
