// WSAQuerySocketSecurity (§4.4): every documented error, size negotiation (the required length is
// written back in every failure), tokens and CloseHandle, and the §5.3 two-call pattern.
#include <chrono>
#include <thread>

#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

class Query : public WinsockTest {
protected:
    Policies policies;

    static Failure query(SOCKET s, const SOCKET_SECURITY_QUERY_TEMPLATE* t, ULONG tlen, void* info, ULONG* len) {
        return failure(WSAQuerySocketSecurity(s, t, tlen, static_cast<SOCKET_SECURITY_QUERY_INFO*>(info), len,
                                              nullptr, nullptr));
    }
};

SOCKET_SECURITY_QUERY_TEMPLATE template_with(ULONG mask) {
    SOCKET_SECURITY_QUERY_TEMPLATE t{};
    t.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    t.PeerTokenAccessMask = mask;
    return t;
}

// ---------------------------------------------------------------- documented errors

TEST_F(Query, AddressFamilyNotSupported) {
    int fd = unix_socket();
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    Failure f = query(fd, nullptr, 0, &info, &len);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEAFNOSUPPORT) << f.message;
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    ::close(fd);
}

TEST_F(Query, ConnectionReset) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    // The server aborts: SO_LINGER 0 makes close() send a TCP reset.
    linger abort_now{1, 0};
    ASSERT_EQ(::setsockopt(c.server, SOL_SOCKET, SO_LINGER, &abort_now, sizeof abort_now), 0);
    ::close(c.server);
    c.server = INVALID_SOCKET;
    pollfd p{c.client, 0, 0};
    for (int i = 0; i < 500 && !(p.revents & POLLERR); ++i) {  // at most 5 s
        ::poll(&p, 1, 10);
    }
    ASSERT_TRUE(p.revents & POLLERR) << "the reset did not arrive";
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    Failure f = query(c.client, nullptr, 0, &info, &len);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAECONNRESET) << f.message;
}

TEST_F(Query, LengthPointerIsNull) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_QUERY_INFO info{};
    Failure f = query(s, nullptr, 0, &info, nullptr);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEFAULT) << f.message;
    closesocket(s);
}

TEST_F(Query, TcpSizeProbeIsWsaeFault) {  // the "Using Secure Socket Extensions" TCP example
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    ULONG len = 0;
    Failure f = query(c.client, nullptr, 0, nullptr, &len);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEFAULT) << f.message;
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
}

TEST_F(Query, InvalidSocketType) {
    int fd = raw_socket();
    if (fd < 0) GTEST_SKIP() << "a raw socket needs CAP_NET_RAW (CI runs as root)";
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    EXPECT_EQ(query(fd, nullptr, 0, &info, &len).wsa, WSAEINVAL);
    ::close(fd);
}

TEST_F(Query, DatagramWithNullInfoIsMsgSize) {
    SOCKET s = udp_socket();
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(0);
    sockaddr_in peer = loopback(4433);
    std::memcpy(&t.PeerAddress, &peer, sizeof peer);
    ULONG len = 0;
    Failure f = query(s, &t, sizeof t, nullptr, &len);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    // A datagram socket needs the template too.
    len = 0;
    EXPECT_EQ(query(s, nullptr, 0, nullptr, &len).wsa, WSAEMSGSIZE);
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    // With both right, the arguments pass and datagram security is reported as unsupported.
    SOCKET_SECURITY_QUERY_INFO info{};
    len = sizeof info;
    EXPECT_EQ(query(s, &t, sizeof t, &info, &len).wsa, WSAEOPNOTSUPP);
    // ... and the template's peer must be a real address.
    SOCKET_SECURITY_QUERY_TEMPLATE zero = template_with(0);
    EXPECT_EQ(query(s, &zero, sizeof zero, &info, &len).wsa, WSAEINVAL);
    closesocket(s);
}

TEST_F(Query, TemplateShorterThanItsStructIsMsgSize) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(0);
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    Failure f = query(c.client, &t, sizeof t - 1, &info, &len);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    EXPECT_EQ(query(c.client, &t, 0, &info, &len).wsa, WSAEMSGSIZE);
}

TEST_F(Query, InfoBufferTooSmallIsMsgSize) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info - 1;
    Failure f = query(c.client, nullptr, 0, &info, &len);
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    // NtApiDotNet's probe: a full template and a NULL info buffer.
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(TOKEN_QUERY);
    len = 0;
    EXPECT_EQ(query(c.client, &t, sizeof t, nullptr, &len).wsa, WSAEMSGSIZE);
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
}

TEST_F(Query, NotASocket) {
    int fd = pipe_fd();
    ULONG len = 0;
    Failure f = query(fd, nullptr, 0, nullptr, &len);
    EXPECT_EQ(f.wsa, WSAENOTSOCK) << f.message;
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));  // written back in every case
    ::close(fd);
}

// ---------------------------------------------------------------- this port

TEST_F(Query, NotConnectedYet) {
    SOCKET s = secured_client(policies, L"host/server.test");
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    EXPECT_EQ(query(s, nullptr, 0, &info, &len).wsa, WSAENOTCONN);
    closesocket(s);
}

TEST_F(Query, PlainSocketIsNotSecured) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    Failure f = query(s, nullptr, 0, &info, &len);
    EXPECT_EQ(f.wsa, WSAEINVAL);
    EXPECT_NE(f.message.find("not secured"), std::string::npos) << f.message;
    closesocket(s);
}

TEST_F(Query, TemplateProtocols) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(0);
    t.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    EXPECT_EQ(query(c.client, &t, sizeof t, &info, &len).wsa, WSAEOPNOTSUPP);
    t.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC2;
    EXPECT_EQ(query(c.client, &t, sizeof(SOCKET_SECURITY_QUERY_TEMPLATE_IPSEC2), &info, &len).wsa, WSAEOPNOTSUPP);
    t.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_INVALID;
    EXPECT_EQ(query(c.client, &t, sizeof t, &info, &len).wsa, WSAEINVAL);
    t.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_TLS;
    EXPECT_EQ(query(c.client, &t, sizeof t, &info, &len).rc, 0) << ssx_last_error_message();
    EXPECT_EQ(query(c.client, nullptr, 5, &info, &len).wsa, WSAEFAULT);  // NULL template with a length
}

// ---------------------------------------------------------------- success paths

TEST_F(Query, TwoCallPatternOfTheDocs) {  // §5.3
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    ULONG len = 0;
    ASSERT_EQ(WSAQuerySocketSecurity(c.client, nullptr, 0, nullptr, &len, nullptr, nullptr), SOCKET_ERROR);
    ASSERT_EQ(WSAGetLastError(), WSAEFAULT);
    auto* info = static_cast<SOCKET_SECURITY_QUERY_INFO*>(std::malloc(len));
    ASSERT_EQ(WSAQuerySocketSecurity(c.client, nullptr, 0, info, &len, nullptr, nullptr), 0)
        << ssx_last_error_message();
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    EXPECT_EQ(info->Flags & SOCKET_INFO_CONNECTION_SECURED, ULONG{SOCKET_INFO_CONNECTION_SECURED});
    EXPECT_EQ(info->Flags & SOCKET_INFO_CONNECTION_ENCRYPTED, ULONG{SOCKET_INFO_CONNECTION_ENCRYPTED});
    EXPECT_EQ(info->Flags & SOCKET_INFO_CONNECTION_IMPERSONATED, 0u);
    EXPECT_EQ(info->SecurityProtocol, SOCKET_SECURITY_PROTOCOL_TLS);
    EXPECT_EQ(info->PeerApplicationAccessTokenHandle, 0u);  // no template: no tokens
    EXPECT_EQ(info->PeerMachineAccessTokenHandle, 0u);
    std::free(info);
}

TEST_F(Query, TokensWithAnAccessMask) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(TOKEN_QUERY);
    // A larger buffer (the IPsec2 info's size) is fine; 24 bytes are written.
    SOCKET_SECURITY_QUERY_INFO_IPSEC2 big{};
    ULONG len = sizeof big;
    ASSERT_EQ(WSAQuerySocketSecurity(c.server, &t, sizeof t, reinterpret_cast<SOCKET_SECURITY_QUERY_INFO*>(&big),
                                     &len, nullptr, nullptr),
              0)
        << ssx_last_error_message();
    EXPECT_EQ(len, sizeof(SOCKET_SECURITY_QUERY_INFO));
    ASSERT_NE(big.PeerApplicationAccessTokenHandle, 0u);
    EXPECT_EQ(big.PeerMachineAccessTokenHandle, 0u);
    // The handle is an ssx_token* for the native accessors (the documented cast).
    ssx_token* token = (ssx_token*)(uintptr_t)big.PeerApplicationAccessTokenHandle;
    EXPECT_EQ(ssx_token_access_mask(token), unsigned{TOKEN_QUERY});
    ASSERT_NE(ssx_token_name(token), nullptr) << ssx_last_error_message();
    EXPECT_STREQ(ssx_token_name(token), "spiffe://test/client");
    EXPECT_EQ(CloseHandle((HANDLE)(uintptr_t)big.PeerApplicationAccessTokenHandle), TRUE);
    EXPECT_EQ(CloseHandle((HANDLE)(uintptr_t)big.PeerApplicationAccessTokenHandle), FALSE);  // double close
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
}

TEST_F(Query, ClientSeesTheServersIdentity) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(TOKEN_ALL_ACCESS);
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    ASSERT_EQ(WSAQuerySocketSecurity(c.client, &t, sizeof t, &info, &len, nullptr, nullptr), 0);
    ssx_token* token = (ssx_token*)(uintptr_t)info.PeerApplicationAccessTokenHandle;
    EXPECT_STREQ(ssx_token_name(token), "spiffe://test/server");
    // Tokens outlive the socket.
    closesocket(c.client);
    c.client = INVALID_SOCKET;
    EXPECT_STREQ(ssx_token_subject(token), "CN=server");
    EXPECT_EQ(CloseHandle((HANDLE)token), TRUE);
}

TEST_F(Query, WithoutTokenRightsTheTokenIsOpaque) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_TEMPLATE t = template_with(TOKEN_IMPERSONATE);
    SOCKET_SECURITY_QUERY_INFO info{};
    ULONG len = sizeof info;
    ASSERT_EQ(WSAQuerySocketSecurity(c.client, &t, sizeof t, &info, &len, nullptr, nullptr), 0);
    ssx_token* token = (ssx_token*)(uintptr_t)info.PeerApplicationAccessTokenHandle;
    EXPECT_EQ(ssx_token_name(token), nullptr);
    EXPECT_EQ(ssx_last_error(), SSX_E_ACCESS_DENIED);
    EXPECT_EQ(CloseHandle((HANDLE)token), TRUE);
}

}  // namespace
}  // namespace ssx::test::ws
