// Shared set-up of the API fuzzers (fuzz_winsock_api, fuzz_native): a development PKI in a
// temporary folder, a policy naming it (SSX_POLICY: the Winsock API reads credentials only from
// the policy), and one secured TCP connection on loopback made once, so every input can query and
// impersonate without a handshake of its own. Plus a small reader of the fuzzer's bytes that hands
// out exact-size heap copies, so AddressSanitizer catches any read past what a caller declared.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "pki/dev_pki.hpp"
#include "ssx/ssx.h"

namespace ssx::fuzz {

inline void check(bool ok) {
    if (!ok) __builtin_trap();
}

// Reads the fuzzer's input front to back; past the end every read yields zeros / empty buffers.
class Reader {
public:
    Reader(const uint8_t* data, size_t size) : p_(data), left_(size) {}
    bool empty() const { return left_ == 0; }
    uint8_t u8() { return left_ ? (--left_, *p_++) : 0; }
    uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
    uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
    // An exact-size heap copy of the next n bytes (fewer if the input ends), or NULL for n == 0.
    std::unique_ptr<uint8_t[]> bytes(size_t n, size_t* got) {
        n = std::min(n, left_);
        *got = n;
        if (n == 0) return nullptr;
        std::unique_ptr<uint8_t[]> b(new uint8_t[n]);
        std::memcpy(b.get(), p_, n);
        p_ += n;
        left_ -= n;
        return b;
    }
    // A NUL-terminated string of at most max bytes (may contain anything but NUL).
    std::string text(size_t max) {
        std::string s;
        const size_t n = std::min<size_t>(u8(), max);
        for (size_t i = 0; i < n && left_; ++i) {
            const char c = static_cast<char>(u8());
            if (c) s += c;
        }
        return s;
    }

private:
    const uint8_t* p_;
    size_t left_;
};

struct Fixture {
    std::filesystem::path dir;
    std::string policy, cert, key, ca;
    int client = -1;       // connected, secured (target name "peer.test")
    int server = -1;       // the accepted end
    int unconnected = -1;  // secured, not connected: target names are set and deleted on it
};

inline Fixture build_fixture() {
    Fixture f;
    std::string tmpl = (std::filesystem::temp_directory_path() / "ssx-fuzz-XXXXXX").string();
    check(::mkdtemp(tmpl.data()) != nullptr);
    f.dir = tmpl;
    pki::init_ca(f.dir);
    pki::LeafOptions leaf;
    leaf.name = "peer";
    leaf.dns = {"peer.test"};
    leaf.ip = {"127.0.0.1"};
    leaf.uri = {"spiffe://fuzz/peer"};
    pki::issue(f.dir, leaf);
    f.policy = pki::write_policy(f.dir, "peer").string();
    f.cert = (f.dir / "peer.pem").string();
    f.key = (f.dir / "peer.key").string();
    f.ca = (f.dir / "ca.pem").string();
    ::setenv("SSX_POLICY", f.policy.c_str(), 1);  // before any thread exists
    std::atexit([] {
        std::error_code ec;
        const char* p = std::getenv("SSX_POLICY");
        if (p) std::filesystem::remove_all(std::filesystem::path(p).parent_path(), ec);
    });

    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(ssx_set_socket_security(listener, nullptr) == 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(listener, 4) == 0);
    socklen_t alen = sizeof a;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &alen);

    f.client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(ssx_set_socket_security(f.client, nullptr) == 0);
    check(ssx_set_peer_target_name(f.client, nullptr, 0, "peer.test") == 0);
    std::thread accepter([&] { f.server = ssx_accept(listener, nullptr, nullptr); });
    const int connected = ssx_connect(f.client, reinterpret_cast<sockaddr*>(&a), sizeof a);
    accepter.join();
    check(connected == 0 && f.server >= 0);
    ::close(listener);

    f.unconnected = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(ssx_set_socket_security(f.unconnected, nullptr) == 0);
    return f;
}

inline Fixture& fixture() {
    static Fixture f = build_fixture();
    return f;
}

}  // namespace ssx::fuzz
