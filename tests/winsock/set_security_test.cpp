// WSASetSocketSecurity (fact sheet §4.1): every documented error, the extra cases of this port, and
// the success paths.
#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

class SetSecurity : public WinsockTest {
protected:
    Policies policies;
    SOCKET_SECURITY_SETTINGS basic{SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION};

    Failure set(int fd, const void* settings, ULONG len) {
        ScopedEnv env("SSX_POLICY", policies.client());
        return failure(WSASetSocketSecurity(fd, static_cast<const SOCKET_SECURITY_SETTINGS*>(settings), len,
                                            nullptr, nullptr));
    }
};

// --- documented errors ---

TEST_F(SetSecurity, AddressFamilyNotSupported) {
    int fd = unix_socket();
    Failure f = set(fd, &basic, sizeof basic);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEAFNOSUPPORT) << f.message;
    ::close(fd);
}

TEST_F(SetSecurity, InvalidSocketType) {
    int fd = raw_socket();
    if (fd < 0) GTEST_SKIP() << "a raw socket needs CAP_NET_RAW (CI runs as root)";
    Failure f = set(fd, &basic, sizeof basic);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEINVAL) << f.message;
    ::close(fd);
}

TEST_F(SetSecurity, InvalidProtocolValue) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS bad{SOCKET_SECURITY_PROTOCOL_INVALID, 0};
    Failure f = set(s, &bad, sizeof bad);
    EXPECT_EQ(f.wsa, WSAEINVAL) << f.message;
    bad.SecurityProtocol = static_cast<SOCKET_SECURITY_PROTOCOL>(99);
    EXPECT_EQ(set(s, &bad, sizeof bad).wsa, WSAEINVAL);
    closesocket(s);
}

TEST_F(SetSecurity, InvalidFlags) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS bad{SOCKET_SECURITY_PROTOCOL_DEFAULT, 0x10};
    Failure f = set(s, &bad, sizeof bad);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEINVAL) << f.message;
    // IpsecFlags belong in SOCKET_SECURITY_SETTINGS_IPSEC.IpsecFlags, never in SecurityFlags.
    bad.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION | 0x100;
    EXPECT_EQ(set(s, &bad, sizeof bad).wsa, WSAEINVAL);
    closesocket(s);
}

TEST_F(SetSecurity, AlreadyConnected) {
    uint16_t port;
    int listener = plain_listener(&port);
    SOCKET s = tcp_socket();
    sockaddr_in to = loopback(port);
    ASSERT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    Failure f = set(s, &basic, sizeof basic);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEISCONN) << f.message;
    closesocket(s);
    ::close(listener);
}

TEST_F(SetSecurity, BufferTooSmall) {
    SOCKET s = tcp_socket();
    Failure f = set(s, &basic, sizeof basic - 1);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    EXPECT_EQ(set(s, &basic, 0).wsa, WSAEMSGSIZE);
    closesocket(s);
}

TEST_F(SetSecurity, BufferTooSmallForTheProtocolsStruct) {
    // SecurityProtocol IPSEC implies SOCKET_SECURITY_SETTINGS_IPSEC: 8 bytes are too few.
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS_IPSEC ipsec{};
    ipsec.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    EXPECT_EQ(set(s, &ipsec, sizeof(SOCKET_SECURITY_SETTINGS)).wsa, WSAEMSGSIZE);
    EXPECT_EQ(set(s, &ipsec, 83).wsa, WSAEMSGSIZE);
    // Declared strings must fit in the buffer: 10 + 2 + 4 bytes after offset 84 do not fit in 88.
    ipsec.UserNameStringLen = 10;
    ipsec.DomainNameStringLen = 2;
    ipsec.PasswordStringLen = 4;
    Failure f = set(s, &ipsec, sizeof ipsec);
    EXPECT_EQ(f.wsa, WSAEMSGSIZE) << f.message;
    // Lengths that overflow 32 bits are caught, not wrapped.
    ipsec.UserNameStringLen = ipsec.DomainNameStringLen = ipsec.PasswordStringLen = 0xFFFFFFFF;
    EXPECT_EQ(set(s, &ipsec, sizeof ipsec).wsa, WSAEMSGSIZE);
    closesocket(s);
}

TEST_F(SetSecurity, NotASocket) {
    int fd = pipe_fd();
    EXPECT_EQ(set(fd, &basic, sizeof basic).wsa, WSAENOTSOCK);
    ::close(fd);
    Failure f = set(closed_fd(), &basic, sizeof basic);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAENOTSOCK) << f.message;
}

// --- this port: IPsec, datagram sockets, ordering, policy ---

TEST_F(SetSecurity, IpsecIsNotAvailable) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS_IPSEC ipsec{};
    ipsec.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    ipsec.SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION;
    Failure f = set(s, &ipsec, sizeof ipsec);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEOPNOTSUPP);
    EXPECT_NE(f.message.find("IPsec"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("SOCKET_SECURITY_PROTOCOL_DEFAULT"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("TLS"), std::string::npos) << f.message;
    SOCKET_SECURITY_SETTINGS ipsec2{SOCKET_SECURITY_PROTOCOL_IPSEC2, 0};
    // An IPsec2 struct with strings that fit: still not available.
    alignas(8) unsigned char buffer[sizeof(SOCKET_SECURITY_SETTINGS_IPSEC) + 8] = {};
    std::memcpy(buffer, &ipsec2, sizeof ipsec2);
    ULONG user = 8;
    std::memcpy(buffer + offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, UserNameStringLen), &user, sizeof user);
    EXPECT_EQ(set(s, buffer, sizeof buffer).wsa, WSAEOPNOTSUPP);
    // Nothing was set: DEFAULT still works on the same socket.
    EXPECT_EQ(set(s, &basic, sizeof basic).rc, 0);
    closesocket(s);
}

TEST_F(SetSecurity, DatagramSocketsAreNotSupportedYet) {
    SOCKET s = udp_socket();
    Failure f = set(s, &basic, sizeof basic);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEOPNOTSUPP);
    EXPECT_NE(f.message.find("datagram"), std::string::npos) << f.message;
    closesocket(s);
}

TEST_F(SetSecurity, OnlyOncePerSocket) {
    SOCKET s = tcp_socket();
    ASSERT_EQ(set(s, &basic, sizeof basic).rc, 0);
    Failure f = set(s, &basic, sizeof basic);
    EXPECT_EQ(f.rc, SOCKET_ERROR);
    EXPECT_EQ(f.wsa, WSAEINVAL);
    EXPECT_NE(f.message.find("once"), std::string::npos) << f.message;
    closesocket(s);
}

TEST_F(SetSecurity, BeforeBindOnly) {
    SOCKET s = tcp_socket();
    sockaddr_in a = loopback(0);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    Failure f = set(s, &basic, sizeof basic);
    EXPECT_EQ(f.wsa, WSAEINVAL);
    EXPECT_NE(f.message.find("bind"), std::string::npos) << f.message;
    closesocket(s);
}

TEST_F(SetSecurity, PolicyProblemsAreReportedHere) {
    SOCKET s = tcp_socket();
    ScopedEnv env("SSX_POLICY", (policies.pki().dir() / "missing.toml").string());
    EXPECT_EQ(WSASetSocketSecurity(s, &basic, sizeof basic, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(ssx_last_error(), SSX_E_POLICY);
    closesocket(s);
}

TEST_F(SetSecurity, PolicyMayForbidAllowInsecure) {
    std::string strict = policies.write("client", "allow_insecure = false");
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS insecure{SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE};
    EXPECT_EQ(secure(s, strict, &insecure), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEACCES);
    closesocket(s);
}

// --- success paths ---

TEST_F(SetSecurity, NullMeansDefaults) {
    SOCKET s = tcp_socket();
    EXPECT_EQ(set(s, nullptr, 0).rc, 0) << ssx_last_error_message();
    EXPECT_EQ(ssx_last_error(), SSX_OK);
    closesocket(s);
}

TEST_F(SetSecurity, BasicSettingsOfTheSample) {
    SOCKET s = tcp_socket(AF_INET6);
    EXPECT_EQ(set(s, &basic, sizeof basic).rc, 0) << ssx_last_error_message();
    closesocket(s);
}

TEST_F(SetSecurity, ExplicitTlsAndAllowInsecure) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS tls{SOCKET_SECURITY_PROTOCOL_TLS,
                                 SOCKET_SETTINGS_GUARANTEE_ENCRYPTION | SOCKET_SETTINGS_ALLOW_INSECURE};
    EXPECT_EQ(set(s, &tls, sizeof tls).rc, 0) << ssx_last_error_message();
    closesocket(s);
}

TEST_F(SetSecurity, LongerBuffersAreRead8Bytes) {
    // A SOCKET_SECURITY_SETTINGS_IPSEC cast to SOCKET_SECURITY_SETTINGS with DEFAULT: the generic part.
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS_IPSEC generic{};
    generic.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_DEFAULT;
    generic.IpsecFlags = 0xFFFF;  // not looked at for DEFAULT
    EXPECT_EQ(set(s, &generic, sizeof generic).rc, 0) << ssx_last_error_message();
    closesocket(s);
}

}  // namespace
}  // namespace ssx::test::ws
