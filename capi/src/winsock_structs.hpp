// Reading and checking the Windows secure socket structs that callers pass as (pointer, length),
// and converting them to the native ssx structs. Pure functions of the caller's bytes (no socket),
// so the fuzzer drives them directly. Every field is copied out with memcpy: WSAIoctl's buffers
// are void* and need not be aligned.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "ssx/winsock.h"

namespace ssx::winsock {

// Where the variable part starts: length checks use these, not sizeof, so buffers of
// sizeof(struct) + chars * sizeof(wchar_t) (the SDK sample's arithmetic) are accepted.
inline constexpr size_t kTargetNameFixedSize = offsetof(SOCKET_PEER_TARGET_NAME, AllStrings);        // 140
inline constexpr size_t kIpsecSettingsFixedSize = offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AllStrings);  // 84
// parse_target_name() refuses names over 1024 bytes of UTF-8; a longer wide name cannot be valid,
// so it is refused before anything is converted.
inline constexpr uint32_t kMaxTargetNameChars = 1024;

enum class SocketKind { stream, datagram };

// SecuritySettings/SecuritySettingsLen → native settings (credentials from the policy). NULL means
// the defaults. Errors: WSAEMSGSIZE (len < 8, or an IPsec struct shorter than its fixed part plus
// its strings), WSAEOPNOTSUPP (IPSEC, IPSEC2), WSAEINVAL (unknown protocol). Flags are checked by
// the core (WSAEINVAL).
ssx_security_settings settings_from(const void* in, size_t len);

struct PeerTargetName {
    int32_t protocol = SSX_PROTOCOL_DEFAULT;  // native
    sockaddr_storage peer{};
    std::string name;  // UTF-8
};

// PeerTargetName/PeerTargetNameLen. Errors: WSAEFAULT (NULL), WSAEMSGSIZE (len < 140, or
// < 140 + chars * sizeof(wchar_t)), WSAEOPNOTSUPP (IPsec), WSAEINVAL (unknown protocol, empty or
// over-long name, a wchar_t that is not a Unicode scalar value, an embedded NUL).
PeerTargetName peer_target_name_from(const void* in, size_t len);

struct QueryTemplate {
    bool present = false;  // false: NULL template (stream sockets only)
    ssx_query_template native = SSX_QUERY_TEMPLATE_INIT;
};

// SecurityQueryTemplate/SecurityQueryTemplateLen. Errors: WSAEFAULT (NULL with a length),
// WSAEMSGSIZE (len < sizeof(SOCKET_SECURITY_QUERY_TEMPLATE); NULL on a datagram socket),
// WSAEOPNOTSUPP (IPsec), WSAEINVAL (unknown protocol; datagram: zero PeerAddress),
// WSAEAFNOSUPPORT (datagram: PeerAddress neither AF_INET nor AF_INET6).
QueryTemplate query_template_from(const void* in, size_t len, SocketKind kind);

// The Windows view of a native query result; `application_token` is the handle to report.
SOCKET_SECURITY_QUERY_INFO query_info_from(const ssx_query_info& native, uint64_t application_token);

// wchar_t text (UTF-32 on Linux; read from possibly unaligned bytes) → UTF-8. Errors: WSAEINVAL
// for NUL and for values that are not Unicode scalar values (surrogates, > U+10FFFF).
std::string utf8_from_wide(const unsigned char* bytes, size_t chars);

// True when the address is AF_UNSPEC, or AF_INET/AF_INET6 with a zero address and port.
bool is_unspecified_address(const sockaddr_storage& address);

}  // namespace ssx::winsock
