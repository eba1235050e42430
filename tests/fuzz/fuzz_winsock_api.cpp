// libFuzzer target: the exported Winsock entry points that read caller memory, on real sockets:
// WSASetSocketSecurity / SIO_SET_SECURITY on a fresh socket, WSASetSocketPeerTargetName /
// SIO_SET_PEER_TARGET_NAME and the delete on a secured unconnected socket, WSAQuerySocketSecurity /
// SIO_QUERY_SECURITY (fuzzed template, fuzzed output size) and WSAImpersonateSocketPeer on an
// established connection, and WSAIoctl with arbitrary codes. Each input is up to 8 operations.
//
// Checks beyond "no crash, leak or UB": a failure leaves a documented WSAE* code and a message; a
// query writes the required length back in every case; a target name that could be set can be
// deleted again; a returned token honours the access mask and closes exactly once; an
// impersonation reverts.
#include <cstddef>
#include <cstdint>

#include "fuzz_winsock_fixture.hpp"
#include "ssx/winsock.h"

namespace {

using ssx::fuzz::check;
using ssx::fuzz::Reader;

void check_failure() {
    const int wsa = WSAGetLastError();
    check(wsa == WSAEFAULT || wsa == WSAEMSGSIZE || wsa == WSAEINVAL || wsa == WSAEOPNOTSUPP ||
          wsa == WSAEAFNOSUPPORT || wsa == WSAEISCONN || wsa == WSAENOTCONN || wsa == WSAENOTSOCK ||
          wsa == WSAEACCES || wsa == WSAECONNRESET);
    check(ssx_last_error_message()[0] != '\0');
}

SOCKET fresh_socket(uint8_t kind) {
    switch (kind % 3) {
        case 0: return WSASocket(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);
        case 1: return WSASocket(AF_INET6, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, 0);
        default: return WSASocket(AF_INET, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, 0);
    }
}

void set_security(Reader& r) {
    const uint8_t how = r.u8();
    size_t len;
    auto in = r.bytes(r.u16() % 512, &len);
    SOCKET s = fresh_socket(how);
    check(s != INVALID_SOCKET);
    int rc = (how & 0x80) ? WSAIoctl(s, SIO_SET_SECURITY, in.get(), static_cast<DWORD>(len), nullptr, 0, nullptr,
                                     nullptr, nullptr)
                          : WSASetSocketSecurity(s, reinterpret_cast<const SOCKET_SECURITY_SETTINGS*>(in.get()),
                                                 static_cast<ULONG>(len), nullptr, nullptr);
    if (rc != 0) check_failure();
    check(closesocket(s) == 0);
}

void set_target(Reader& r, SOCKET s) {
    const uint8_t how = r.u8();
    size_t len;
    auto in = r.bytes(r.u16() % 4096, &len);
    DWORD returned = 7;
    int rc = (how & 1) ? WSAIoctl(s, SIO_SET_PEER_TARGET_NAME, in.get(), static_cast<DWORD>(len), nullptr, 0,
                                  &returned, nullptr, nullptr)
                       : WSASetSocketPeerTargetName(s, reinterpret_cast<const SOCKET_PEER_TARGET_NAME*>(in.get()),
                                                    static_cast<ULONG>(len), nullptr, nullptr);
    if (rc != 0) {
        check_failure();
        return;
    }
    check(!(how & 1) || returned == 0);
    // What was set can be deleted by the same address (keeps the fixture's table small, too).
    sockaddr_storage peer;
    std::memcpy(&peer, in.get() + offsetof(SOCKET_PEER_TARGET_NAME, PeerAddress), sizeof peer);
    check(WSADeleteSocketPeerTargetName(s, reinterpret_cast<sockaddr*>(&peer), sizeof peer, nullptr, nullptr) == 0);
}

void delete_target(Reader& r, SOCKET s) {
    size_t len;
    auto in = r.bytes(r.u8() % 160, &len);
    if (WSADeleteSocketPeerTargetName(s, reinterpret_cast<const sockaddr*>(in.get()), static_cast<ULONG>(len),
                                      nullptr, nullptr) != 0) {
        check_failure();  // nothing is left set on the fixture's socket between operations
    }
}

void query(Reader& r, SOCKET s) {
    const uint8_t how = r.u8();
    size_t tlen;
    auto tmpl = r.bytes(r.u8() % 200, &tlen);
    const size_t out_len = r.u8() % 80;
    std::unique_ptr<uint8_t[]> out((how & 2) || out_len == 0 ? nullptr : new uint8_t[out_len]);
    ULONG len = static_cast<ULONG>(out_len);
    int rc = (how & 1) ? WSAIoctl(s, SIO_QUERY_SECURITY, tmpl.get(), static_cast<DWORD>(tlen), out.get(),
                                  static_cast<DWORD>(out_len), &len, nullptr, nullptr)
                       : WSAQuerySocketSecurity(s, reinterpret_cast<const SOCKET_SECURITY_QUERY_TEMPLATE*>(tmpl.get()),
                                                static_cast<ULONG>(tlen),
                                                reinterpret_cast<SOCKET_SECURITY_QUERY_INFO*>(out.get()), &len,
                                                nullptr, nullptr);
    check(len == sizeof(SOCKET_SECURITY_QUERY_INFO));  // bytes written, or the required size
    if (rc != 0) {
        check_failure();
        return;
    }
    SOCKET_SECURITY_QUERY_INFO info;
    std::memcpy(&info, out.get(), sizeof info);
    check(info.Flags & SOCKET_INFO_CONNECTION_SECURED);
    check(info.PeerMachineAccessTokenHandle == 0);
    if (info.PeerApplicationAccessTokenHandle) {
        ULONG mask;
        std::memcpy(&mask, tmpl.get() + offsetof(SOCKET_SECURITY_QUERY_TEMPLATE, PeerTokenAccessMask), sizeof mask);
        auto* token = (ssx_token*)(uintptr_t)info.PeerApplicationAccessTokenHandle;
        check(ssx_token_access_mask(token) == mask);
        check((ssx_token_name(token) != nullptr) == ((mask & TOKEN_QUERY) != 0));
        check(CloseHandle((HANDLE)token) == TRUE);
        check(CloseHandle((HANDLE)token) == FALSE);
    }
}

void impersonate(Reader& r, SOCKET s) {
    const uint8_t how = r.u8();
    size_t len;
    auto addr = r.bytes(r.u8() % 160, &len);
    const ULONG declared = (how & 1) ? static_cast<ULONG>(len) : static_cast<ULONG>(len / 2);
    if (WSAImpersonateSocketPeer(s, reinterpret_cast<const sockaddr*>(addr.get()), declared) != 0) {
        check_failure();
        return;
    }
    check(WSARevertImpersonation() == 0);
}

void any_ioctl(Reader& r, SOCKET s) {
    const DWORD code = r.u32();
    if (code == SIO_SET_SECURITY || code == SIO_SET_PEER_TARGET_NAME || code == SIO_DELETE_PEER_TARGET_NAME ||
        code == SIO_QUERY_SECURITY) {
        return;  // the operations above cover these with their invariants
    }
    size_t len;
    auto in = r.bytes(r.u8(), &len);
    uint8_t out[32];
    DWORD returned = 0;
    check(WSAIoctl(s, code, in.get(), static_cast<DWORD>(len), out, sizeof out, &returned, nullptr, nullptr) ==
          SOCKET_ERROR);
    check(WSAGetLastError() == WSAEINVAL);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool started = [] {
        ssx::fuzz::fixture();
        WSADATA wsa;
        return WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
    }();
    check(started);
    ssx::fuzz::Fixture& f = ssx::fuzz::fixture();
    Reader r(data, size);
    for (int op = 0; op < 8 && !r.empty(); ++op) {
        const uint8_t which = r.u8();
        const SOCKET connected = (which & 0x80) ? f.server : f.client;
        switch (which % 6) {
            case 0: set_security(r); break;
            case 1: set_target(r, f.unconnected); break;
            case 2: delete_target(r, f.unconnected); break;
            case 3: query(r, connected); break;
            case 4: impersonate(r, connected); break;
            case 5: any_ioctl(r, connected); break;
        }
    }
    return 0;
}
