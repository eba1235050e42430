// Non-blocking sockets: one thread drives a client and an accepted socket with poll(), no hidden
// threads. Calls report SSX_E_WANT_READ / SSX_E_WANT_WRITE with errno EAGAIN (EINPROGRESS while TCP
// connects), ssx_handshake() finishes the job, and data then flows both ways in the same loop.
#include <netinet/tcp.h>
#include <unistd.h>

#include <chrono>

#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

// One side of the handshake being driven.
struct Side {
    const char* name;
    int fd = -1;
    bool done = false;
    short events = POLLIN | POLLOUT;
    int want_read = 0, want_write = 0;
};

// Calls ssx_handshake once; records what it asked for. Returns "" or a failure description.
std::string step(Side& s) {
    errno = 0;
    Outcome o = outcome(ssx_handshake(s.fd));
    if (o.result == 0) {
        s.done = true;
        return "";
    }
    if (o.code == SSX_E_WANT_READ && o.err == EAGAIN) {
        ++s.want_read;
        s.events = POLLIN;
        return "";
    }
    if (o.code == SSX_E_WANT_WRITE && o.err == EAGAIN) {
        ++s.want_write;
        s.events = POLLOUT;
        return "";
    }
    return std::string(s.name) + ": " + describe(o);
}

class NonBlockingTest : public ::testing::Test {
protected:
    Pki pki_;
    Identity server_ = identity(pki_, "server");
    Identity client_ = identity(pki_, "client");
};

TEST_F(NonBlockingTest, OneThreadDrivesBothEndsWithPoll) {
    Listener l = listen_on(&server_);
    set_nonblocking(l.fd());
    EXPECT_TRUE(failed_with(outcome(ssx_accept(l.fd(), nullptr, nullptr)), SSX_E_WANT_READ, EAGAIN))
        << "nothing is pending yet";

    Socket client(secured_client(client_, "server.test"));
    set_nonblocking(client.get());
    Outcome c = connect_to(client.get(), l.address);
    ASSERT_EQ(c.result, -1) << "a non-blocking connect cannot be secured at once";
    EXPECT_TRUE((c.code == SSX_E_WANT_WRITE && c.err == EINPROGRESS) || (c.code == SSX_E_WANT_READ && c.err == EAGAIN))
        << describe(c);

    ASSERT_TRUE(connection_pending(l.fd(), 2000ms));
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    Socket server(ssx_accept(l.fd(), reinterpret_cast<sockaddr*>(&from), &from_len));
    ASSERT_GE(server.get(), 0) << ssx_last_error_message();
    EXPECT_EQ(from.ss_family, AF_INET);
    EXPECT_TRUE(fcntl(server.get(), F_GETFL) & O_NONBLOCK) << "accepted from a non-blocking listener";
    // The handshake is pending: a query is refused until it completes.
    ssx_query_info info{};
    size_t len = sizeof info;
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(server.get(), nullptr, &info, &len)),
                            SSX_E_NOT_CONNECTED, ENOTCONN));

    Side sides[2] = {{"client", client.get()}, {"server", server.get()}};
    const auto deadline = Clock::now() + 5s;
    int rounds = 0;
    while (!(sides[0].done && sides[1].done) && Clock::now() < deadline && rounds++ < 1000) {
        for (Side& s : sides) {
            if (!s.done) {
                std::string problem = step(s);
                ASSERT_EQ(problem, "");
            }
        }
        pollfd p[2];
        nfds_t n = 0;
        for (Side& s : sides)
            if (!s.done) p[n++] = {s.fd, s.events, 0};
        if (n) ::poll(p, n, 100);
    }
    ASSERT_TRUE(sides[0].done && sides[1].done) << "the handshake did not finish in " << rounds << " rounds";
    EXPECT_GT(sides[0].want_read + sides[1].want_read, 0) << "someone had to wait for the peer";
    EXPECT_EQ(ssx_handshake(client.get()), 0) << "already secured: 0 again";

    for (int fd : {client.get(), server.get()}) {
        Query q = query(fd);
        ASSERT_TRUE(succeeded(q.call));
        EXPECT_EQ(q.info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED);
    }

    // Nothing to read yet: WANT_READ, never a block.
    char buf[64];
    EXPECT_TRUE(failed_with(outcome(ssx_recv(client.get(), buf, sizeof buf, 0)), SSX_E_WANT_READ, EAGAIN));

    // A transfer larger than the socket buffers, in the same single-threaded loop.
    const std::vector<unsigned char> data = pattern(16u << 20, 5);
    std::vector<unsigned char> got;
    got.reserve(data.size());
    size_t sent = 0;
    int send_waits = 0;
    std::vector<unsigned char> chunk(65536);
    const auto transfer_deadline = Clock::now() + 30s;
    while (got.size() < data.size() && Clock::now() < transfer_deadline) {
        while (sent < data.size()) {
            errno = 0;
            ssize_t n = ssx_send(client.get(), data.data() + sent, std::min<size_t>(data.size() - sent, 1u << 20), 0);
            if (n > 0) {
                sent += static_cast<size_t>(n);
                continue;
            }
            Outcome o = outcome(n);
            ASSERT_TRUE(o.code == SSX_E_WANT_WRITE || o.code == SSX_E_WANT_READ) << describe(o);
            ASSERT_EQ(o.err, EAGAIN);
            ++send_waits;
            break;
        }
        for (;;) {
            ssize_t n = ssx_recv(server.get(), chunk.data(), chunk.size(), 0);
            if (n > 0) {
                got.insert(got.end(), chunk.begin(), chunk.begin() + n);
                continue;
            }
            Outcome o = outcome(n);
            ASSERT_TRUE(failed_with(o, SSX_E_WANT_READ, EAGAIN));
            break;
        }
        pollfd p[2] = {{client.get(), POLLOUT, 0}, {server.get(), POLLIN, 0}};
        ::poll(p, sent < data.size() ? 2 : 1, 100);
    }
    ASSERT_EQ(got.size(), data.size());
    EXPECT_EQ(first_difference(got, data), -1);
    EXPECT_GT(send_waits, 0) << "16 MiB cannot fit the socket buffers at once";
}

// A non-blocking accepted socket completes its handshake on first use: ssx_recv drives it.
TEST_F(NonBlockingTest, RecvDrivesAPendingServerHandshake) {
    Listener l = listen_on(&server_);
    set_nonblocking(l.fd());
    auto cli = on_thread([&] {
        Outcome o;
        Socket fd = connect_client(client_, "server.test", l.address, &o);
        if (o.result == 0) o = send_text(fd.get(), "ping");
        std::string rest;
        if (o.result > 0) recv_until_end(fd.get(), &rest);  // until the server closes
        return o;
    });
    ASSERT_TRUE(connection_pending(l.fd(), 2000ms));
    Socket server(ssx_accept(l.fd(), nullptr, nullptr));
    ASSERT_GE(server.get(), 0) << ssx_last_error_message();
    ssx_query_info info{};
    size_t len = sizeof info;
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(server.get(), nullptr, &info, &len)),
                            SSX_E_NOT_CONNECTED, ENOTCONN))
        << "the handshake is still pending when ssx_accept returns";
    std::string got;
    const auto deadline = Clock::now() + 5s;
    char buf[16];
    while (got.size() < 4 && Clock::now() < deadline) {
        ssize_t n = ssx_recv(server.get(), buf, sizeof buf, 0);
        if (n > 0) {
            got.append(buf, static_cast<size_t>(n));
            continue;
        }
        Outcome o = outcome(n);
        ASSERT_TRUE(o.code == SSX_E_WANT_READ || o.code == SSX_E_WANT_WRITE) << describe(o);
        ASSERT_EQ(o.err, EAGAIN);
        pollfd p{server.get(), static_cast<short>(o.code == SSX_E_WANT_READ ? POLLIN : POLLOUT), 0};
        ::poll(&p, 1, 100);
    }
    EXPECT_EQ(got, "ping");
    EXPECT_EQ(query(server.get()).info.flags & SSX_INFO_CONNECTION_SECURED, SSX_INFO_CONNECTION_SECURED);
    server.reset();
    EXPECT_TRUE(succeeded(get_within(cli)));
}

// MSG_DONTWAIT makes one call non-blocking on a blocking socket.
TEST_F(NonBlockingTest, DontWaitOnABlockingSocket) {
    Listener l = listen_on(&server_);
    auto srv = serve_once(l.fd());
    Outcome c;
    Socket fd = connect_client(client_, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    char b;
    const auto start = Clock::now();
    EXPECT_TRUE(failed_with(outcome(ssx_recv(fd.get(), &b, 1, MSG_DONTWAIT)), SSX_E_WANT_READ, EAGAIN));
    EXPECT_LT(Clock::now() - start, 500ms);
    fd.reset();
    get_within(srv);
}

// Data a peer sends the moment the handshake is over must wait in the socket, where poll() sees
// it, not inside ssx: event loops call poll() right after ssx_connect/ssx_accept. (OpenSSL's
// read-ahead during the handshake, or the client's wait for the server's verdict reading one
// record too many, would take it along.) Both tests arrange the bytes so that the peer's last
// handshake read finds them already there.
bool readable_within(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

// Drives one non-blocking side's handshake until it completes; "" or what went wrong.
std::string finish(Side& side) {
    const auto deadline = Clock::now() + 5s;
    for (int rounds = 0; !side.done && Clock::now() < deadline && rounds < 1000; ++rounds) {
        if (std::string e = step(side); !e.empty() || side.done) return e;
        pollfd p{side.fd, side.events, 0};
        ::poll(&p, 1, 100);
    }
    return side.done ? "" : std::string(side.name) + ": handshake did not finish";
}

TEST_F(NonBlockingTest, ClientDataRightAfterTheHandshakeStaysVisibleToPoll) {
    Listener l = listen_on(&server_);
    set_nonblocking(l.fd());
    Socket client(secured_client(client_, "server.test"));
    set_nonblocking(client.get());
    int on = 1;  // the data must not wait behind Nagle: it leaves right after the Finished
    ASSERT_EQ(::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on), 0);
    connect_to(client.get(), l.address);
    ASSERT_TRUE(connection_pending(l.fd(), 2000ms));
    Socket server(ssx_accept(l.fd(), nullptr, nullptr));
    ASSERT_GE(server.get(), 0) << ssx_last_error_message();
    Side c{"client", client.get()}, s{"server", server.get()};
    // The client finishes first (its Finished is sent), then sends at once; only then does the
    // server read the client's last flight: "hello" is in the socket behind it.
    const auto deadline = Clock::now() + 5s;
    while (!c.done && Clock::now() < deadline) {
        ASSERT_EQ(step(c), "");
        if (!c.done) ASSERT_EQ(step(s), "");
        ::usleep(1000);
    }
    ASSERT_TRUE(c.done);
    ASSERT_EQ(ssx_send(client.get(), "hello", 5, 0), 5) << ssx_last_error_message();
    ASSERT_EQ(finish(s), "");
    EXPECT_TRUE(readable_within(server.get(), 2000)) << "the client's first data is inside ssx, where poll() cannot see it";
    char buf[16];
    ssize_t n = ssx_recv(server.get(), buf, sizeof buf, 0);
    EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "hello");
}

TEST_F(NonBlockingTest, ServerDataRightAfterTheHandshakeStaysVisibleToPoll) {
    Listener l = listen_on(&server_);
    set_nonblocking(l.fd());
    // A blocking client: ssx_connect waits for the server's first post-handshake record (its
    // verdict on our certificate), reading as it arrives.
    auto cli = on_thread([&]() -> std::string {
        Outcome o;
        Socket c = connect_client(client_, "server.test", l.address, &o);
        if (o.result != 0) return "connect: " + describe(o);
        if (!readable_within(c.get(), 2000)) return "the server's first data is inside ssx, where poll() cannot see it";
        char buf[16];
        ssize_t n = ssx_recv(c.get(), buf, sizeof buf, 0);
        std::string got(buf, n > 0 ? static_cast<size_t>(n) : 0);
        return got == "banner" ? "" : "received '" + got + "'";
    });
    ASSERT_TRUE(connection_pending(l.fd(), 2000ms));
    Socket server(ssx_accept(l.fd(), nullptr, nullptr));
    ASSERT_GE(server.get(), 0) << ssx_last_error_message();
    // The server's verdict (a KeyUpdate, written by the step that completes its handshake) and
    // its first data leave in one TCP segment (TCP_CORK), so the client's read of the verdict
    // finds the data right behind it. Earlier flights are pushed out by uncorking after each step.
    int on = 1, off = 0;
    ASSERT_EQ(::setsockopt(server.get(), IPPROTO_TCP, TCP_CORK, &on, sizeof on), 0);
    Side s{"server", server.get()};
    const auto deadline = Clock::now() + 5s;
    while (!s.done && Clock::now() < deadline) {
        ASSERT_EQ(step(s), "");
        if (s.done) break;
        ::setsockopt(server.get(), IPPROTO_TCP, TCP_CORK, &off, sizeof off);  // push this flight
        ::setsockopt(server.get(), IPPROTO_TCP, TCP_CORK, &on, sizeof on);
        pollfd p{server.get(), s.events, 0};
        ::poll(&p, 1, 100);
    }
    ASSERT_TRUE(s.done);
    ASSERT_EQ(ssx_send(server.get(), "banner", 6, 0), 6) << ssx_last_error_message();
    ASSERT_EQ(::setsockopt(server.get(), IPPROTO_TCP, TCP_CORK, &off, sizeof off), 0);
    EXPECT_EQ(get_within(cli), "");
}

}  // namespace
}  // namespace ssx::test
