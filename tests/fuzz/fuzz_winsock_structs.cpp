// libFuzzer target: the Windows secure socket structs as callers hand them over (pointer + length):
// SOCKET_SECURITY_SETTINGS / _IPSEC with its byte-counted strings, SOCKET_PEER_TARGET_NAME with its
// wchar_t name and character count, SOCKET_SECURITY_QUERY_TEMPLATE for stream and datagram sockets,
// and the wchar_t → UTF-8 conversion; every converted target name then goes through the core's
// parser (Windows SPN forms included). No sockets: fast, and the converters are pure.
//
// Input: byte 0 picks the converter (and the socket kind for templates); byte 1 says how many
// trailing bytes the declared length leaves out (callers may declare less than they pass, never
// more); the rest is the caller's buffer, copied to an exact-size heap block.
// Checks beyond "no crash, leak or UB": failures are WsaError with a documented code and a message;
// a converted name is non-empty, NUL-free UTF-8 no longer than 4 bytes per character.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_structs.hpp"
#include "provider/tls/name_match.hpp"

namespace {

using namespace ssx::winsock;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

bool documented(int wsa) {
    return wsa == WSAEFAULT || wsa == WSAEMSGSIZE || wsa == WSAEINVAL || wsa == WSAEOPNOTSUPP ||
           wsa == WSAEAFNOSUPPORT;
}

void check_name(const std::string& name, size_t max_chars) {
    check(!name.empty() && name.size() <= 4 * max_chars && name.find('\0') == std::string::npos);
    try {
        ssx::tls::TargetName t = ssx::tls::parse_target_name(name);
        check(!t.value.empty());
    } catch (const ssx::Error& e) {
        check(e.code() == SSX_E_INVALID_ARGUMENT && !e.message().empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const uint8_t mode = data[0];
    const size_t n = size - 2;
    std::unique_ptr<uint8_t[]> buffer(n ? new uint8_t[n] : nullptr);
    if (n) std::memcpy(buffer.get(), data + 2, n);
    const size_t len = n - std::min<size_t>(data[1], n);
    const void* in = buffer.get();
    try {
        switch (mode % 4) {
            case 0: {
                ssx_security_settings s = settings_from(in, len);
                check(s.size == sizeof s && (s.protocol == SSX_PROTOCOL_DEFAULT || s.protocol == SSX_PROTOCOL_TLS));
                check(s.certificate_file == nullptr && s.private_key_file == nullptr && s.trust_file == nullptr);
                break;
            }
            case 1: {
                PeerTargetName t = peer_target_name_from(in, len);
                check_name(t.name, (len - kTargetNameFixedSize) / sizeof(wchar_t));
                break;
            }
            case 2: {
                const SocketKind kind = (mode & 4) ? SocketKind::datagram : SocketKind::stream;
                QueryTemplate q = query_template_from(in, len, kind);
                check(q.present == (in != nullptr));
                check(q.native.protocol == SSX_PROTOCOL_DEFAULT || q.native.protocol == SSX_PROTOCOL_TLS);
                break;
            }
            case 3: {
                const size_t chars = len / sizeof(wchar_t);
                std::string s = utf8_from_wide(buffer.get(), chars);
                check(s.size() >= chars && s.size() <= 4 * chars);
                break;
            }
        }
    } catch (const WsaError& e) {
        check(documented(e.wsa_code()) && !e.message().empty());
    }
    return 0;
}
