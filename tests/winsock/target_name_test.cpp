// WSASetSocketPeerTargetName (§4.2) and WSADeleteSocketPeerTargetName (§4.3): every documented
// error, the length rules (characters; offset of AllStrings, not sizeof), SPN forms, success paths.
#include <string>

#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

class TargetNames : public WinsockTest {
protected:
    Policies policies;

    // A TCP socket secured with the client policy (target names need WSASetSocketSecurity first).
    SOCKET secured(int family = AF_INET) {
        SOCKET s = tcp_socket(family);
        EXPECT_EQ(secure(s, policies.client()), 0) << ssx_last_error_message();
        return s;
    }

    static Failure set(SOCKET s, const TargetName& t) {
        return failure(WSASetSocketPeerTargetName(s, t.p.get(), t.len, nullptr, nullptr));
    }
    static Failure del(SOCKET s, const void* addr, ULONG len) {
        return failure(
            WSADeleteSocketPeerTargetName(s, static_cast<const sockaddr*>(addr), len, nullptr, nullptr));
    }
};

sockaddr_in any4() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    return a;
}

// ---------------------------------------------------------------- §4.2 documented errors

TEST_F(TargetNames, SetAddressFamilyNotSupported) {
    SOCKET s = secured();
    TargetName t = target_name(L"host/server.test");
    t.p->PeerAddress.ss_family = 23;  // AF_INET6 as a Windows program would hard-code it
    Failure f = set(s, t);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEAFNOSUPPORT) << f.message;
    int fd = unix_socket();
    EXPECT_EQ(set(fd, target_name(L"host/server.test")).wsa, WSAEAFNOSUPPORT);
    ::close(fd);
    closesocket(s);
}

TEST_F(TargetNames, SetNullPointer) {
    SOCKET s = secured();
    EXPECT_EQ(WSASetSocketPeerTargetName(s, nullptr, 0, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(WSASetSocketPeerTargetName(s, nullptr, 200, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
    closesocket(s);
}

TEST_F(TargetNames, SetInvalidSocketType) {
    int fd = raw_socket();
    if (fd < 0) GTEST_SKIP() << "a raw socket needs CAP_NET_RAW (CI runs as root)";
    EXPECT_EQ(set(fd, target_name(L"host/server.test")).wsa, WSAEINVAL);
    ::close(fd);
}

TEST_F(TargetNames, SetZeroPeerAddressOnADatagramSocket) {
    SOCKET s = udp_socket();
    Failure f = set(s, target_name(L"host/server.test"));  // PeerAddress left zero, as the TCP sample does
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEINVAL) << f.message;
    // With a real peer address the arguments are fine; datagram security itself is not supported.
    TargetName t = target_name(L"host/server.test");
    sockaddr_in peer = loopback(4433);
    std::memcpy(&t.p->PeerAddress, &peer, sizeof peer);
    Failure g = set(s, t);
    EXPECT_EQ(g.wsa, WSAEOPNOTSUPP) << g.message;
    closesocket(s);
}

TEST_F(TargetNames, SetAlreadyConnected) {
    uint16_t port;
    int listener = plain_listener(&port);
    SOCKET s = secured();
    sockaddr_in to = loopback(port);
    ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);  // TCP only, behind ssx's back
    Failure f = set(s, target_name(L"host/server.test"));
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEISCONN) << f.message;
    closesocket(s);
    ::close(listener);
}

TEST_F(TargetNames, SetBufferTooSmall) {
    SOCKET s = secured();
    // Shorter than the fixed part.
    EXPECT_EQ(set(s, target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_DEFAULT, 139)).wsa, WSAEMSGSIZE);
    // The fixed part fits but not the declared characters (140 + 16 * 4 = 204 needed).
    Failure f = set(s, target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_DEFAULT, 203));
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    EXPECT_NE(f.message.find("characters"), std::string::npos) << f.message;
    // A huge declared length is compared in 64 bits, never wrapped.
    EXPECT_EQ(set(s, target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_DEFAULT, 0, 0x7FFFFFFF)).wsa,
              WSAEMSGSIZE);
    closesocket(s);
}

TEST_F(TargetNames, SetNotASocket) {
    int fd = pipe_fd();
    EXPECT_EQ(set(fd, target_name(L"host/server.test")).wsa, WSAENOTSOCK);
    ::close(fd);
    EXPECT_EQ(set(closed_fd(), target_name(L"host/server.test")).wsa, WSAENOTSOCK);
}

// ---------------------------------------------------------------- §4.2 this port

TEST_F(TargetNames, SetBadNames) {
    SOCKET s = secured();
    EXPECT_EQ(set(s, target_name(L"")).wsa, WSAEINVAL);                   // empty
    EXPECT_EQ(set(s, target_name(L"db.corp:443")).wsa, WSAEINVAL);        // host:port is not a name
    EXPECT_EQ(set(s, target_name(L"host/")).wsa, WSAEINVAL);              // SPN without a host
    EXPECT_EQ(set(s, target_name(L"host/*.corp")).wsa, WSAEINVAL);        // wildcards are for certificates
    EXPECT_EQ(set(s, target_name(L"b\u00fccher.example")).wsa, WSAEINVAL);  // IDNs as A-labels only
    const wchar_t surrogate[] = {L'h', L'o', static_cast<wchar_t>(0xD800), L'x', 0};
    Failure f = set(s, target_name(surrogate));  // UTF-16 units copied from Windows
    EXPECT_EQ(f.wsa, WSAEINVAL);
    EXPECT_NE(f.message.find("UTF-32"), std::string::npos) << f.message;
    const wchar_t beyond[] = {L'a', static_cast<wchar_t>(0x110000), 0};
    EXPECT_EQ(set(s, target_name(beyond)).wsa, WSAEINVAL);
    TargetName nul = target_name(L"db.corpXevil.corp");
    nul.p->AllStrings[7] = L'\0';  // "db.corp\0evil.corp": never truncated to db.corp
    EXPECT_EQ(set(s, nul).wsa, WSAEINVAL);
    std::wstring long_name(1100, L'a');
    EXPECT_EQ(set(s, target_name(long_name.c_str())).wsa, WSAEINVAL);
    closesocket(s);
}

TEST_F(TargetNames, SetIpsecIsNotAvailable) {
    SOCKET s = secured();
    Failure f = set(s, target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_IPSEC));
    EXPECT_EQ(f.wsa, WSAEOPNOTSUPP);
    EXPECT_NE(f.message.find("DEFAULT"), std::string::npos) << f.message;
    EXPECT_EQ(set(s, target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_IPSEC2)).wsa, WSAEOPNOTSUPP);
    EXPECT_EQ(set(s, target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_INVALID)).wsa, WSAEINVAL);
    closesocket(s);
}

TEST_F(TargetNames, SetNeedsSecurityFirst) {
    SOCKET s = tcp_socket();
    Failure f = set(s, target_name(L"host/server.test"));
    EXPECT_EQ(f.wsa, WSAEINVAL);
    EXPECT_NE(f.message.find("set_socket_security"), std::string::npos) << f.message;
    closesocket(s);
}

TEST_F(TargetNames, SetNotOnAListener) {
    uint16_t port;
    SOCKET listener = secured_listener(policies, &port);
    EXPECT_EQ(set(listener, target_name(L"host/client.test")).wsa, WSAEINVAL);
    closesocket(listener);
}

// ---------------------------------------------------------------- §4.2 success

TEST_F(TargetNames, SetWithTheSamplesBufferSize) {
    SOCKET s = secured();
    TargetName t = target_name(L"host/server.test");
    EXPECT_EQ(t.len, sizeof(SOCKET_PEER_TARGET_NAME) + 16 * sizeof(wchar_t));
    EXPECT_EQ(set(s, t).rc, 0) << ssx_last_error_message();
    sockaddr_in any = any4();
    EXPECT_EQ(del(s, &any, sizeof any).rc, 0) << ssx_last_error_message();  // proves it was stored
    closesocket(s);
}

TEST_F(TargetNames, SetWithTheExactSize) {
    SOCKET s = secured();
    // offsetof(AllStrings) + chars * sizeof(wchar_t): 4 bytes less than the sample's sizeof arithmetic.
    TargetName t = target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_DEFAULT,
                               offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) + 16 * sizeof(wchar_t));
    EXPECT_EQ(set(s, t).rc, 0) << ssx_last_error_message();
    closesocket(s);
}

TEST_F(TargetNames, SetAcceptsEveryForm) {
    for (const wchar_t* name : {L"host/server.test", L"HOST/Server.Test.", L"host/server.test:27015",
                                L"host/server.test:27015/svc", L"http/[::1]:80", L"host/127.0.0.1",
                                L"server.test", L"127.0.0.1", L"spiffe://test/server", L"DNS:server.test"}) {
        SOCKET s = secured();
        EXPECT_EQ(set(s, target_name(name)).rc, 0) << ssx_last_error_message();
        closesocket(s);
    }
}

TEST_F(TargetNames, SetToleratesACountedTerminator) {
    SOCKET s = secured();
    TargetName t = target_name(L"host/server.test");
    t.p->PeerTargetNameStringLen += 1;  // wcslen + 1: the L'\0' after the name
    t.len += sizeof(wchar_t);
    t.p.reset(static_cast<SOCKET_PEER_TARGET_NAME*>(std::realloc(t.p.release(), t.len)));
    t.p->AllStrings[16] = L'\0';
    EXPECT_EQ(set(s, t).rc, 0) << ssx_last_error_message();
    closesocket(s);
}

TEST_F(TargetNames, SetPerPeerAddressAndReplace) {
    SOCKET s = secured(AF_INET6);
    TargetName t = target_name(L"host/server.test");
    sockaddr_in6 peer{};
    peer.sin6_family = AF_INET6;
    peer.sin6_addr = in6addr_loopback;
    peer.sin6_port = htons(27015);
    std::memcpy(&t.p->PeerAddress, &peer, sizeof peer);
    EXPECT_EQ(set(s, t).rc, 0) << ssx_last_error_message();
    EXPECT_EQ(set(s, t).rc, 0) << ssx_last_error_message();  // replacing is allowed
    EXPECT_EQ(del(s, &peer, sizeof peer).rc, 0) << ssx_last_error_message();
    EXPECT_EQ(del(s, &peer, sizeof peer).wsa, WSAEINVAL);  // gone
    closesocket(s);
}

// ---------------------------------------------------------------- §4.3 documented errors

TEST_F(TargetNames, DeleteAddressFamilyNotSupported) {
    SOCKET s = secured();
    sockaddr_storage peer{};
    peer.ss_family = 23;
    Failure f = del(s, &peer, sizeof peer);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEAFNOSUPPORT) << f.message;
    closesocket(s);
}

TEST_F(TargetNames, DeleteNullPointer) {
    SOCKET s = secured();
    Failure f = del(s, nullptr, 0);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEFAULT) << f.message;
    closesocket(s);
}

TEST_F(TargetNames, DeleteInvalidSocketType) {
    int fd = raw_socket();
    if (fd < 0) GTEST_SKIP() << "a raw socket needs CAP_NET_RAW (CI runs as root)";
    sockaddr_in any = any4();
    EXPECT_EQ(del(fd, &any, sizeof any).wsa, WSAEINVAL);
    ::close(fd);
}

TEST_F(TargetNames, DeleteBufferTooSmall) {
    SOCKET s = secured();
    sockaddr_in peer = loopback(443);
    EXPECT_EQ(del(s, &peer, sizeof peer - 1).wsa, WSAEMSGSIZE);
    EXPECT_EQ(del(s, &peer, 1).wsa, WSAEMSGSIZE);
    sockaddr_in6 peer6{};
    peer6.sin6_family = AF_INET6;
    EXPECT_EQ(del(s, &peer6, sizeof(sockaddr_in)).wsa, WSAEMSGSIZE);
    closesocket(s);
}

TEST_F(TargetNames, DeleteNotASocket) {
    int fd = pipe_fd();
    sockaddr_in any = any4();
    EXPECT_EQ(del(fd, &any, sizeof any).wsa, WSAENOTSOCK);
    ::close(fd);
}

TEST_F(TargetNames, DeleteWhenNothingIsSet) {
    SOCKET s = secured();
    sockaddr_in any = any4();
    Failure f = del(s, &any, sizeof any);
    EXPECT_EQ(f.wsa, WSAEINVAL);
    EXPECT_NE(f.message.find("no target name"), std::string::npos) << f.message;
    closesocket(s);
}

TEST_F(TargetNames, DeleteOnADatagramSocket) {
    SOCKET s = udp_socket();
    sockaddr_in peer = loopback(4433);
    EXPECT_EQ(del(s, &peer, sizeof peer).wsa, WSAEOPNOTSUPP);
    closesocket(s);
}

}  // namespace
}  // namespace ssx::test::ws
