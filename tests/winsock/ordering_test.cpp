// The call-order rules (fact sheet §5.5 and §10): each function at each stage of a socket's life.
#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

class Ordering : public WinsockTest {
protected:
    Policies policies;
};

int query_code(SOCKET s) {
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    return WSAQuerySocketSecurity(s, nullptr, 0, &info, &len, nullptr, nullptr) == 0 ? 0 : WSAGetLastError();
}

int impersonate_code(SOCKET s) {
    if (WSAImpersonateSocketPeer(s, nullptr, 0) != 0) return WSAGetLastError();
    EXPECT_EQ(WSARevertImpersonation(), 0);
    return 0;
}

int target_code(SOCKET s) { return set_target(s, L"host/server.test") == 0 ? 0 : WSAGetLastError(); }

int delete_code(SOCKET s) {
    sockaddr_in any{};
    any.sin_family = AF_INET;
    return WSADeleteSocketPeerTargetName(s, reinterpret_cast<sockaddr*>(&any), sizeof any, nullptr, nullptr) == 0
               ? 0
               : WSAGetLastError();
}

int security_code(SOCKET s, const std::string& policy) { return secure(s, policy) == 0 ? 0 : WSAGetLastError(); }

TEST_F(Ordering, BeforeWsaSetSocketSecurity) {
    SOCKET s = tcp_socket();
    EXPECT_EQ(target_code(s), WSAEINVAL);
    EXPECT_EQ(delete_code(s), WSAEINVAL);
    EXPECT_EQ(query_code(s), WSAEINVAL);
    EXPECT_EQ(impersonate_code(s), WSAEINVAL);
    closesocket(s);
}

TEST_F(Ordering, SecuredButNotConnected) {
    SOCKET s = tcp_socket();
    ASSERT_EQ(security_code(s, policies.client()), 0);
    EXPECT_EQ(query_code(s), WSAENOTCONN);
    EXPECT_EQ(impersonate_code(s), WSAENOTCONN);
    EXPECT_EQ(delete_code(s), WSAEINVAL);  // nothing set yet
    EXPECT_EQ(target_code(s), 0);
    EXPECT_EQ(delete_code(s), 0);
    EXPECT_EQ(target_code(s), 0);
    EXPECT_EQ(security_code(s, policies.client()), WSAEINVAL);  // once per socket
    closesocket(s);
}

TEST_F(Ordering, ConnectedClient) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(query_code(c.client), 0);
    EXPECT_EQ(impersonate_code(c.client), 0);
    EXPECT_EQ(target_code(c.client), WSAEISCONN);
    EXPECT_EQ(delete_code(c.client), WSAEISCONN);
    EXPECT_EQ(security_code(c.client, policies.client()), WSAEINVAL);  // already set (and connected)
}

TEST_F(Ordering, ListenerAndAcceptedSocket) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(target_code(c.listener), WSAEINVAL);  // target names are for clients
    EXPECT_EQ(query_code(c.listener), WSAENOTCONN);
    EXPECT_EQ(impersonate_code(c.listener), WSAENOTCONN);
    // The accepted socket inherits the listener's settings: it is queried and impersonated, never set.
    EXPECT_EQ(query_code(c.server), 0);
    EXPECT_EQ(impersonate_code(c.server), 0);
    EXPECT_EQ(security_code(c.server, policies.server()), WSAEINVAL);
}

TEST_F(Ordering, AfterClosesocket) {
    SOCKET s = secured_client(policies, L"host/server.test");
    ASSERT_EQ(closesocket(s), 0);
    EXPECT_EQ(query_code(s), WSAENOTSOCK);
    EXPECT_EQ(target_code(s), WSAENOTSOCK);
    EXPECT_EQ(closesocket(s), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
}

TEST_F(Ordering, ConnectNeedsATargetName) {
    uint16_t port;
    int listener = plain_listener(&port);
    SOCKET s = secured_client(policies, nullptr);
    EXPECT_EQ(wsa_connect(s, port), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEDESTADDRREQ);
    closesocket(s);
    ::close(listener);
}

}  // namespace
}  // namespace ssx::test::ws
