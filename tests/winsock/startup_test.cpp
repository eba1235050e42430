// WSAStartup/WSACleanup reference counting, WSANOTINITIALISED, and WSAGetLastError/WSASetLastError.
#include <cstring>
#include <thread>

#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

TEST(Startup, FunctionsNeedWsaStartup) {
    // Tests leave the count at zero, so nothing is initialised here.
    EXPECT_EQ(WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    EXPECT_NE(std::string(ssx_last_error_message()).find("WSAStartup"), std::string::npos);

    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SOCKET_SECURITY_SETTINGS settings{SOCKET_SECURITY_PROTOCOL_DEFAULT, 0};
    EXPECT_EQ(WSASetSocketSecurity(fd, &settings, sizeof settings, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    EXPECT_EQ(WSAIoctl(fd, SIO_SET_SECURITY, &settings, sizeof settings, nullptr, 0, nullptr, nullptr, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    ULONG len = 0;
    EXPECT_EQ(WSAQuerySocketSecurity(fd, nullptr, 0, nullptr, &len, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    EXPECT_EQ(closesocket(fd), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    EXPECT_EQ(WSACleanup(), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
    // Always available: a thread can stop impersonating even after the last WSACleanup.
    EXPECT_EQ(WSARevertImpersonation(), 0);
    ::close(fd);
}

TEST(Startup, IsReferenceCounted) {
    WSADATA data;
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(WSACleanup(), 0);
    SOCKET s = WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);
    EXPECT_NE(s, INVALID_SOCKET);  // still initialised once
    EXPECT_EQ(closesocket(s), 0);
    EXPECT_EQ(WSACleanup(), 0);
    EXPECT_EQ(WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
}

TEST(Startup, VersionNegotiation) {
    WSADATA data;
    std::memset(&data, 0xAB, sizeof data);
    ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    EXPECT_EQ(data.wVersion, MAKEWORD(2, 2));
    EXPECT_EQ(data.wHighVersion, MAKEWORD(2, 2));
    EXPECT_EQ(data.lpVendorInfo, nullptr);
    EXPECT_NE(std::string(data.szDescription).find("ssx"), std::string::npos);
    EXPECT_STREQ(data.szSystemStatus, "Running");
    EXPECT_EQ(WSACleanup(), 0);

    ASSERT_EQ(WSAStartup(MAKEWORD(1, 1), &data), 0);
    EXPECT_EQ(data.wVersion, MAKEWORD(1, 1));
    EXPECT_EQ(WSACleanup(), 0);
    ASSERT_EQ(WSAStartup(MAKEWORD(3, 0), &data), 0);
    EXPECT_EQ(data.wVersion, MAKEWORD(2, 2));
    EXPECT_EQ(WSACleanup(), 0);

    // Errors are returned directly and do not count as a startup.
    EXPECT_EQ(WSAStartup(MAKEWORD(0, 9), &data), WSAVERNOTSUPPORTED);
    EXPECT_EQ(WSAStartup(MAKEWORD(2, 2), nullptr), WSAEFAULT);
    EXPECT_EQ(WSACleanup(), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSANOTINITIALISED);
}

class LastError : public WinsockTest {};

TEST_F(LastError, SetAndGetArePerThread) {
    WSASetLastError(WSAECONNRESET);
    EXPECT_EQ(WSAGetLastError(), WSAECONNRESET);
    int other = -1;
    std::thread([&] { other = WSAGetLastError(); }).join();
    EXPECT_EQ(other, 0);
    WSASetLastError(0);
    EXPECT_EQ(WSAGetLastError(), 0);
}

TEST_F(LastError, SuccessDoesNotResetIt) {  // Windows convention
    EXPECT_EQ(closesocket(closed_fd()), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    SOCKET s = tcp_socket();
    ASSERT_NE(s, INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    EXPECT_EQ(ssx_last_error(), SSX_OK);  // the native convention: success resets ssx_last_error
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(LastError, NativeFailuresAreMapped) {
    // A ported program may mix native calls in: their failures show up in WSAGetLastError too.
    WSASetLastError(0);
    EXPECT_EQ(ssx_set_socket_security(pipe_fd(), nullptr), -1);
    EXPECT_EQ(ssx_last_error(), SSX_E_NOT_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);  // stable
    WSASetLastError(WSAEINTR);  // newer than the native failure
    EXPECT_EQ(WSAGetLastError(), WSAEINTR);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    size_t len = 0;
    EXPECT_EQ(ssx_query_socket_security(fd, nullptr, nullptr, &len), -1);  // not secured by ssx
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    ::close(fd);
}

TEST_F(LastError, WinsockFailuresSetTheNativeErrorToo) {
    SOCKET_SECURITY_SETTINGS settings{SOCKET_SECURITY_PROTOCOL_IPSEC, 0};
    SOCKET s = tcp_socket();
    EXPECT_EQ(WSASetSocketSecurity(s, &settings, 4, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEMSGSIZE);
    EXPECT_EQ(ssx_last_error(), SSX_E_BUFFER_TOO_SMALL);
    EXPECT_EQ(errno, EMSGSIZE);
    EXPECT_NE(std::string(ssx_last_error_message()).find("SecuritySettingsLen"), std::string::npos);
    EXPECT_EQ(closesocket(s), 0);
}

TEST_F(LastError, CloseHandleRejectsUnknownHandles) {
    EXPECT_EQ(CloseHandle(nullptr), FALSE);
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
    int not_a_token = 0;
    EXPECT_EQ(CloseHandle(&not_a_token), FALSE);  // never freed: only handles we gave out are closed
    EXPECT_EQ(WSAGetLastError(), WSA_INVALID_HANDLE);
}

TEST_F(LastError, SocketCreationFailuresMapErrno) {
    EXPECT_EQ(WSASocket(12345, SOCK_STREAM, 0, nullptr, 0, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEAFNOSUPPORT);
    EXPECT_EQ(WSASocket(23, SOCK_STREAM, 0, nullptr, 0, 0), INVALID_SOCKET);  // Windows' AF_INET6 value
    EXPECT_EQ(WSAGetLastError(), WSAEAFNOSUPPORT);
    EXPECT_EQ(WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 7, 0), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    EXPECT_EQ(WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0x40), INVALID_SOCKET);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    SOCKET s = WSASocketA(AF_INET6, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                          WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    ASSERT_NE(s, INVALID_SOCKET);
    EXPECT_EQ(::fcntl(s, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(closesocket(s), 0);
}

}  // namespace
}  // namespace ssx::test::ws
