// Test harness for the integration suite: a throwaway development PKI, sockets secured through the
// public C ABI, peers on threads (ssx or plain TCP), and assertions on the C ABI's error reporting.
// Everything runs on loopback; every wait is bounded (a hang is a failure, never a stuck suite).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pki/dev_pki.hpp"
#include "ssx/ssx.h"

namespace ssx::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ----- Files and the PKI -------------------------------------------------------------------------

// A fresh folder under the temp dir, removed at the end.
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
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// A CA with a server ("server": DNS server.test, IPs 127.0.0.1 and ::1, URI spiffe://test/server)
// and a client ("client": URI spiffe://test/client, DNS client.test). `ca_name` tells two PKIs apart.
class Pki {
public:
    explicit Pki(const std::string& ca_name = "ssx test CA") {
        pki::CaOptions ca;
        ca.common_name = ca_name;
        pki::init_ca(dir(), ca);
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
    // Writes DIR/NAME.toml naming NAME.pem/NAME.key/ca.pem plus `extra` (see pki::write_policy).
    std::string policy(const std::string& name, const std::string& extra = "") const {
        return pki::write_policy(dir(), name, extra).string();
    }

private:
    TempDir tmp_;
};

// Settings that use NAME.pem/NAME.key and trust the CA of a PKI.
struct Identity {
    std::string cert, key, trust;
    std::string alpn;
    uint32_t flags = 0;
    uint32_t timeout_ms = 0;
    ssx_security_settings settings() const {
        ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
        s.flags = flags;
        s.handshake_timeout_ms = timeout_ms;
        s.certificate_file = cert.empty() ? nullptr : cert.c_str();
        s.private_key_file = key.empty() ? nullptr : key.c_str();
        s.trust_file = trust.empty() ? nullptr : trust.c_str();
        s.alpn = alpn.empty() ? nullptr : alpn.c_str();
        return s;
    }
};

// NAME's credentials from `pki`, trusting `pki`'s CA.
inline Identity identity(const Pki& pki, const std::string& name) {
    return {pki.cert(name), pki.key(name), pki.ca()};
}

// NAME's credentials from `pki`, trusting the CA of `trusted`.
inline Identity identity(const Pki& pki, const std::string& name, const Pki& trusted) {
    return {pki.cert(name), pki.key(name), trusted.ca()};
}

// Credentials only from the policy (SSX_POLICY), with the given flags.
inline Identity from_policy(uint32_t flags = 0) {
    Identity id;
    id.flags = flags;
    return id;
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
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::string old_;
    bool had_ = false;
};

// ----- Outcomes of C ABI calls -------------------------------------------------------------------

// The outcome of a call: return value, ssx code, errno and message (captured right after it).
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

inline std::string describe(const Outcome& o) {
    return "result " + std::to_string(o.result) + ", " + ssx_error_name(o.code) + ", errno " +
           std::to_string(o.err) + " (" + std::strerror(o.err) + "), message: \"" + o.message + "\"";
}

// Success: the result is not -1 and the thread's last error is SSX_OK with an empty message.
inline ::testing::AssertionResult succeeded(const Outcome& o) {
    if (o.result != -1 && o.code == SSX_OK && o.message.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected success, got " << describe(o);
}

// Failure with exactly this code and errno, and a message that says something.
inline ::testing::AssertionResult failed_with(const Outcome& o, int code, int err) {
    if (o.result == -1 && o.code == code && o.err == err && !o.message.empty()) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected -1, " << ssx_error_name(code) << ", errno " << err
                                         << " (" << std::strerror(err) << ") and a message; got "
                                         << describe(o);
}

// The message mentions every one of `parts`.
inline ::testing::AssertionResult mentions(const std::string& message, std::initializer_list<std::string> parts) {
    for (const auto& p : parts) {
        if (message.find(p) == std::string::npos) {
            return ::testing::AssertionFailure() << "message does not mention '" << p << "': \"" << message << "\"";
        }
    }
    return ::testing::AssertionSuccess();
}

// ----- Addresses and sockets ---------------------------------------------------------------------

struct Address {
    sockaddr_storage storage{};
    socklen_t len = 0;
    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
    int family() const { return storage.ss_family; }
};

// 127.0.0.1:port or [::1]:port.
inline Address loopback_address(int family, uint16_t port) {
    Address a;
    if (family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_addr = in6addr_loopback;
        a.len = sizeof(sockaddr_in6);
    } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.len = sizeof(sockaddr_in);
    }
    return a;
}

inline sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline uint16_t local_port(int fd) {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

// Owns a descriptor; closes it with ssx_close (which plainly closes descriptors ssx does not know).
class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() { reset(); }
    Socket(Socket&& o) noexcept : fd_(o.release()) {}
    Socket& operator=(Socket&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ssx_close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// A listening socket on the loopback address of `family`, port chosen by the kernel.
struct Listener {
    Socket sock;
    uint16_t port = 0;
    Address address;  // where clients connect
    int fd() const { return sock.get(); }
};

// Secured with `id` (nullptr: a plain TCP listener) before bind, as the ordering rules require.
inline Listener listen_on(const Identity* id, int family = AF_INET) {
    Listener l;
    l.sock.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_GE(l.fd(), 0) << std::strerror(errno);
    if (id) {
        ssx_security_settings s = id->settings();
        EXPECT_EQ(ssx_set_socket_security(l.fd(), &s), 0) << ssx_last_error_message();
    }
    Address any = loopback_address(family, 0);
    EXPECT_EQ(::bind(l.fd(), any.sa(), any.len), 0) << std::strerror(errno);
    EXPECT_EQ(::listen(l.fd(), 64), 0) << std::strerror(errno);
    l.port = local_port(l.fd());
    l.address = loopback_address(family, l.port);
    return l;
}

// The lead's original helper, kept for the exchange test: an IPv4 listener fd (caller closes).
inline int secured_listener(const Identity* id, uint16_t* port) {
    Listener l = listen_on(id);
    *port = l.port;
    return l.sock.release();
}

// A client socket of `family` secured with `id` and (unless empty) the any-peer target name.
inline int secured_client(const Identity& id, const std::string& target, int family = AF_INET) {
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ssx_security_settings s = id.settings();
    EXPECT_EQ(ssx_set_socket_security(fd, &s), 0) << ssx_last_error_message();
    if (!target.empty()) {
        EXPECT_EQ(ssx_set_peer_target_name(fd, nullptr, 0, target.c_str()), 0) << ssx_last_error_message();
    }
    return fd;
}

inline Outcome connect_to(int fd, const Address& to) { return outcome(ssx_connect(fd, to.sa(), to.len)); }

// A secured client connected to `to`; the Socket is empty if the connection failed (*result tells).
inline Socket connect_client(const Identity& id, const std::string& target, const Address& to,
                             Outcome* result = nullptr) {
    Socket s(secured_client(id, target, to.family()));
    Outcome o = connect_to(s.get(), to);
    if (result) *result = o;
    if (o.result != 0) s.reset();
    return s;
}

// A plain TCP connection to `to` (blocking), or -1.
inline int plain_connect(const Address& to) {
    int fd = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, to.sa(), to.len) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// True when a connection is waiting in the listener's queue within `wait`.
inline bool connection_pending(int listener, milliseconds wait = milliseconds(0)) {
    pollfd p{listener, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 1 && (p.revents & POLLIN);
}

// Sets SO_RCVTIMEO (a bound for plain reads in the tests' own peers).
inline void set_receive_timeout(int fd, milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

inline void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// ----- Data --------------------------------------------------------------------------------------

// Deterministic pseudo-random bytes (xorshift), different for each seed, so a misplaced, repeated
// or dropped chunk is detected.
inline std::vector<unsigned char> pattern(size_t n, uint32_t seed) {
    std::vector<unsigned char> v(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v[i] = static_cast<unsigned char>(x);
    }
    return v;
}

// Index of the first byte that differs, or -1 if equal (sizes must match too).
inline long first_difference(const std::vector<unsigned char>& a, const std::vector<unsigned char>& b) {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return static_cast<long>(i);
    return a.size() == b.size() ? -1 : static_cast<long>(n);
}

// ssx_send until everything is out; the outcome of the last call (success: result = len).
inline Outcome send_all(int fd, const void* data, size_t len) {
    const auto* p = static_cast<const unsigned char*>(data);
    size_t done = 0;
    while (done < len) {
        ssize_t n = ssx_send(fd, p + done, len - done, 0);
        if (n <= 0) return outcome(n);
        done += static_cast<size_t>(n);
    }
    Outcome o = outcome(static_cast<long>(done));
    return o;
}

inline Outcome send_text(int fd, const std::string& text) { return send_all(fd, text.data(), text.size()); }

// ssx_recv until `len` bytes, the peer's end, or a failure. *out holds what arrived.
inline Outcome recv_exact(int fd, size_t len, std::vector<unsigned char>* out) {
    out->resize(len);
    size_t got = 0;
    while (got < len) {
        ssize_t n = ssx_recv(fd, out->data() + got, len - got, 0);
        if (n <= 0) {
            Outcome o = outcome(n);
            out->resize(got);
            return o;
        }
        got += static_cast<size_t>(n);
    }
    return outcome(static_cast<long>(got));
}

// ssx_recv until the peer's orderly end (0) or a failure, at most `limit` bytes.
inline Outcome recv_until_end(int fd, std::string* out, size_t limit = 64u << 20) {
    char buf[65536];
    for (;;) {
        ssize_t n = ssx_recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return outcome(n);
        out->append(buf, static_cast<size_t>(n));
        if (out->size() > limit) return outcome(-2);
    }
}

// Plain recv() of everything until the peer's end, an error, or `limit` (wall clock) passes.
inline std::string plain_read_all(int fd, milliseconds limit = milliseconds(3000)) {
    std::string data;
    const auto deadline = Clock::now() + limit;
    char buf[4096];
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        int left = static_cast<int>(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
        if (::poll(&p, 1, std::max(left, 0)) <= 0) break;
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            break;
        }
        data.append(buf, static_cast<size_t>(n));
    }
    return data;
}

inline bool plain_send(int fd, const std::string& text) {
    return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// ----- Query and tokens --------------------------------------------------------------------------

struct Query {
    Outcome call;
    ssx_query_info info{};
};

// ssx_query_socket_security with a template of access mask `mask` (tokens only if non-zero).
inline Query query(int fd, uint32_t mask = 0) {
    Query q;
    ssx_query_template t = SSX_QUERY_TEMPLATE_INIT;
    t.peer_token_access_mask = mask;
    size_t len = sizeof q.info;
    q.call = outcome(ssx_query_socket_security(fd, &t, &q.info, &len));
    return q;
}

// Owns a token.
struct TokenCloser {
    void operator()(ssx_token* t) const noexcept { ssx_token_close(t); }
};
using Token = std::unique_ptr<ssx_token, TokenCloser>;

inline std::string text_or_null(const char* s) { return s ? std::string(s) : std::string("(null)"); }

// ----- Threads -----------------------------------------------------------------------------------

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

// What a server thread saw: the accept outcome and the application data it received.
struct Served {
    Outcome accept;
    std::string received;  // application bytes read before the peer's end or a failure
    Outcome end;           // the ssx_recv that ended the reading (0 = orderly end)
    Query query;           // the accepted socket's query (tokens requested with SSX_TOKEN_QUERY)
};

// Accepts one connection on an ssx listener; on success queries it, runs `body(fd, served)` (by
// default: read everything until the peer's end), then ssx_close()s it.
inline std::future<Served> serve_once(int listener, std::function<void(int, Served&)> body = nullptr) {
    return on_thread([listener, body] {
        Served s;
        int fd = ssx_accept(listener, nullptr, nullptr);
        s.accept = outcome(fd);
        if (fd < 0) return s;
        s.query = query(fd);
        if (body) {
            body(fd, s);
        } else {
            s.end = recv_until_end(fd, &s.received);
        }
        ssx_close(fd);
        return s;
    });
}

// Accepts one connection and echoes everything until the peer's end.
inline std::future<Served> echo_once(int listener) {
    return serve_once(listener, [](int fd, Served& s) {
        char buf[16384];
        for (;;) {
            ssize_t n = ssx_recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                s.end = outcome(n);
                return;
            }
            s.received.append(buf, static_cast<size_t>(n));
            if (!succeeded(send_all(fd, buf, static_cast<size_t>(n)))) return;
        }
    });
}

// A fixture whose tests share one PKI, made once per test suite (key generation is the slow part),
// with the usual client and server identities.
class SharedPkiTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { pki_ = new Pki(); }
    static void TearDownTestSuite() {
        delete pki_;
        pki_ = nullptr;
    }
    static inline Pki* pki_ = nullptr;
    Identity client_ = identity(*pki_, "client");
    Identity server_ = identity(*pki_, "server");
};

// A plain TCP server (no ssx): accepts up to `connections` connections one after another and runs
// `behaviour(fd, index)` on each; records every byte each connection received. Bounded in time.
class PlainServer {
public:
    using Behaviour = std::function<void(int fd, size_t index, std::string& received)>;

    PlainServer(int family, size_t connections, Behaviour behaviour)
        : listener_(listen_on(nullptr, family)) {
        int lfd = listener_.fd();
        thread_ = std::thread([this, lfd, connections, behaviour] {
            for (size_t i = 0; i < connections; ++i) {
                // Up to 5 s per connection; once join() is called, only what is already queued.
                bool pending = false;
                for (int waited = 0; waited < 5000 && !pending; waited += 50) {
                    if (stop_ && !connection_pending(lfd)) break;
                    pending = connection_pending(lfd, milliseconds(50));
                }
                if (!pending) break;
                int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0) break;
                std::string received;
                behaviour(fd, i, received);
                ::close(fd);
                std::lock_guard lock(mu_);
                received_.push_back(std::move(received));
            }
        });
    }
    ~PlainServer() { join(); }

    const Address& address() const { return listener_.address; }
    int listener_fd() const { return listener_.fd(); }

    // Stops accepting once the queue is empty, waits for the server thread and returns what each
    // connection received, in order.
    std::vector<std::string> join() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        std::lock_guard lock(mu_);
        return received_;
    }

private:
    Listener listener_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::vector<std::string> received_;
};

// True when `haystack` contains `needle` (bytes).
inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace ssx::test
