// Test harness for the integration suite: a throwaway development PKI, sockets secured through the
// public C ABI, and a server thread. Everything runs on loopback with bounded waits.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pki/dev_pki.hpp"
#include "ssx/ssx.h"

namespace ssx::test {

namespace fs = std::filesystem;

// A fresh folder under the build's temp dir, removed at the end.
class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "ssx-test-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data()) ? fs::path(tmpl) : fs::path();
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// A CA with a server ("server": DNS server.test, IP 127.0.0.1, URI spiffe://test/server) and a client
// ("client": URI spiffe://test/client, DNS client.test).
class Pki {
public:
    Pki() {
        pki::init_ca(dir());
        pki::LeafOptions server;
        server.name = "server";
        server.dns = {"server.test"};
        server.ip = {"127.0.0.1", "::1"};
        server.uri = {"spiffe://test/server"};
        pki::issue(dir(), server);
        pki::LeafOptions client;
        client.name = "client";
        client.dns = {"client.test"};
        client.uri = {"spiffe://test/client"};
        pki::issue(dir(), client);
    }
    const fs::path& dir() const { return tmp_.path(); }
    std::string cert(const std::string& name) const { return (dir() / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (dir() / (name + ".key")).string(); }
    std::string ca() const { return (dir() / "ca.pem").string(); }
    void issue(const pki::LeafOptions& options) const { pki::issue(dir(), options); }

private:
    TempDir tmp_;
};

// Settings that use NAME.pem/NAME.key and trust the CA of `trust_pki` (default: the same PKI).
struct Identity {
    std::string cert, key, trust;
    std::string alpn;
    uint32_t flags = 0;
    uint32_t timeout_ms = 0;
    ssx_security_settings settings() const {
        ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
        s.flags = flags;
        s.handshake_timeout_ms = timeout_ms;
        s.certificate_file = cert.c_str();
        s.private_key_file = key.c_str();
        s.trust_file = trust.c_str();
        s.alpn = alpn.empty() ? nullptr : alpn.c_str();
        return s;
    }
};

inline Identity identity(const Pki& pki, const std::string& name) {
    return {pki.cert(name), pki.key(name), pki.ca()};
}

inline sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

// A listening socket on 127.0.0.1:<ephemeral>, secured with `id` (nullptr: not secured).
inline int secured_listener(const Identity* id, uint16_t* port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (id) {
        ssx_security_settings s = id->settings();
        EXPECT_EQ(ssx_set_socket_security(fd, &s), 0) << ssx_last_error_message();
    }
    sockaddr_in a = loopback(0);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 64), 0);
    *port = local_port(fd);
    return fd;
}

// A client socket secured with `id` and (unless empty) the target name.
inline int secured_client(const Identity& id, const std::string& target) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ssx_security_settings s = id.settings();
    EXPECT_EQ(ssx_set_socket_security(fd, &s), 0) << ssx_last_error_message();
    if (!target.empty()) EXPECT_EQ(ssx_set_peer_target_name(fd, nullptr, 0, target.c_str()), 0) << ssx_last_error_message();
    return fd;
}

// The outcome of a call: return value, ssx code, errno and message.
struct Outcome {
    long result = 0;
    int code = 0;
    int err = 0;
    std::string message;
};

inline Outcome outcome(long result) {
    int e = errno;
    return {result, ssx_last_error(), e, ssx_last_error_message()};
}

// Runs `body` on a thread; the future holds its result. Tests join with a bounded wait.
template <class F>
auto on_thread(F body) {
    return std::async(std::launch::async, std::move(body));
}

template <class T>
T get_within(std::future<T>& f, std::chrono::seconds limit = std::chrono::seconds(20)) {
    if (f.wait_for(limit) != std::future_status::ready) {
        ADD_FAILURE() << "a peer thread did not finish within " << limit.count() << " s";
        std::abort();  // a hang is a failure; never wait forever
    }
    return f.get();
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old, had_ = true;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (had_) ::setenv(name_, old_.c_str(), 1);
        else ::unsetenv(name_);
    }

private:
    const char* name_;
    std::string old_;
    bool had_ = false;
};

}  // namespace ssx::test
