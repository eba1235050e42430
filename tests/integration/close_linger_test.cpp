// ssx_close's linger budget (SO_LINGER) and the handshake deadline of a TCP connect that never
// completes on a non-blocking socket.
#include <poll.h>

#include "harness.hpp"

namespace ssx::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A secured pair whose server side stays open (idle) until the returned future's peer is released.
struct IdlePair {
    Socket client;
    Socket server;
};

IdlePair connected_pair(const Pki& pki) {
    Identity server_id = identity(pki, "server"), client_id = identity(pki, "client");
    Listener l = listen_on(&server_id);
    auto srv = on_thread([&] { return ssx_accept(l.fd(), nullptr, nullptr); });
    IdlePair p;
    p.client.reset(secured_client(client_id, "server.test"));
    EXPECT_TRUE(succeeded(connect_to(p.client.get(), l.address)));
    int sfd = get_within(srv);
    EXPECT_GE(sfd, 0) << ssx_last_error_message();
    p.server.reset(sfd);
    return p;
}

milliseconds time_close(int fd) {
    auto start = Clock::now();
    EXPECT_EQ(ssx_close(fd), 0) << ssx_last_error_message();
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

TEST(CloseLinger, WaitsForAnIdlePeersEndByDefault) {
    Pki pki;
    IdlePair p = connected_pair(pki);
    // The server neither reads nor closes: the client's close waits its default budget (250 ms)
    // for the server's end, so nothing the server sends later meets a reset.
    milliseconds took = time_close(p.client.release());
    EXPECT_GE(took.count(), 200) << "the default linger budget was not honoured";
    EXPECT_LT(took.count(), 2000);
}

TEST(CloseLinger, SoLingerZeroClosesAtOnce) {
    Pki pki;
    IdlePair p = connected_pair(pki);
    linger lg{1, 0};
    ASSERT_EQ(::setsockopt(p.client.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    milliseconds took = time_close(p.client.release());
    EXPECT_LT(took.count(), 150) << "SO_LINGER {1, 0} asks for no wait";
}

TEST(CloseLinger, PeerThatClosesEndsTheWaitEarly) {
    Pki pki;
    IdlePair p = connected_pair(pki);
    auto peer = on_thread([&] {
        char b;
        ssx_recv(p.server.get(), &b, 1, 0);  // returns 0 at the client's close_notify
        p.server.reset();                     // and closes in turn
        return 0;
    });
    milliseconds took = time_close(p.client.release());
    get_within(peer);
    EXPECT_LT(took.count(), 200) << "the wait must end when the peer closes";
}

// A TCP connect that never completes: a listener whose accept queue is full drops new SYNs.
TEST(NonBlockingConnect, TcpConnectStuckPastTheDeadlineTimesOut) {
    Pki pki;
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in any = loopback(0);
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
    ASSERT_EQ(::listen(lfd, 0), 0);
    sockaddr_in to = loopback(local_port(lfd));
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {  // fill the accept queue (never accepted)
        int f = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ::connect(f, reinterpret_cast<sockaddr*>(&to), sizeof to);
        fillers.push_back(f);
    }
    std::this_thread::sleep_for(milliseconds(50));

    Identity client_id = identity(pki, "client");
    client_id.timeout_ms = 300;
    Socket c(secured_client(client_id, "server.test"));
    set_nonblocking(c.get());
    Outcome first = outcome(ssx_connect(c.get(), reinterpret_cast<sockaddr*>(&to), sizeof to));
    ASSERT_EQ(first.result, -1);
    ASSERT_EQ(first.code, SSX_E_WANT_WRITE) << describe(first);
    Outcome last = first;
    auto give_up = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < give_up) {
        pollfd pfd{c.get(), POLLOUT, 0};
        ::poll(&pfd, 1, 50);
        last = outcome(ssx_handshake(c.get()));
        if (last.code != SSX_E_WANT_WRITE && last.code != SSX_E_WANT_READ) break;
    }
    EXPECT_TRUE(failed_with(last, SSX_E_TIMEOUT, ETIMEDOUT)) << describe(last);
    EXPECT_TRUE(mentions(last.message, {"TCP connect", "300 ms"}));
    for (int f : fillers) ::close(f);
    ::close(lfd);
}

}  // namespace
}  // namespace ssx::test
