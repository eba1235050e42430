// libFuzzer target: the native C ABI's caller-supplied structs and buffers, on real sockets:
// ssx_security_settings (any size field, protocol, flags; credential paths picked from good, missing
// and wrong files; ALPN lists) on a fresh socket, ssx_set_peer_target_name / delete with arbitrary
// address bytes and names, ssx_query_socket_security with any template (size field, protocol,
// address, mask) and any output size on an established connection, impersonation, and the token
// accessors with arbitrary indexes and buffer sizes.
//
// Checks beyond "no crash, leak or UB": every failure has a known SSX_E_* code and a message; the
// size negotiation writes the required size; a name that could be set can be deleted; strings in
// the query result are terminated; tokens honour their access mask; an impersonation reverts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_winsock_fixture.hpp"

namespace {

using ssx::fuzz::check;
using ssx::fuzz::Reader;

void check_failure() {
    check(std::string(ssx_error_name(ssx_last_error())) != "SSX_E_UNKNOWN" && ssx_last_error() != SSX_OK);
    check(ssx_last_error() != SSX_E_INTERNAL);  // an internal error is a bug, whatever the input
    check(ssx_last_error_message()[0] != '\0');
}

const char* pick_path(uint8_t choice, const ssx::fuzz::Fixture& f, const std::string& good) {
    switch (choice % 5) {
        case 0: return nullptr;
        case 1: return good.c_str();
        case 2: return "/nonexistent-ssx-fuzz/file.pem";
        case 3: return f.dir.c_str();  // a directory, not a file
        default: return f.ca.c_str();  // a certificate where a key may be expected
    }
}

void settings(Reader& r, const ssx::fuzz::Fixture& f) {
    const uint8_t how = r.u8();
    ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
    s.size = (how & 1) ? r.u32() : static_cast<uint32_t>(sizeof s);
    s.protocol = static_cast<int32_t>(r.u32());
    s.flags = r.u32();
    s.handshake_timeout_ms = r.u16();
    s.certificate_file = pick_path(r.u8(), f, f.cert);
    s.private_key_file = pick_path(r.u8(), f, f.key);
    s.trust_file = pick_path(r.u8(), f, f.ca);
    std::string alpn = r.text(64);
    s.alpn = (how & 2) ? alpn.c_str() : nullptr;
    int fd = ::socket((how & 4) ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ssx_set_socket_security(fd, (how & 8) ? nullptr : &s) != 0) check_failure();
    check(ssx_close(fd) == 0);
}

void target(Reader& r, int fd) {
    const uint8_t how = r.u8();
    size_t len;
    auto addr = r.bytes(r.u8() % 40, &len);
    const socklen_t declared = static_cast<socklen_t>((how & 1) ? len : len / 2);
    const std::string name = r.text(255);
    if (ssx_set_peer_target_name(fd, reinterpret_cast<const sockaddr*>(addr.get()), declared, name.c_str()) != 0) {
        check_failure();
        return;
    }
    check(ssx_delete_peer_target_name(fd, reinterpret_cast<const sockaddr*>(addr.get()), declared) == 0);
}

void delete_target(Reader& r, int fd) {
    size_t len;
    auto addr = r.bytes(r.u8() % 40, &len);
    if (ssx_delete_peer_target_name(fd, reinterpret_cast<const sockaddr*>(addr.get()),
                                    static_cast<socklen_t>(len)) != 0) {
        check_failure();
    }
}

void token_accessors(Reader& r, ssx_token* t) {
    const bool readable = (ssx_token_access_mask(t) & SSX_TOKEN_QUERY) != 0;
    check((ssx_token_name(t) != nullptr) == readable);
    check((ssx_token_fingerprint(t) != nullptr) == readable);
    const size_t names = ssx_token_name_count(t);
    check(readable ? names > 0 : names == 0);
    const size_t index = r.u8();
    if (ssx_token_name_at(t, index) == nullptr) check(!readable || index >= names);
    size_t der_len = 0;
    const size_t chain = ssx_token_chain_length(t);
    if (ssx_token_chain_der(t, r.u8() % 4, &der_len) != nullptr) check(der_len > 0 && chain > 0);
    size_t count = r.u8() % 8;
    std::unique_ptr<uint32_t[]> groups(count ? new uint32_t[count] : nullptr);
    if (ssx_token_unix_groups(t, groups.get(), &count) != 0) check_failure();
    ssx_token* dup = nullptr;
    check(ssx_token_duplicate(t, &dup) == 0 && ssx_token_access_mask(dup) == ssx_token_access_mask(t));
    ssx_token_close(dup);
}

void query(Reader& r, int fd) {
    const uint8_t how = r.u8();
    ssx_query_template t = SSX_QUERY_TEMPLATE_INIT;
    t.size = (how & 1) ? r.u32() : static_cast<uint32_t>(sizeof t);
    t.protocol = static_cast<int32_t>(r.u8() % 6);
    size_t n;
    auto addr = r.bytes(r.u8() % sizeof t.peer_address, &n);
    if (n) std::memcpy(&t.peer_address, addr.get(), n);
    t.peer_token_access_mask = r.u32();
    const size_t out_len = r.u16() % 1024;
    std::unique_ptr<uint8_t[]> out((how & 2) || out_len == 0 ? nullptr : new uint8_t[out_len]);
    size_t len = out_len;
    const int rc = ssx_query_socket_security(fd, (how & 4) ? nullptr : &t, reinterpret_cast<ssx_query_info*>(out.get()),
                                             &len);
    if (rc != 0) {
        check_failure();
        if (ssx_last_error() == SSX_E_BUFFER_TOO_SMALL) check(len == sizeof(ssx_query_info));
        return;
    }
    check(len == sizeof(ssx_query_info));
    ssx_query_info info;
    std::memcpy(&info, out.get(), sizeof info);
    check(info.flags & SSX_INFO_CONNECTION_SECURED);
    check(std::memchr(info.cipher, 0, sizeof info.cipher) != nullptr);
    check(std::memchr(info.alpn, 0, sizeof info.alpn) != nullptr);
    check(info.peer_machine_token == nullptr);
    const bool wants_tokens = !(how & 4) && t.peer_token_access_mask != 0;
    check((info.peer_application_token != nullptr) == wants_tokens);
    if (info.peer_application_token) {
        check(ssx_token_access_mask(info.peer_application_token) == t.peer_token_access_mask);
        token_accessors(r, info.peer_application_token);
        ssx_token_close(info.peer_application_token);
    }
}

void impersonate(Reader& r, int fd) {
    size_t len;
    auto addr = r.bytes(r.u8() % 40, &len);
    if (ssx_impersonate_socket_peer(fd, reinterpret_cast<const sockaddr*>(addr.get()),
                                    static_cast<socklen_t>(len)) != 0) {
        check_failure();
        return;
    }
    ssx_token* me = nullptr;
    check(ssx_get_thread_token(&me) == 0 && me != nullptr);
    ssx_token_close(me);
    check(ssx_revert_impersonation() == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ssx::fuzz::Fixture& f = ssx::fuzz::fixture();
    Reader r(data, size);
    for (int op = 0; op < 8 && !r.empty(); ++op) {
        const uint8_t which = r.u8();
        const int connected = (which & 0x80) ? f.server : f.client;
        switch (which % 5) {
            case 0: settings(r, f); break;
            case 1: target(r, f.unconnected); break;
            case 2: delete_target(r, f.unconnected); break;
            case 3: query(r, connected); break;
            case 4: impersonate(r, connected); break;
        }
    }
    return 0;
}
