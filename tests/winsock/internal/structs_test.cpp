// The struct converters (capi/src/winsock_structs.cpp) on raw, possibly unaligned bytes.
#include <sys/un.h>

#include <cstring>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_structs.hpp"

namespace ssx::winsock {
namespace {

int wsa_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const WsaError& e) {
        return e.wsa_code();
    } catch (const ssx::Error& e) {
        return wsa_code_for(e.code(), e.sys_errno());
    }
    return 0;
}

std::vector<unsigned char> wide_bytes(const std::vector<uint32_t>& chars) {
    std::vector<unsigned char> out(chars.size() * sizeof(wchar_t));
    for (size_t i = 0; i < chars.size(); ++i) {
        const wchar_t c = static_cast<wchar_t>(chars[i]);
        std::memcpy(out.data() + i * sizeof c, &c, sizeof c);
    }
    return out;
}

TEST(Structs, Utf8FromWide) {
    auto b = wide_bytes({'h', 0xE9, 0x20AC, 0x1F600});
    EXPECT_EQ(utf8_from_wide(b.data(), 4), "h\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    auto surrogate = wide_bytes({'a', 0xDC00});
    EXPECT_EQ(wsa_of([&] { utf8_from_wide(surrogate.data(), 2); }), WSAEINVAL);
    auto nul = wide_bytes({'a', 0, 'b'});
    EXPECT_EQ(wsa_of([&] { utf8_from_wide(nul.data(), 3); }), WSAEINVAL);
    auto negative = wide_bytes({0xFFFFFFFF});
    EXPECT_EQ(wsa_of([&] { utf8_from_wide(negative.data(), 1); }), WSAEINVAL);
}

TEST(Structs, TargetNameFromUnalignedBytes) {
    const std::wstring name = L"host/db.corp";
    std::vector<unsigned char> raw(1 + kTargetNameFixedSize + name.size() * sizeof(wchar_t));
    unsigned char* p = raw.data() + 1;  // deliberately misaligned, as a WSAIoctl buffer may be
    const ULONG chars = static_cast<ULONG>(name.size());
    std::memcpy(p + offsetof(SOCKET_PEER_TARGET_NAME, PeerTargetNameStringLen), &chars, sizeof chars);
    std::memcpy(p + kTargetNameFixedSize, name.data(), name.size() * sizeof(wchar_t));
    PeerTargetName t = peer_target_name_from(p, raw.size() - 1);
    EXPECT_EQ(t.name, "host/db.corp");
    EXPECT_EQ(t.protocol, SSX_PROTOCOL_DEFAULT);
    EXPECT_TRUE(is_unspecified_address(t.peer));
    EXPECT_EQ(wsa_of([&] { peer_target_name_from(p, raw.size() - 2); }), WSAEMSGSIZE);
    EXPECT_EQ(wsa_of([&] { peer_target_name_from(p, kTargetNameFixedSize - 1); }), WSAEMSGSIZE);
    EXPECT_EQ(wsa_of([&] { peer_target_name_from(nullptr, 500); }), WSAEFAULT);
}

TEST(Structs, SettingsAndTemplate) {
    EXPECT_EQ(settings_from(nullptr, 0).protocol, SSX_PROTOCOL_DEFAULT);
    SOCKET_SECURITY_SETTINGS s{SOCKET_SECURITY_PROTOCOL_TLS, SOCKET_SETTINGS_ALLOW_INSECURE};
    ssx_security_settings n = settings_from(&s, sizeof s);
    EXPECT_EQ(n.protocol, SSX_PROTOCOL_TLS);
    EXPECT_EQ(n.flags, SSX_SETTINGS_ALLOW_INSECURE);
    EXPECT_EQ(n.certificate_file, nullptr);  // credentials always come from the policy
    EXPECT_EQ(n.size, sizeof(ssx_security_settings));

    SOCKET_SECURITY_QUERY_TEMPLATE t{};
    t.PeerTokenAccessMask = TOKEN_ALL_ACCESS;
    QueryTemplate q = query_template_from(&t, sizeof t, SocketKind::stream);
    EXPECT_TRUE(q.present);
    EXPECT_EQ(q.native.peer_token_access_mask, SSX_TOKEN_ALL_ACCESS);
    EXPECT_FALSE(query_template_from(nullptr, 0, SocketKind::stream).present);
    EXPECT_EQ(wsa_of([&] { query_template_from(nullptr, 0, SocketKind::datagram); }), WSAEMSGSIZE);
    t.PeerAddress.ss_family = AF_UNIX;
    reinterpret_cast<sockaddr_un*>(&t.PeerAddress)->sun_path[0] = 'x';
    EXPECT_EQ(wsa_of([&] { query_template_from(&t, sizeof t, SocketKind::datagram); }), WSAEAFNOSUPPORT);
}

TEST(Structs, QueryInfo) {
    ssx_query_info native{};
    native.protocol = SSX_PROTOCOL_TLS;
    native.flags = SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED;
    SOCKET_SECURITY_QUERY_INFO info = query_info_from(native, 0x1234);
    EXPECT_EQ(info.SecurityProtocol, SOCKET_SECURITY_PROTOCOL_TLS);
    EXPECT_EQ(info.Flags, 3u);
    EXPECT_EQ(info.PeerApplicationAccessTokenHandle, 0x1234u);
    EXPECT_EQ(info.PeerMachineAccessTokenHandle, 0u);
    native.protocol = SSX_PROTOCOL_DEFAULT;  // clear-text fallback
    native.flags = 0;
    EXPECT_EQ(query_info_from(native, 0).SecurityProtocol, SOCKET_SECURITY_PROTOCOL_DEFAULT);
}

}  // namespace
}  // namespace ssx::winsock
