// Raw OpenSSL 3: the same mutual-auth TLS 1.3 exchange as ssx, written the way a program using
// OpenSSL directly would be (blocking socket BIO via SSL_set_fd, SSL_set1_host for the name check).
//   default (no flag): OpenSSL's defaults: 2 stateless tickets per handshake, the chain rebuilt by
//     OpenSSL at each handshake from the certificate file (root included), default suite order.
//   --tuned: the levers of issue #4: no tickets unless resuming (then 1, stateful on the server),
//     the chain built once without the root, TLS_AES_128_GCM_SHA256 first, SSL_MODE_RELEASE_BUFFERS,
//     and TCP_NODELAY: without tickets the server sends nothing after its Finished, so the client's
//     first small write waits behind Nagle for a delayed ACK (40 ms per handshake, measured).
//   --resume: the client offers its last session (each connection stores the newest one).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "harness.hpp"

namespace {

[[noreturn]] void ossl_die(const std::string& what) {
    std::string msg = what;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        msg += std::string(" [") + buf + "]";
    }
    bench::die(msg);
}

class TlsConn : public bench::Conn {
public:
    TlsConn(SSL* ssl, int fd) : ssl_(ssl), fd_(fd) {}
    ~TlsConn() override { close(); }
    void send_all(const void* buf, size_t len) override {
        size_t n = 0;
        if (SSL_write_ex(ssl_, buf, len, &n) != 1 || n != len) ossl_die("SSL_write_ex failed");
    }
    size_t recv_some(void* buf, size_t len) override {
        size_t n = 0;
        if (SSL_read_ex(ssl_, buf, len, &n) == 1) return n;
        if (SSL_get_error(ssl_, 0) == SSL_ERROR_ZERO_RETURN) return 0;
        ossl_die("SSL_read_ex failed");
    }
    bool resumed() const override { return SSL_session_reused(ssl_) == 1; }
    void close() override {
        if (!ssl_) return;
        SSL_shutdown(ssl_);  // close_notify
        SSL_free(ssl_);
        ::close(fd_);
        ssl_ = nullptr;
        ERR_clear_error();
    }
    SSL* ssl() const { return ssl_; }

private:
    SSL* ssl_;
    int fd_;
};

class OpenSsl : public bench::Transport {
public:
    ~OpenSsl() override {
        if (session_) SSL_SESSION_free(session_), session_ = nullptr;
        if (ctx_) SSL_CTX_free(ctx_);
    }
    void setup(bool server, const bench::Args& args) override {
        const std::string dir = args.get("pki");
        const bool tuned = args.flag("tuned");
        resume_ = args.flag("resume");
        nodelay_ = tuned;
        const std::string name = server ? "server" : "client";
        ctx_ = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
        if (!ctx_) ossl_die("SSL_CTX_new");
        SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
        if (SSL_CTX_use_certificate_chain_file(ctx_, (dir + "/" + name + ".pem").c_str()) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx_, (dir + "/" + name + ".key").c_str(), SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_load_verify_locations(ctx_, (dir + "/ca.pem").c_str(), nullptr) != 1) {
            ossl_die("loading the credentials from " + dir);
        }
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nullptr);
        if (tuned) {
            if (SSL_CTX_build_cert_chain(ctx_, SSL_BUILD_CHAIN_FLAG_NO_ROOT) != 1) ossl_die("build_cert_chain");
            SSL_CTX_set_ciphersuites(ctx_, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
            SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
            if (server) {
                SSL_CTX_set_num_tickets(ctx_, resume_ ? 1 : 0);
                if (resume_) SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);  // TLS 1.3: stateful tickets
            }
        }
        if (!server && resume_) {
            SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
            SSL_CTX_sess_set_new_cb(ctx_, on_new_session);
        }
        if (server) {
            static const unsigned char sid[] = "bench";
            SSL_CTX_set_session_id_context(ctx_, sid, sizeof sid - 1);
        }
    }
    std::unique_ptr<bench::Conn> accept(int lfd) override {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) bench::die(std::string("accept: ") + std::strerror(errno));
        socket_options(fd);
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        auto conn = std::make_unique<TlsConn>(ssl, fd);
        if (SSL_accept(ssl) != 1) ossl_die("SSL_accept failed");
        return conn;
    }
    std::unique_ptr<bench::Conn> connect(const sockaddr_in& a) override {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
            bench::die(std::string("connect: ") + std::strerror(errno));
        }
        socket_options(fd);
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, fd);
        auto conn = std::make_unique<TlsConn>(ssl, fd);
        SSL_set_tlsext_host_name(ssl, "server.test");
        if (SSL_set1_host(ssl, "server.test") != 1) ossl_die("SSL_set1_host");
        if (resume_ && session_) SSL_set_session(ssl, session_);
        if (SSL_connect(ssl) != 1) ossl_die("SSL_connect failed");
        return conn;
    }

private:
    // The client keeps the newest session it was given (a ticket arrives after the handshake).
    static int on_new_session(SSL*, SSL_SESSION* s) {
        if (session_) SSL_SESSION_free(session_);
        session_ = s;
        return 1;  // we own the reference now
    }

    SSL_CTX* ctx_ = nullptr;
    static inline SSL_SESSION* session_ = nullptr;
    bool resume_ = false;
    bool nodelay_ = false;

    void socket_options(int fd) const {
        int one = 1;
        if (nodelay_) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
};

}  // namespace

int main(int argc, char** argv) {
    OpenSsl t;
    return bench::run(t, argc, argv);
}
