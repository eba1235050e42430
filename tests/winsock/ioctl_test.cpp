// The typed functions and WSAIoctl side by side: on Windows the six functions are wrappers over the
// SIO_* codes, and here both reach the same dispatch. Every case runs both ways on fresh sockets
// and must give the same result, WSAGetLastError(), native code and written length.
#include <functional>

#include "winsock_harness.hpp"

namespace ssx::test::ws {
namespace {

struct Outcome {
    int rc;
    int wsa;
    int ssx;
    ULONG len;
    bool operator==(const Outcome& o) const { return rc == o.rc && wsa == o.wsa && ssx == o.ssx && len == o.len; }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    return os << "{rc " << o.rc << ", wsa " << o.wsa << ", ssx " << o.ssx << ", len " << o.len << "}";
}

Outcome outcome_of(int rc, ULONG len) {
    const int wsa = rc == 0 ? 0 : WSAGetLastError();
    return {rc, wsa, rc == 0 ? 0 : ssx_last_error(), len};
}

class SideBySide : public WinsockTest {
protected:
    Policies policies;

    SOCKET secured() {
        SOCKET s = tcp_socket();
        EXPECT_EQ(secure(s, policies.client()), 0);
        return s;
    }

    // Runs `typed` and `ioctl` each on its own socket from `make`, and compares.
    void same(const char* what, const std::function<SOCKET()>& make, const std::function<int(SOCKET, ULONG*)>& typed,
              const std::function<int(SOCKET, ULONG*)>& ioctl) {
        SCOPED_TRACE(what);
        SOCKET a = make(), b = make();
        ULONG la = 77, lb = 77;
        WSASetLastError(0);
        const int ra = typed(a, &la);
        Outcome oa = outcome_of(ra, la);
        WSASetLastError(0);
        const int rb = ioctl(b, &lb);
        Outcome ob = outcome_of(rb, lb);
        EXPECT_EQ(oa, ob);
        for (SOCKET s : {a, b}) {
            if (s >= 0) ::close(s);
        }
    }
};

TEST_F(SideBySide, SetSecurity) {
    SOCKET_SECURITY_SETTINGS basic{SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_GUARANTEE_ENCRYPTION};
    SOCKET_SECURITY_SETTINGS ipsec{SOCKET_SECURITY_PROTOCOL_IPSEC, 0};
    SOCKET_SECURITY_SETTINGS bad_flags{SOCKET_SECURITY_PROTOCOL_DEFAULT, 0x80};
    struct Case {
        const char* what;
        std::function<SOCKET()> make;
        const void* in;
        ULONG len;
    };
    auto tcp = [] { return tcp_socket(); };
    auto udp = [] { return udp_socket(); };
    auto unix_ = [] { return SOCKET(unix_socket()); };
    auto pipe_ = [] { return SOCKET(pipe_fd()); };
    auto set_twice = [this] { return secured(); };
    for (const Case& c : {Case{"basic", tcp, &basic, sizeof basic}, Case{"null", tcp, nullptr, 0},
                          Case{"short", tcp, &basic, 7}, Case{"ipsec", tcp, &ipsec, sizeof ipsec},
                          Case{"flags", tcp, &bad_flags, sizeof bad_flags}, Case{"udp", udp, &basic, sizeof basic},
                          Case{"unix", unix_, &basic, sizeof basic}, Case{"pipe", pipe_, &basic, sizeof basic},
                          Case{"twice", set_twice, &basic, sizeof basic}}) {
        ScopedEnv env("SSX_POLICY", policies.client());
        same(
            c.what, c.make,
            [&](SOCKET s, ULONG* returned) {
                *returned = 0;  // the typed function has no returned length; the ioctl's is 0
                return WSASetSocketSecurity(s, static_cast<const SOCKET_SECURITY_SETTINGS*>(c.in), c.len, nullptr,
                                            nullptr);
            },
            [&](SOCKET s, ULONG* returned) {
                return WSAIoctl(s, SIO_SET_SECURITY, const_cast<void*>(c.in), c.len, nullptr, 0, returned,
                                nullptr, nullptr);
            });
    }
}

TEST_F(SideBySide, SetAndDeletePeerTargetName) {
    auto secured_socket = [this] { return secured(); };
    auto plain = [] { return tcp_socket(); };
    TargetName good = target_name(L"host/server.test");
    TargetName bad = target_name(L"host/");
    TargetName ipsec = target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_IPSEC);
    TargetName shorter = target_name(L"host/server.test", SOCKET_SECURITY_PROTOCOL_DEFAULT, 150);
    struct Case {
        const char* what;
        std::function<SOCKET()> make;
        const SOCKET_PEER_TARGET_NAME* in;
        ULONG len;
    };
    for (const Case& c : {Case{"good", secured_socket, good.p.get(), good.len},
                          Case{"null", secured_socket, nullptr, 0}, Case{"bad", secured_socket, bad.p.get(), bad.len},
                          Case{"ipsec", secured_socket, ipsec.p.get(), ipsec.len},
                          Case{"short", secured_socket, shorter.p.get(), shorter.len},
                          Case{"unsecured", plain, good.p.get(), good.len}}) {
        same(
            c.what, c.make,
            [&](SOCKET s, ULONG* returned) {
                *returned = 0;
                return WSASetSocketPeerTargetName(s, c.in, c.len, nullptr, nullptr);
            },
            [&](SOCKET s, ULONG* returned) {
                return WSAIoctl(s, SIO_SET_PEER_TARGET_NAME, const_cast<SOCKET_PEER_TARGET_NAME*>(c.in), c.len,
                                nullptr, 0, returned, nullptr, nullptr);
            });
    }

    auto with_name = [this] {
        SOCKET s = secured();
        EXPECT_EQ(set_target(s, L"host/server.test"), 0);
        return s;
    };
    sockaddr_in any{};
    any.sin_family = AF_INET;
    sockaddr_storage windows6{};
    windows6.ss_family = 23;
    struct DeleteCase {
        const char* what;
        std::function<SOCKET()> make;
        const void* in;
        ULONG len;
    };
    for (const DeleteCase& c :
         {DeleteCase{"set", with_name, &any, sizeof any}, DeleteCase{"none", secured_socket, &any, sizeof any},
          DeleteCase{"null", with_name, nullptr, 0}, DeleteCase{"short", with_name, &any, 4},
          DeleteCase{"family", with_name, &windows6, sizeof windows6}}) {
        same(
            c.what, c.make,
            [&](SOCKET s, ULONG* returned) {
                *returned = 0;
                return WSADeleteSocketPeerTargetName(s, static_cast<const sockaddr*>(c.in), c.len, nullptr, nullptr);
            },
            [&](SOCKET s, ULONG* returned) {
                return WSAIoctl(s, SIO_DELETE_PEER_TARGET_NAME, const_cast<void*>(c.in), c.len, nullptr, 0,
                                returned, nullptr, nullptr);
            });
    }
}

TEST_F(SideBySide, QuerySecurity) {
    Connection c;
    connect_pair(policies, c);
    ASSERT_TRUE(c.ok());
    SOCKET_SECURITY_QUERY_TEMPLATE zero{}, tokens{}, ipsec{};
    tokens.PeerTokenAccessMask = TOKEN_QUERY;
    ipsec.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    struct Case {
        const char* what;
        const SOCKET_SECURITY_QUERY_TEMPLATE* tmpl;
        ULONG tmpl_len;
        bool with_info;
        ULONG info_len;
    };
    for (const Case& q : {Case{"probe", nullptr, 0, false, 0}, Case{"default", nullptr, 0, true, 24},
                          Case{"zero template", &zero, sizeof zero, true, 24},
                          Case{"template, no info", &zero, sizeof zero, false, 0},
                          Case{"small info", nullptr, 0, true, 23}, Case{"short template", &zero, 100, true, 24},
                          Case{"ipsec", &ipsec, sizeof ipsec, true, 24}, Case{"big info", nullptr, 0, true, 64}}) {
        SCOPED_TRACE(q.what);
        alignas(8) unsigned char a[64] = {}, b[64] = {};
        ULONG la = q.info_len, lb = 0;
        WSASetLastError(0);
        const int ra = WSAQuerySocketSecurity(c.client, q.tmpl, q.tmpl_len,
                                              q.with_info ? reinterpret_cast<SOCKET_SECURITY_QUERY_INFO*>(a) : nullptr,
                                              &la, nullptr, nullptr);
        Outcome oa = outcome_of(ra, la);
        WSASetLastError(0);
        const int rb = WSAIoctl(c.client, SIO_QUERY_SECURITY, const_cast<SOCKET_SECURITY_QUERY_TEMPLATE*>(q.tmpl),
                                q.tmpl_len, q.with_info ? b : nullptr, q.info_len, &lb, nullptr, nullptr);
        Outcome ob = outcome_of(rb, lb);
        EXPECT_EQ(oa, ob);
        EXPECT_EQ(std::memcmp(a, b, sizeof a), 0);
    }
    // With tokens: both succeed with a (different) open handle each.
    SOCKET_SECURITY_QUERY_INFO ia{}, ib{};
    ULONG la = sizeof ia, lb = 0;
    ASSERT_EQ(WSAQuerySocketSecurity(c.client, &tokens, sizeof tokens, &ia, &la, nullptr, nullptr), 0);
    ASSERT_EQ(WSAIoctl(c.client, SIO_QUERY_SECURITY, &tokens, sizeof tokens, &ib, sizeof ib, &lb, nullptr, nullptr), 0);
    EXPECT_EQ(la, lb);
    EXPECT_EQ(ia.Flags, ib.Flags);
    EXPECT_NE(ia.PeerApplicationAccessTokenHandle, 0u);
    EXPECT_NE(ib.PeerApplicationAccessTokenHandle, 0u);
    EXPECT_EQ(CloseHandle((HANDLE)(uintptr_t)ia.PeerApplicationAccessTokenHandle), TRUE);
    EXPECT_EQ(CloseHandle((HANDLE)(uintptr_t)ib.PeerApplicationAccessTokenHandle), TRUE);
    // The NULL length pointer: WSAEFAULT both ways.
    EXPECT_EQ(WSAQuerySocketSecurity(c.client, nullptr, 0, &ia, nullptr, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
    EXPECT_EQ(WSAIoctl(c.client, SIO_QUERY_SECURITY, nullptr, 0, &ib, sizeof ib, nullptr, nullptr, nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEFAULT);
}

TEST_F(SideBySide, UnknownControlCode) {
    SOCKET s = tcp_socket();
    DWORD returned = 0;
    EXPECT_EQ(WSAIoctl(s, 0x980000CC /* SIO_SOCKET_USAGE_NOTIFICATION */, nullptr, 0, nullptr, 0, &returned, nullptr,
                       nullptr),
              SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    EXPECT_NE(std::string(ssx_last_error_message()).find("SIO_QUERY_SECURITY"), std::string::npos);
    EXPECT_EQ(WSAIoctl(s, 0, nullptr, 0, nullptr, 0, &returned, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAEINVAL);
    // An invalid socket is reported first.
    EXPECT_EQ(WSAIoctl(closed_fd(), 0x12345678, nullptr, 0, nullptr, 0, &returned, nullptr, nullptr), SOCKET_ERROR);
    EXPECT_EQ(WSAGetLastError(), WSAENOTSOCK);
    closesocket(s);
}

}  // namespace
}  // namespace ssx::test::ws
