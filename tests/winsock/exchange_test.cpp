// A full secured exchange through the Winsock API only, the SDK sample's workflow (§5.1, §5.2):
// WSAStartup, WSASocket, WSASetSocketSecurity (before connect / before bind), a target name built
// as host/<fqdn>, WSAConnect / WSAAccept, WSASend / WSARecv over WSABUF arrays, query with the size
// probe, impersonation on the accepted socket, revert, closesocket, WSACleanup.
#include <vector>

#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

class Exchange : public WinsockTest {
protected:
    Policies policies;
};

TEST_F(Exchange, SampleWorkflow) {
    uint16_t port;
    SOCKET listener = secured_listener(policies, &port);
    SOCKET client = secured_client(policies, L"host/server.test");

    auto server = on_thread([listener] {
        std::vector<std::string> log;
        SOCKET s = WSAAccept(listener, nullptr, nullptr, nullptr, 0);
        if (s == INVALID_SOCKET) return std::vector<std::string>{"accept " + std::to_string(WSAGetLastError())};
        log.push_back(recv_exact(s, 11));
        if (WSAImpersonateSocketPeer(s, nullptr, 0) != 0) log.push_back("impersonate failed");
        ssx_token* me = nullptr;
        ssx_get_thread_token(&me);
        log.push_back(me ? ssx_token_name(me) : "nobody");
        ssx_token_close(me);
        log.push_back(WSARevertImpersonation() == 0 ? "reverted" : "revert failed");
        log.push_back(send_all(s, "reply") ? "sent" : "send failed");
        log.push_back(closesocket(s) == 0 ? "closed" : "close failed");
        return log;
    });

    ASSERT_EQ(wsa_connect(client, port), 0) << WSAGetLastError() << ": " << ssx_last_error_message();
    // Gather-send: two buffers arrive as one byte stream.
    char hello[] = "hello", world[] = " world";
    WSABUF parts[2] = {{5, hello}, {6, world}};
    DWORD sent = 0;
    ASSERT_EQ(WSASend(client, parts, 2, &sent, 0, nullptr, nullptr), 0) << ssx_last_error_message();
    EXPECT_EQ(sent, 11u);
    EXPECT_EQ(recv_exact(client, 5), "reply");
    // The peer closed: an orderly end reads as 0 bytes.
    char more[8];
    WSABUF b{sizeof more, more};
    DWORD got = 99, flags = 0;
    EXPECT_EQ(WSARecv(client, &b, 1, &got, &flags, nullptr, nullptr), 0);
    EXPECT_EQ(got, 0u);

    ULONG len = 0;
    ASSERT_EQ(WSAQuerySocketSecurity(client, nullptr, 0, nullptr, &len, nullptr, nullptr), SOCKET_ERROR);
    ASSERT_EQ(WSAGetLastError(), WSAEFAULT);
    std::vector<unsigned char> buffer(len);
    auto* info = reinterpret_cast<SOCKET_SECURITY_QUERY_INFO*>(buffer.data());
    ASSERT_EQ(WSAQuerySocketSecurity(client, nullptr, 0, info, &len, nullptr, nullptr), 0);
    EXPECT_EQ(info->Flags, ULONG{SOCKET_INFO_CONNECTION_SECURED | SOCKET_INFO_CONNECTION_ENCRYPTED});
    EXPECT_EQ(closesocket(client), 0);

    std::vector<std::string> log = get_within(server);
    std::vector<std::string> expected = {"hello world", "spiffe://test/client", "reverted", "sent", "closed"};
    EXPECT_EQ(log, expected);
    EXPECT_EQ(closesocket(listener), 0);
}

TEST_F(Exchange, ScatterReceive) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(send_all(c.client, "0123456789"));
    char a[4], b[6];
    WSABUF parts[2] = {{4, a}, {6, b}};
    DWORD got = 0, flags = MSG_WAITALL;
    ASSERT_EQ(WSARecv(c.server, parts, 2, &got, &flags, nullptr, nullptr), 0) << ssx_last_error_message();
    EXPECT_EQ(got, 10u);
    EXPECT_EQ(flags, 0u);
    EXPECT_EQ(std::string(a, 4), "0123");
    EXPECT_EQ(std::string(b, 6), "456789");
    // Peek leaves the data in place.
    ASSERT_TRUE(send_all(c.client, "xyz"));
    char p[3];
    WSABUF pb{3, p};
    flags = MSG_PEEK | MSG_WAITALL;
    ASSERT_EQ(WSARecv(c.server, &pb, 1, &got, &flags, nullptr, nullptr), 0);
    EXPECT_EQ(recv_exact(c.server, 3), "xyz");
}

TEST_F(Exchange, LargeGatheredSend) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    // Many small buffers and one large one, in order.
    std::string small(100, 's'), large(70000, 'L');
    std::vector<WSABUF> parts;
    for (int i = 0; i < 200; ++i) parts.push_back({static_cast<ULONG>(small.size()), small.data()});
    parts.push_back({static_cast<ULONG>(large.size()), large.data()});
    parts.push_back({0, nullptr});
    parts.push_back({3, const_cast<char*>("end")});
    const size_t total = 200 * small.size() + large.size() + 3;
    auto reader = on_thread([&c, total] { return recv_exact(c.server, total); });
    DWORD sent = 0;
    ASSERT_EQ(WSASend(c.client, parts.data(), static_cast<DWORD>(parts.size()), &sent, 0, nullptr, nullptr), 0)
        << ssx_last_error_message();
    EXPECT_EQ(sent, total);
    std::string got = get_within(reader);
    EXPECT_EQ(got, std::string(20000, 's') + large + "end");
}

TEST_F(Exchange, WrongTargetNameIsRefused) {
    Connection c;
    connect_pair(policies, c, L"host/other.test");
    EXPECT_EQ(c.client, INVALID_SOCKET);
    EXPECT_EQ(c.connect_wsa, WSAEACCES);
    EXPECT_EQ(c.server, INVALID_SOCKET);  // the server drops the client it could not complete
}

TEST_F(Exchange, NoTargetNameIsRefused) {
    Connection c;
    connect_pair(policies, c, nullptr);
    EXPECT_EQ(c.client, INVALID_SOCKET);
    EXPECT_EQ(c.connect_wsa, WSAEDESTADDRREQ);
}

TEST_F(Exchange, UnsecuredSocketsStayPlain) {
    // Without WSASetSocketSecurity a socket is an ordinary TCP socket, as on Windows.
    uint16_t port;
    int listener = plain_listener(&port);
    SOCKET client = tcp_socket();
    auto server = on_thread([listener] {
        SOCKET s = WSAAccept(listener, nullptr, nullptr, nullptr, 0);
        std::string got = recv_exact(s, 5);
        closesocket(s);
        return got;
    });
    ASSERT_EQ(wsa_connect(client, port), 0) << ssx_last_error_message();
    ASSERT_TRUE(send_all(client, "plain"));
    EXPECT_EQ(get_within(server), "plain");
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    EXPECT_EQ(WSAQuerySocketSecurity(client, nullptr, 0, &info, &len, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(closesocket(client), 0);
    ::close(listener);
}

TEST_F(Exchange, AcceptReportsThePeerAddress) {
    uint16_t port;
    SOCKET listener = secured_listener(policies, &port);
    SOCKET client = secured_client(policies, L"host/127.0.0.1");
    auto server = on_thread([listener] {
        sockaddr_storage from{};
        int from_len = sizeof from;
        SOCKET s = WSAAccept(listener, reinterpret_cast<sockaddr*>(&from), &from_len, nullptr, 0);
        bool ok = s != INVALID_SOCKET && from.ss_family == AF_INET && from_len == int(sizeof(sockaddr_in));
        if (s != INVALID_SOCKET) closesocket(s);
        return ok;
    });
    ASSERT_EQ(wsa_connect(client, port), 0) << ssx_last_error_message();
    EXPECT_TRUE(get_within(server));
    EXPECT_EQ(closesocket(client), 0);
    EXPECT_EQ(closesocket(listener), 0);
}

TEST_F(Exchange, UnsupportedArguments) {
    uint16_t port;
    SOCKET listener = secured_listener(policies, &port);
    auto condition = [](LPWSABUF, LPWSABUF, LPQOS, LPQOS, LPWSABUF, LPWSABUF, GROUP*, DWORD_PTR) { return 0; };
    EXPECT_EQ(WSAAccept(listener, nullptr, nullptr, condition, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    SOCKET client = secured_client(policies, L"host/server.test");
    sockaddr_in to = loopback(port);
    char data[] = "x";
    WSABUF caller{1, data};
    EXPECT_EQ(WSAConnect(client, reinterpret_cast<sockaddr*>(&to), sizeof to, &caller, nullptr, nullptr, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    WSABUF b{1, data};
    DWORD n = 0;
    EXPECT_EQ(WSASend(client, &b, 1, &n, MSG_OOB, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEOPNOTSUPP);
    DWORD flags = 0;
    EXPECT_EQ(WSARecv(client, &b, 1, &n, nullptr, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(WSARecv(client, nullptr, 1, &n, &flags, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(WSASend(client, &b, 1, &n, 0, nullptr, nullptr), SOCKET_ERROR);  // not connected yet
    EXPECT_EQ(WSAGetLastError(), WSAENOTCONN);
    EXPECT_EQ(closesocket(client), 0);
    EXPECT_EQ(closesocket(listener), 0);
}

TEST_F(Exchange, NonBlockingSockets) {
    uint16_t port;
    SOCKET listener = secured_listener(policies, &port);
    SOCKET client = secured_client(policies, L"host/server.test");
    auto server = on_thread([listener] {
        SOCKET s = WSAAccept(listener, nullptr, nullptr, nullptr, 0);
        std::string got = s == INVALID_SOCKET ? "" : recv_exact(s, 4);
        if (s != INVALID_SOCKET) closesocket(s);
        return got;
    });
    ASSERT_EQ(::fcntl(client, F_SETFL, ::fcntl(client, F_GETFL) | O_NONBLOCK), 0);
    // As on Windows, a non-blocking connect says WSAEWOULDBLOCK; the handshake then completes
    // with ssx_handshake() as the socket becomes ready.
    ASSERT_EQ(wsa_connect(client, port), SOCKET_ERROR);
    ASSERT_EQ(WSAGetLastError(), WSAEWOULDBLOCK) << ssx_last_error_message();
    int rounds = 0;
    for (; rounds < 500 && ssx_handshake(client) != 0; ++rounds) {
        ASSERT_TRUE(ssx_last_error() == SSX_E_WANT_READ || ssx_last_error() == SSX_E_WANT_WRITE)
            << ssx_last_error_message();
        pollfd p{client, static_cast<short>(ssx_last_error() == SSX_E_WANT_READ ? POLLIN : POLLOUT), 0};
        ::poll(&p, 1, 20);
    }
    ASSERT_LT(rounds, 500) << "the handshake did not finish";
    // Nothing to read yet: WSAEWOULDBLOCK, not a hang.
    char buf[8];
    WSABUF b{sizeof buf, buf};
    DWORD got = 0, flags = 0;
    EXPECT_EQ(WSARecv(client, &b, 1, &got, &flags, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEWOULDBLOCK);
    ASSERT_TRUE(send_all(client, "ping"));
    EXPECT_EQ(get_within(server), "ping");
    EXPECT_EQ(closesocket(client), 0);
    EXPECT_EQ(closesocket(listener), 0);
}

int completion_calls = 0;
void CALLBACK completion(DWORD, DWORD, LPWSAOVERLAPPED, DWORD) { ++completion_calls; }

TEST_F(Exchange, OverlappedArgumentsAreIgnored) {
    // Linux has no overlapped sockets: the calls complete synchronously and never call the routine.
    auto* overlapped = reinterpret_cast<LPWSAOVERLAPPED>(&completion_calls);  // never dereferenced
    uint16_t port;
    SOCKET listener = tcp_socket();
    SOCKET_SECURITY_SETTINGS settings{SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION};
    {
        ScopedEnv env("SSX_POLICY", policies.server());
        ASSERT_EQ(WSASetSocketSecurity(listener, &settings, sizeof settings, overlapped, completion), 0);
    }
    sockaddr_in a = loopback(0);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    port = local_port(listener);
    SOCKET client = secured_client(policies, L"host/server.test");
    auto server = on_thread([listener] {
        SOCKET s = WSAAccept(listener, nullptr, nullptr, nullptr, 0);
        std::string got = recv_exact(s, 2);
        closesocket(s);
        return got;
    });
    ASSERT_EQ(wsa_connect(client, port), 0);
    char hi[] = "hi";
    WSABUF b{2, hi};
    DWORD sent = 0;
    ASSERT_EQ(WSASend(client, &b, 1, &sent, 0, overlapped, completion), 0);
    EXPECT_EQ(sent, 2u);
    EXPECT_EQ(get_within(server), "hi");
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    EXPECT_EQ(WSAQuerySocketSecurity(client, nullptr, 0, &info, &len, overlapped, completion), 0);
    EXPECT_EQ(completion_calls, 0);
    EXPECT_EQ(closesocket(client), 0);
    EXPECT_EQ(closesocket(listener), 0);
}

}  // namespace
}  // namespace ssx::test::ws
