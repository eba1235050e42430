// WSAImpersonateSocketPeer (§4.5) and WSARevertImpersonation (§4.6).
#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

class Impersonation : public WinsockTest {
protected:
    Policies policies;

    static Failure impersonate(SOCKET s, const void* addr, ULONG len) {
        return failure(WSAImpersonateSocketPeer(s, static_cast<const sockaddr*>(addr), len));
    }

    static std::string thread_principal() {
        ssx_token* t = nullptr;
        EXPECT_EQ(ssx_get_thread_token(&t), 0);
        std::string name = t ? ssx_token_name(t) : "";
        ssx_token_close(t);
        return name;
    }
};

// ---------------------------------------------------------------- §4.5 documented errors

TEST_F(Impersonation, NullPeerAddressOnADatagramSocket) {
    SOCKET s = udp_socket();
    Failure f = impersonate(s, nullptr, 0);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEFAULT) << f.message;
    sockaddr_in from = loopback(4433);
    EXPECT_EQ(impersonate(s, &from, sizeof from).wsa, WSAEOPNOTSUPP);  // arguments fine; UDP unsupported
    closesocket(s);
}

TEST_F(Impersonation, AddressFamilyNotSupported) {
    SOCKET s = secured_client(policies, nullptr);
    sockaddr_storage peer{};
    peer.ss_family = 23;
    Failure f = impersonate(s, &peer, sizeof peer);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEAFNOSUPPORT) << f.message;
    int fd = unix_socket();
    EXPECT_EQ(impersonate(fd, nullptr, 0).wsa, WSAEAFNOSUPPORT);
    ::close(fd);
    closesocket(s);
}

TEST_F(Impersonation, BufferTooSmall) {
    SOCKET s = secured_client(policies, nullptr);
    sockaddr_in peer = loopback(443);
    Failure f = impersonate(s, &peer, sizeof peer - 8);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    EXPECT_EQ(impersonate(s, &peer, 1).wsa, WSAEMSGSIZE);
    closesocket(s);
}

TEST_F(Impersonation, NotASocket) {
    int fd = pipe_fd();
    EXPECT_EQ(impersonate(fd, nullptr, 0).wsa, WSAENOTSOCK);
    ::close(fd);
    EXPECT_EQ(impersonate(closed_fd(), nullptr, 0).wsa, WSAENOTSOCK);
}

TEST_F(Impersonation, InvalidSocketType) {  // the generic family/type rule
    int fd = raw_socket();
    if (fd < 0) GTEST_SKIP() << "a raw socket needs CAP_NET_RAW (CI runs as root)";
    EXPECT_EQ(impersonate(fd, nullptr, 0).wsa, WSAEINVAL);
    ::close(fd);
}

// ---------------------------------------------------------------- this port

TEST_F(Impersonation, NeedsAConnection) {
    SOCKET s = secured_client(policies, L"host/server.test");
    Failure f = impersonate(s, nullptr, 0);
    EXPECT_EQ(f.wsa, WSAENOTCONN) << f.message;
    EXPECT_EQ(thread_principal(), "");  // unchanged on failure
    closesocket(s);
}

TEST_F(Impersonation, NeedsASecuredSocket) {
    SOCKET s = tcp_socket();
    EXPECT_EQ(impersonate(s, nullptr, 0).wsa, WSAEINVAL);
    closesocket(s);
}

// ---------------------------------------------------------------- success, §4.6

TEST_F(Impersonation, AcceptedSocketThenRevert) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(WSAImpersonateSocketPeer(c.server, nullptr, 0), 0) << ssx_last_error_message();
    EXPECT_EQ(thread_principal(), "spiffe://test/client");
    // The query on the impersonated peer's socket reports it (on this thread only).
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    ASSERT_EQ(WSAQuerySocketSecurity(c.server, nullptr, 0, &info, &len, nullptr, nullptr), 0);
    EXPECT_EQ(info.Flags & SOCKET_INFO_CONNECTION_IMPERSONATED, ULONG{SOCKET_INFO_CONNECTION_IMPERSONATED});
    int other_flags = -1;
    std::thread([&] {
        SOCKET_SECURITY_QUERY_INFO i{};
        ULONG l = sizeof i;
        if (WSAQuerySocketSecurity(c.server, nullptr, 0, &i, &l, nullptr, nullptr) == 0) other_flags = int(i.Flags);
    }).join();
    EXPECT_EQ(other_flags & SOCKET_INFO_CONNECTION_IMPERSONATED, 0);
    EXPECT_EQ(WSARevertImpersonation(), 0) << ssx_last_error_message();
    EXPECT_EQ(thread_principal(), "");
}

TEST_F(Impersonation, ClientSideAndIgnoredAddress) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    // For TCP the address is ignored (a valid one is accepted, whatever it says).
    sockaddr_in elsewhere = loopback(9);
    ASSERT_EQ(WSAImpersonateSocketPeer(c.client, reinterpret_cast<sockaddr*>(&elsewhere), sizeof elsewhere), 0)
        << ssx_last_error_message();
    EXPECT_EQ(thread_principal(), "spiffe://test/server");
    EXPECT_EQ(WSARevertImpersonation(), 0);
}

TEST_F(Impersonation, NestsAndRevertsOneAtATime) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(WSAImpersonateSocketPeer(c.server, nullptr, 0), 0);
    ASSERT_EQ(WSAImpersonateSocketPeer(c.client, nullptr, 0), 0);
    EXPECT_EQ(thread_principal(), "spiffe://test/server");
    EXPECT_EQ(WSARevertImpersonation(), 0);
    EXPECT_EQ(thread_principal(), "spiffe://test/client");
    EXPECT_EQ(WSARevertImpersonation(), 0);
    EXPECT_EQ(thread_principal(), "");
}

TEST_F(Impersonation, RevertWhenNotImpersonatingDoesNothing) {
    EXPECT_EQ(WSARevertImpersonation(), 0);
    EXPECT_EQ(WSARevertImpersonation(), 0);
    EXPECT_EQ(ssx_last_error(), SSX_OK);
}

}  // namespace
}  // namespace ssx::test::ws
