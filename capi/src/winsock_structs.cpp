// Conversion of the Windows secure socket structs (see winsock_structs.hpp).
#include "capi/src/winsock_structs.hpp"

#include <netinet/in.h>

#include <cstdio>
#include <cstring>

#include "capi/src/winsock_errors.hpp"

namespace ssx::winsock {

namespace {

template <class T>
T read_at(const unsigned char* base, size_t offset) {
    T value;
    std::memcpy(&value, base + offset, sizeof value);
    return value;
}

// The native protocol for a Windows SecurityProtocol value in `what`.
int32_t native_protocol(int32_t protocol, const char* what) {
    switch (protocol) {
        case SOCKET_SECURITY_PROTOCOL_DEFAULT: return SSX_PROTOCOL_DEFAULT;
        case SOCKET_SECURITY_PROTOCOL_TLS: return SSX_PROTOCOL_TLS;
        case SOCKET_SECURITY_PROTOCOL_IPSEC:
        case SOCKET_SECURITY_PROTOCOL_IPSEC2:
            wsa_fail(WSAEOPNOTSUPP, SSX_E_NOT_SUPPORTED,
                     std::string(what) + ": IPsec (SOCKET_SECURITY_PROTOCOL_" +
                         (protocol == SOCKET_SECURITY_PROTOCOL_IPSEC ? "IPSEC" : "IPSEC2") +
                         ") is not available on Linux; use SOCKET_SECURITY_PROTOCOL_DEFAULT, which selects TLS "
                         "(the administrator's protocol)");
        default:
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     std::string(what) + ": unknown SecurityProtocol " + std::to_string(protocol) +
                         "; use SOCKET_SECURITY_PROTOCOL_DEFAULT");
    }
}

[[noreturn]] void too_small(const char* what, size_t len, uint64_t needed, const std::string& why) {
    wsa_fail(WSAEMSGSIZE, SSX_E_BUFFER_TOO_SMALL,
             std::string(what) + " is " + std::to_string(len) + " bytes; " + why + " needs " +
                 std::to_string(needed));
}

// SOCKET_SECURITY_SETTINGS_IPSEC: the fixed part and the three byte-counted strings must fit.
void check_ipsec_settings_length(const unsigned char* in, size_t len) {
    if (len < kIpsecSettingsFixedSize) {
        too_small("SecuritySettingsLen", len, kIpsecSettingsFixedSize,
                  "SOCKET_SECURITY_SETTINGS_IPSEC (the struct an IPsec SecurityProtocol implies)");
    }
    const uint64_t strings =
        uint64_t{read_at<ULONG>(in, offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, UserNameStringLen))} +
        read_at<ULONG>(in, offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, DomainNameStringLen)) +
        read_at<ULONG>(in, offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, PasswordStringLen));
    if (len < kIpsecSettingsFixedSize + strings) {
        too_small("SecuritySettingsLen", len, kIpsecSettingsFixedSize + strings,
                  "SOCKET_SECURITY_SETTINGS_IPSEC with its user name, domain and password");
    }
}

void append_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

}  // namespace

ssx_security_settings settings_from(const void* in, size_t len) {
    ssx_security_settings settings = SSX_SECURITY_SETTINGS_INIT;
    if (!in) return settings;  // NULL: default settings, as documented
    const auto* bytes = static_cast<const unsigned char*>(in);
    if (len < sizeof(SOCKET_SECURITY_SETTINGS)) {
        too_small("SecuritySettingsLen", len, sizeof(SOCKET_SECURITY_SETTINGS), "SOCKET_SECURITY_SETTINGS");
    }
    const auto protocol = read_at<int32_t>(bytes, offsetof(SOCKET_SECURITY_SETTINGS, SecurityProtocol));
    if (protocol == SOCKET_SECURITY_PROTOCOL_IPSEC || protocol == SOCKET_SECURITY_PROTOCOL_IPSEC2) {
        check_ipsec_settings_length(bytes, len);  // WSAEMSGSIZE before WSAEOPNOTSUPP, as Windows
    }
    settings.protocol = native_protocol(protocol, "WSASetSocketSecurity");
    settings.flags = read_at<ULONG>(bytes, offsetof(SOCKET_SECURITY_SETTINGS, SecurityFlags));
    return settings;
}

PeerTargetName peer_target_name_from(const void* in, size_t len) {
    if (!in) wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER, "WSASetSocketPeerTargetName: PeerTargetName is NULL");
    const auto* bytes = static_cast<const unsigned char*>(in);
    if (len < kTargetNameFixedSize) {
        too_small("PeerTargetNameLen", len, kTargetNameFixedSize, "the fixed part of SOCKET_PEER_TARGET_NAME");
    }
    PeerTargetName out;
    out.protocol = native_protocol(read_at<int32_t>(bytes, offsetof(SOCKET_PEER_TARGET_NAME, SecurityProtocol)),
                                   "WSASetSocketPeerTargetName");
    std::memcpy(&out.peer, bytes + offsetof(SOCKET_PEER_TARGET_NAME, PeerAddress), sizeof out.peer);
    const auto chars = read_at<ULONG>(bytes, offsetof(SOCKET_PEER_TARGET_NAME, PeerTargetNameStringLen));
    const uint64_t needed = kTargetNameFixedSize + uint64_t{chars} * sizeof(wchar_t);
    if (len < needed) {
        too_small("PeerTargetNameLen", len, needed,
                  "a name of " + std::to_string(chars) + " characters (PeerTargetNameStringLen counts wchar_t "
                  "characters, " + std::to_string(sizeof(wchar_t)) + " bytes each on Linux)");
    }
    const unsigned char* text = bytes + kTargetNameFixedSize;
    uint32_t count = chars;
    // A terminator counted in the length (wcslen(name) + 1) is tolerated: it adds nothing to the name.
    if (count > 0 && read_at<wchar_t>(text, (count - 1) * sizeof(wchar_t)) == L'\0') --count;
    if (count == 0) {
        wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                 "WSASetSocketPeerTargetName: the target name is empty (PeerTargetNameStringLen is " +
                     std::to_string(chars) + "); give the SPN, e.g. L\"host/db.corp\", and its wcslen()");
    }
    if (count > kMaxTargetNameChars) {
        wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                 "WSASetSocketPeerTargetName: the target name has " + std::to_string(count) +
                     " characters; at most " + std::to_string(kMaxTargetNameChars) + " are accepted");
    }
    out.name = utf8_from_wide(text, count);
    return out;
}

QueryTemplate query_template_from(const void* in, size_t len, SocketKind kind) {
    QueryTemplate out;
    if (!in) {
        if (len != 0) {
            wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER,
                     "WSAQuerySocketSecurity: SecurityQueryTemplate is NULL but SecurityQueryTemplateLen is " +
                         std::to_string(len));
        }
        if (kind == SocketKind::datagram) {
            wsa_fail(WSAEMSGSIZE, SSX_E_BUFFER_TOO_SMALL,
                     "WSAQuerySocketSecurity: a datagram socket needs a SOCKET_SECURITY_QUERY_TEMPLATE naming "
                     "the peer (SecurityQueryTemplateLen = sizeof(SOCKET_SECURITY_QUERY_TEMPLATE))");
        }
        return out;
    }
    const auto* bytes = static_cast<const unsigned char*>(in);
    if (len < sizeof(SOCKET_SECURITY_QUERY_TEMPLATE)) {
        too_small("SecurityQueryTemplateLen", len, sizeof(SOCKET_SECURITY_QUERY_TEMPLATE),
                  "SOCKET_SECURITY_QUERY_TEMPLATE");
    }
    out.present = true;
    out.native.protocol = native_protocol(
        read_at<int32_t>(bytes, offsetof(SOCKET_SECURITY_QUERY_TEMPLATE, SecurityProtocol)), "WSAQuerySocketSecurity");
    std::memcpy(&out.native.peer_address, bytes + offsetof(SOCKET_SECURITY_QUERY_TEMPLATE, PeerAddress),
                sizeof out.native.peer_address);
    out.native.peer_token_access_mask =
        read_at<ULONG>(bytes, offsetof(SOCKET_SECURITY_QUERY_TEMPLATE, PeerTokenAccessMask));
    if (kind == SocketKind::datagram) {
        if (is_unspecified_address(out.native.peer_address)) {
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     "WSAQuerySocketSecurity: PeerAddress is zero; a datagram socket's template must name "
                     "the peer's IP address and port");
        }
        const sa_family_t family = out.native.peer_address.ss_family;
        if (family != AF_INET && family != AF_INET6) {
            wsa_fail(WSAEAFNOSUPPORT, SSX_E_ADDRESS_FAMILY,
                     "WSAQuerySocketSecurity: PeerAddress has family " + std::to_string(family) +
                         "; a datagram socket's template must name the peer as AF_INET or AF_INET6");
        }
    }
    return out;
}

SOCKET_SECURITY_QUERY_INFO query_info_from(const ssx_query_info& native, uint64_t application_token) {
    SOCKET_SECURITY_QUERY_INFO info{};
    info.SecurityProtocol =
        native.protocol == SSX_PROTOCOL_TLS ? SOCKET_SECURITY_PROTOCOL_TLS : SOCKET_SECURITY_PROTOCOL_DEFAULT;
    info.Flags = native.flags;  // SSX_INFO_CONNECTION_* == SOCKET_INFO_CONNECTION_*
    info.PeerApplicationAccessTokenHandle = application_token;
    info.PeerMachineAccessTokenHandle = 0;  // TLS authenticates one identity per connection
    return info;
}

std::string utf8_from_wide(const unsigned char* bytes, size_t chars) {
    std::string out;
    out.reserve(chars);
    for (size_t i = 0; i < chars; ++i) {
        // wchar_t is signed on x86_64: read it as the unsigned code unit value.
        const auto c = static_cast<uint32_t>(read_at<wchar_t>(bytes, i * sizeof(wchar_t)));
        if (c == 0) {
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     "the target name contains L'\\0' at character " + std::to_string(i) +
                         "; PeerTargetNameStringLen must count only the name's characters");
        }
        if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "0x%X", c);
            wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                     "the target name's character " + std::to_string(i) + " (" + hex +
                         ") is not a Unicode character; wchar_t is UTF-32 on Linux: store whole code points, "
                         "not UTF-16 units copied from Windows");
        }
        append_utf8(out, c);
    }
    return out;
}

bool is_unspecified_address(const sockaddr_storage& address) {
    if (address.ss_family == AF_UNSPEC) return true;
    if (address.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
        return in->sin_addr.s_addr == 0 && in->sin_port == 0;
    }
    if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        static const in6_addr any = IN6ADDR_ANY_INIT;
        return std::memcmp(&in6->sin6_addr, &any, sizeof any) == 0 && in6->sin6_port == 0;
    }
    return false;
}

}  // namespace ssx::winsock
