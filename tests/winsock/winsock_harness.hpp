// Helpers for the Winsock API tests: a dev PKI with one policy file per side (the Winsock API
// takes credentials from the administrator's policy, SSX_POLICY, never from the call), sockets made
// the way ported Windows code makes them, and the SDK sample's SOCKET_PEER_TARGET_NAME buffer.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <memory>
#include <string>

#include "harness.hpp"  // tests/integration: TempDir, Pki, loopback, on_thread, get_within, ScopedEnv
#include "pki/dev_pki.hpp"
#include "ssx/winsock.h"

namespace ssx::test::ws {

// WSAStartup before each test, WSACleanup after, so every test starts with the count at zero.
class WinsockTest : public ::testing::Test {
protected:
    void SetUp() override {
        WSADATA data;
        ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
    }
    void TearDown() override { EXPECT_EQ(WSACleanup(), 0); }
};

// The PKI of harness.hpp plus server.toml and client.toml policies naming each side's files.
class Policies {
public:
    Policies() {
        server_ = pki::write_policy(pki_.dir(), "server").string();
        client_ = pki::write_policy(pki_.dir(), "client").string();
    }
    const std::string& server() const { return server_; }
    const std::string& client() const { return client_; }
    const Pki& pki() const { return pki_; }
    // An extra policy NAME.toml for leaf NAME with extra TOML appended.
    std::string write(const std::string& name, const std::string& extra = "") const {
        return pki::write_policy(pki_.dir(), name, extra).string();
    }

private:
    Pki pki_;
    std::string server_, client_;
};

inline SOCKET tcp_socket(int family = AF_INET) {
    SOCKET s = WSASocket(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);
    EXPECT_NE(s, INVALID_SOCKET) << ssx_last_error_message();
    return s;
}

inline SOCKET udp_socket() {
    SOCKET s = WSASocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, 0);
    EXPECT_NE(s, INVALID_SOCKET) << ssx_last_error_message();
    return s;
}

inline int unix_socket() { return ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }

// A socket whose type is neither stream nor datagram (SOCK_RAW: needs CAP_NET_RAW; CI runs as root).
inline int raw_socket() { return ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP); }

// A descriptor that is open but not a socket (the read end of a pipe); the write end is closed.
inline int pipe_fd() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return -1;
    ::close(p[1]);
    return p[0];
}

// A descriptor number that is certainly closed.
inline int closed_fd() {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::close(fd);
    return fd;
}

// WSASetSocketSecurity with SSX_POLICY naming `policy` during the call (the policy is read there).
inline int secure(SOCKET s, const std::string& policy, const SOCKET_SECURITY_SETTINGS* settings = nullptr,
                  ULONG len = sizeof(SOCKET_SECURITY_SETTINGS)) {
    ScopedEnv env("SSX_POLICY", policy);
    return WSASetSocketSecurity(s, settings, settings ? len : 0, nullptr, nullptr);
}

// The SDK sample's target-name buffer: zeroed, sizeof(SOCKET_PEER_TARGET_NAME) + wcslen * sizeof(wchar_t)
// bytes, PeerAddress left zero, PeerTargetNameStringLen = wcslen (characters).
struct TargetName {
    std::unique_ptr<SOCKET_PEER_TARGET_NAME, void (*)(void*)> p{nullptr, std::free};
    ULONG len = 0;
};

inline TargetName target_name(const wchar_t* spn, SOCKET_SECURITY_PROTOCOL protocol = SOCKET_SECURITY_PROTOCOL_DEFAULT,
                              ULONG len_override = 0, size_t chars_override = SIZE_MAX) {
    const size_t chars = std::wcslen(spn);
    TargetName t;
    t.len = static_cast<ULONG>(sizeof(SOCKET_PEER_TARGET_NAME) + chars * sizeof(wchar_t));
    t.p.reset(static_cast<SOCKET_PEER_TARGET_NAME*>(std::calloc(1, t.len)));
    t.p->SecurityProtocol = protocol;
    t.p->PeerTargetNameStringLen = static_cast<ULONG>(chars_override == SIZE_MAX ? chars : chars_override);
    std::memcpy(t.p->AllStrings, spn, chars * sizeof(wchar_t));
    if (len_override) t.len = len_override;
    return t;
}

inline int set_target(SOCKET s, const wchar_t* spn) {
    TargetName t = target_name(spn);
    return WSASetSocketPeerTargetName(s, t.p.get(), t.len, nullptr, nullptr);
}

// A secured listener on 127.0.0.1:<ephemeral> (server policy); *port receives the port.
inline SOCKET secured_listener(const Policies& p, uint16_t* port) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS settings{SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION};
    EXPECT_EQ(secure(s, p.server(), &settings), 0) << ssx_last_error_message();
    sockaddr_in a = loopback(0);
    EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(s, 16), 0);
    *port = local_port(s);
    return s;
}

// A secured client socket (client policy) with target name `spn`, not yet connected.
inline SOCKET secured_client(const Policies& p, const wchar_t* spn) {
    SOCKET s = tcp_socket();
    SOCKET_SECURITY_SETTINGS settings{SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION};
    EXPECT_EQ(secure(s, p.client(), &settings), 0) << ssx_last_error_message();
    if (spn) {
        EXPECT_EQ(set_target(s, spn), 0) << ssx_last_error_message();
    }
    return s;
}

inline int wsa_connect(SOCKET s, uint16_t port) {
    sockaddr_in to = loopback(port);
    return WSAConnect(s, reinterpret_cast<sockaddr*>(&to), sizeof to, nullptr, nullptr, nullptr, nullptr);
}

// A plain (unsecured) listener; *port receives the port.
inline int plain_listener(uint16_t* port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(0);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 16), 0);
    *port = local_port(fd);
    return fd;
}

// What a failed call left behind.
struct Failure {
    int rc;
    int wsa;
    std::string message;
};

inline Failure failure(int rc) { return {rc, WSAGetLastError(), ssx_last_error_message()}; }

// Sends/receives an exact byte count through WSASend/WSARecv (bounded: each call either moves bytes
// or fails).
inline bool send_all(SOCKET s, const std::string& data) {
    WSABUF b{static_cast<ULONG>(data.size()), const_cast<char*>(data.data())};
    DWORD sent = 0;
    return WSASend(s, &b, 1, &sent, 0, nullptr, nullptr) == 0 && sent == data.size();
}

inline std::string recv_exact(SOCKET s, size_t n) {
    std::string out(n, '\0');
    WSABUF b{static_cast<ULONG>(n), out.data()};
    DWORD got = 0, flags = MSG_WAITALL;
    if (WSARecv(s, &b, 1, &got, &flags, nullptr, nullptr) != 0) return "<error " + std::to_string(WSAGetLastError()) + ">";
    out.resize(got);
    return out;
}

// A secured connection on loopback: the server side accepted with WSAAccept, the client connected
// with WSAConnect and target name `spn`. Sockets are closed by the destructor.
struct Connection {
    SOCKET listener = INVALID_SOCKET, client = INVALID_SOCKET, server = INVALID_SOCKET;
    int connect_wsa = 0, accept_wsa = 0;  // WSAGetLastError() of a failed connect/accept
    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() {
        for (SOCKET s : {client, server, listener}) {
            if (s != INVALID_SOCKET) closesocket(s);
        }
    }
    bool ok() const { return client != INVALID_SOCKET && server != INVALID_SOCKET; }
};

inline void connect_pair(const Policies& p, Connection& c, const wchar_t* spn = L"host/server.test") {
    uint16_t port;
    c.listener = secured_listener(p, &port);
    c.client = secured_client(p, spn);
    auto accepted = on_thread([&c] {
        SOCKET s = WSAAccept(c.listener, nullptr, nullptr, nullptr, 0);
        c.accept_wsa = s == INVALID_SOCKET ? WSAGetLastError() : 0;
        return s;
    });
    if (wsa_connect(c.client, port) != 0) {
        c.connect_wsa = WSAGetLastError();
        closesocket(c.client);
        c.client = INVALID_SOCKET;
        // The connection may never have reached the server: wake its accept (Linux fails a blocked
        // accept on a listener that is shut down).
        ::shutdown(c.listener, SHUT_RDWR);
    }
    c.server = get_within(accepted);
}

}  // namespace ssx::test::ws
