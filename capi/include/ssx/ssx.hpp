// ssx.hpp — a header-only C++17 wrapper over the C ABI (ssx.h), so C++ users never touch raw
// handles: RAII for sockets, tokens and impersonation, exceptions carrying the ssx code, errno and
// message. Everything here is inline and calls only the public C functions; the ABI stays C.
//
//   ssx::socket s = ssx::socket::stream(AF_INET);
//   s.set_security();
//   s.set_peer_target_name("db.corp");
//   s.connect(addr);                                   // throws ssx::error on any failure
//   s.send_all("ping", 4);
//   ssx::security_info info = s.query(SSX_TOKEN_QUERY);
//   std::cout << info.peer->name() << "\n";
#ifndef SSX_SSX_HPP
#define SSX_SSX_HPP

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ssx/ssx.h"

namespace ssx {

// A failed ssx call: code() is the errno (std::generic_category), ssx_code() the stable SSX_E_*.
class error : public std::system_error {
public:
    error(int ssx_code, int sys_errno, const std::string& message)
        : std::system_error(sys_errno, std::generic_category(), message), ssx_code_(ssx_code) {}
    int ssx_code() const noexcept { return ssx_code_; }
    const char* ssx_code_name() const noexcept { return ssx_error_name(ssx_code_); }

private:
    int ssx_code_;
};

// Throws the calling thread's last ssx error. Call right after the failing function.
[[noreturn]] inline void throw_last_error() {
    int e = errno;
    throw error(ssx_last_error(), e, ssx_last_error_message());
}

inline int check(int rc) {
    if (rc < 0) throw_last_error();
    return rc;
}

// An authenticated principal (owns one ssx_token handle).
class token {
public:
    token() noexcept = default;
    explicit token(ssx_token* handle) noexcept : handle_(handle) {}
    token(token&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    token& operator=(token&& other) noexcept {
        if (this != &other) {
            ssx_token_close(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    token(const token&) = delete;
    token& operator=(const token&) = delete;
    ~token() { ssx_token_close(handle_); }

    explicit operator bool() const noexcept { return handle_ != nullptr; }
    ssx_token* get() const noexcept { return handle_; }
    ssx_token* release() noexcept { return std::exchange(handle_, nullptr); }

    std::string name() const { return text(ssx_token_name(handle_)); }
    std::string subject() const { return text(ssx_token_subject(handle_)); }
    std::string fingerprint() const { return text(ssx_token_fingerprint(handle_)); }
    std::optional<std::string> spiffe_id() const {
        const char* id = ssx_token_spiffe_id(handle_);
        if (id) return std::string(id);
        if (ssx_last_error() == SSX_E_NOT_FOUND) return std::nullopt;
        throw_last_error();
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        size_t n = ssx_token_name_count(handle_);
        for (size_t i = 0; i < n; ++i) out.push_back(text(ssx_token_name_at(handle_, i)));
        return out;
    }
    std::vector<std::vector<unsigned char>> chain() const {
        std::vector<std::vector<unsigned char>> out;
        size_t n = ssx_token_chain_length(handle_);
        for (size_t i = 0; i < n; ++i) {
            size_t len = 0;
            const unsigned char* der = ssx_token_chain_der(handle_, i, &len);
            if (!der) throw_last_error();
            out.emplace_back(der, der + len);
        }
        return out;
    }
    struct account {
        uint32_t uid, gid;
    };
    std::optional<account> unix_account() const {
        account a{};
        if (ssx_token_unix_account(handle_, &a.uid, &a.gid) == 0) return a;
        if (ssx_last_error() == SSX_E_NOT_FOUND) return std::nullopt;
        throw_last_error();
    }

private:
    static std::string text(const char* s) {
        if (!s) throw_last_error();
        return s;
    }
    ssx_token* handle_ = nullptr;
};

// What ssx_query_socket_security reports, with owned tokens.
struct security_info {
    uint32_t flags = 0;
    int32_t protocol = 0;
    uint32_t tls_version = 0;
    bool resumed = false;
    int32_t verify_result = 0;
    std::string cipher;
    std::string alpn;
    token peer;  // empty unless queried with a non-zero access mask on a secured connection

    bool secured() const { return (flags & SSX_INFO_CONNECTION_SECURED) != 0; }
    bool encrypted() const { return (flags & SSX_INFO_CONNECTION_ENCRYPTED) != 0; }
    bool impersonated() const { return (flags & SSX_INFO_CONNECTION_IMPERSONATED) != 0; }
};

inline security_info query(int fd, uint32_t access_mask = 0) {
    ssx_query_template tmpl = SSX_QUERY_TEMPLATE_INIT;
    tmpl.peer_token_access_mask = access_mask;
    ssx_query_info info{};
    size_t len = sizeof info;
    check(ssx_query_socket_security(fd, &tmpl, &info, &len));
    ssx_token_close(info.peer_machine_token);  // always NULL today; closed should that change
    security_info out;
    out.flags = info.flags;
    out.protocol = info.protocol;
    out.tls_version = info.tls_version;
    out.resumed = (info.tls_flags & SSX_TLS_RESUMED) != 0;
    out.verify_result = info.verify_result;
    out.cipher = info.cipher;
    out.alpn = info.alpn;
    out.peer = token(info.peer_application_token);
    return out;
}

// The calling thread acts as the socket's peer for the scope's lifetime (reverts on destruction,
// on the same thread: do not move the scope across threads or co_await inside it).
class impersonation {
public:
    explicit impersonation(int fd) { check(ssx_impersonate_socket_peer(fd, nullptr, 0)); }
    ~impersonation() { ssx_revert_impersonation(); }
    impersonation(const impersonation&) = delete;
    impersonation& operator=(const impersonation&) = delete;
};

// The principal this thread impersonates (empty token when none).
inline token thread_token() {
    ssx_token* t = nullptr;
    check(ssx_get_thread_token(&t));
    return token(t);
}

// A socket secured by ssx; closed with ssx_close on destruction.
class socket {
public:
    socket() noexcept = default;
    explicit socket(int fd) noexcept : fd_(fd) {}
    static socket stream(int family) {
        int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw error(SSX_E_IO, errno, "socket() failed");
        return socket(fd);
    }
    socket(socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    socket& operator=(socket&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    ~socket() { reset(); }

    int fd() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset() noexcept {
        if (fd_ >= 0) ssx_close(fd_);
        fd_ = -1;
    }

    void set_security(const ssx_security_settings* settings = nullptr) {
        check(ssx_set_socket_security(fd_, settings));
    }
    void set_peer_target_name(const std::string& name, const sockaddr* peer = nullptr, socklen_t len = 0) {
        check(ssx_set_peer_target_name(fd_, peer, len, name.c_str()));
    }
    template <class Addr>
    void connect(const Addr& addr) {
        check(ssx_connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr));
    }
    socket accept() { return socket(check(ssx_accept(fd_, nullptr, nullptr))); }
    size_t send(const void* buf, size_t len, int flags = 0) {
        ssize_t n = ssx_send(fd_, buf, len, flags);
        if (n < 0) throw_last_error();
        return static_cast<size_t>(n);
    }
    void send_all(const void* buf, size_t len) {
        const auto* p = static_cast<const unsigned char*>(buf);
        while (len > 0) {
            size_t n = send(p, len);
            p += n;
            len -= n;
        }
    }
    size_t recv(void* buf, size_t len, int flags = 0) {
        ssize_t n = ssx_recv(fd_, buf, len, flags);
        if (n < 0) throw_last_error();
        return static_cast<size_t>(n);
    }
    void shutdown(int how) { check(ssx_shutdown(fd_, how)); }
    security_info query(uint32_t access_mask = 0) const { return ssx::query(fd_, access_mask); }

private:
    int fd_ = -1;
};

}  // namespace ssx

#endif  // SSX_SSX_HPP
