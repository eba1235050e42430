// ssx: the same exchange through the public C ABI of libssx.so (the program users write).
// Built a second time with SSX_BENCH_CORE defined as bench_ssx_core, which calls the C++ core
// (ssx::control) directly: the difference between the two is the cost of the C ABI layer.
//   --policy FILE   the SSX_POLICY file (the driver writes one with session_resumption on or off)
//   --pki DIR       the credentials (server.pem/.key, client.pem/.key, ca.pem), per socket
//   --resume        resumption is expected (the policy must allow it)
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "harness.hpp"
#include "ssx/ssx.h"

#ifdef SSX_BENCH_CORE
#include "common/error.hpp"
#include "control/control.hpp"
#endif

namespace {

#ifdef SSX_BENCH_CORE
// The core throws ssx::Error; the C ABI returns -1. Both variants report failures the same way.
template <class F>
auto core_call(F f) {
    try {
        return f();
    } catch (const ssx::Error& e) {
        bench::die(std::string(ssx::error_name(e.code())) + ": " + e.message());
    }
}
int api_set_security(int fd, const ssx_security_settings* s) { return core_call([&] { ssx::control::set_socket_security(fd, s); return 0; }); }
int api_set_target(int fd, const char* n) { return core_call([&] { ssx::control::set_peer_target_name(fd, nullptr, 0, n); return 0; }); }
int api_connect(int fd, const sockaddr* a, socklen_t l) { return core_call([&] { ssx::control::connect(fd, a, l); return 0; }); }
int api_accept(int lfd) { return core_call([&] { return ssx::control::accept(lfd, nullptr, nullptr); }); }
ssize_t api_send(int fd, const void* b, size_t l) { return core_call([&] { return static_cast<ssize_t>(ssx::control::send(fd, b, l, 0)); }); }
ssize_t api_recv(int fd, void* b, size_t l) { return core_call([&] { return static_cast<ssize_t>(ssx::control::recv(fd, b, l, 0)); }); }
int api_close(int fd) { return core_call([&] { ssx::control::close(fd); return 0; }); }
int api_query(int fd, ssx_query_info* info, size_t* len) { return core_call([&] { ssx::control::query(fd, nullptr, info, len); return 0; }); }
#else
int api_set_security(int fd, const ssx_security_settings* s) { return ssx_set_socket_security(fd, s); }
int api_set_target(int fd, const char* n) { return ssx_set_peer_target_name(fd, nullptr, 0, n); }
int api_connect(int fd, const sockaddr* a, socklen_t l) { return ssx_connect(fd, a, l); }
int api_accept(int lfd) { return ssx_accept(lfd, nullptr, nullptr); }
ssize_t api_send(int fd, const void* b, size_t l) { return ssx_send(fd, b, l, 0); }
ssize_t api_recv(int fd, void* b, size_t l) { return ssx_recv(fd, b, l, 0); }
int api_close(int fd) { return ssx_close(fd); }
int api_query(int fd, ssx_query_info* info, size_t* len) { return ssx_query_socket_security(fd, nullptr, info, len); }
#endif

#ifdef SSX_BENCH_CORE
[[noreturn]] void ssx_die(const std::string& what) { bench::die(what + " failed"); }  // core_call threw first
#else
[[noreturn]] void ssx_die(const std::string& what) {
    bench::die(what + ": " + ssx_error_name(ssx_last_error()) + ": " + ssx_last_error_message());
}
#endif

class SsxConn : public bench::Conn {
public:
    explicit SsxConn(int fd) : fd_(fd) {}
    ~SsxConn() override { close(); }
    void send_all(const void* buf, size_t len) override {
        const char* p = static_cast<const char*>(buf);
        while (len > 0) {  // a blocking ssx_send sends everything; the loop is for signals
            ssize_t n = api_send(fd_, p, len);
            if (n < 0) ssx_die("ssx_send");
            p += n;
            len -= static_cast<size_t>(n);
        }
    }
    size_t recv_some(void* buf, size_t len) override {
        ssize_t n = api_recv(fd_, buf, len);
        if (n < 0) ssx_die("ssx_recv");
        return static_cast<size_t>(n);
    }
    bool resumed() const override {
        ssx_query_info info;
        size_t len = sizeof info;
        if (api_query(fd_, &info, &len) != 0) ssx_die("ssx_query_socket_security");
        return (info.tls_flags & SSX_TLS_RESUMED) != 0;
    }
    double query_cost_ns(long iterations) override {
        ssx_query_info info;
        const auto t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < iterations; ++i) {
            size_t len = sizeof info;
            if (api_query(fd_, &info, &len) != 0) ssx_die("ssx_query_socket_security");
        }
        const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        if (!(info.flags & SSX_INFO_CONNECTION_SECURED)) bench::die("the query reports an unsecured connection");
        return ns / static_cast<double>(iterations);
    }
    void close() override {
        if (fd_ >= 0) api_close(fd_), fd_ = -1;
    }

private:
    int fd_;
};

class Ssx : public bench::Transport {
public:
    void setup(bool server, const bench::Args& args) override {
        const std::string policy = args.get("policy");
        if (!policy.empty()) ::setenv("SSX_POLICY", policy.c_str(), 1);
        const std::string dir = args.get("pki");
        const std::string name = server ? "server" : "client";
        cert_ = dir + "/" + name + ".pem";
        key_ = dir + "/" + name + ".key";
        trust_ = dir + "/ca.pem";
        settings_ = SSX_SECURITY_SETTINGS_INIT;
        settings_.certificate_file = cert_.c_str();
        settings_.private_key_file = key_.c_str();
        settings_.trust_file = trust_.c_str();
    }
    void prepare_listener(int fd) override {
        if (api_set_security(fd, &settings_) != 0) ssx_die("ssx_set_socket_security (listener)");
    }
    std::unique_ptr<bench::Conn> accept(int lfd) override {
        int fd = api_accept(lfd);
        if (fd < 0) ssx_die("ssx_accept");
        return std::make_unique<SsxConn>(fd);
    }
    std::unique_ptr<bench::Conn> connect(const sockaddr_in& a) override {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) bench::die("socket failed");
        auto conn = std::make_unique<SsxConn>(fd);
        if (api_set_security(fd, &settings_) != 0) ssx_die("ssx_set_socket_security");
        if (api_set_target(fd, "server.test") != 0) ssx_die("ssx_set_peer_target_name");
        if (api_connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) ssx_die("ssx_connect");
        return conn;
    }

private:
    std::string cert_, key_, trust_;
    ssx_security_settings settings_ = SSX_SECURITY_SETTINGS_INIT;
};

}  // namespace

int main(int argc, char** argv) {
    Ssx t;
    return bench::run(t, argc, argv);
}
