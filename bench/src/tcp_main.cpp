// Plain TCP: the ceiling for the transport (no TLS at all).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness.hpp"

namespace {

class TcpConn : public bench::Conn {
public:
    explicit TcpConn(int fd) : fd_(fd) {}
    ~TcpConn() override { close(); }
    void send_all(const void* buf, size_t len) override {
        const char* p = static_cast<const char*>(buf);
        while (len > 0) {
            ssize_t n = ::send(fd_, p, len, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) bench::die(std::string("send: ") + std::strerror(errno));
            p += n;
            len -= static_cast<size_t>(n);
        }
    }
    size_t recv_some(void* buf, size_t len) override {
        for (;;) {
            ssize_t n = ::recv(fd_, buf, len, 0);
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR) bench::die(std::string("recv: ") + std::strerror(errno));
        }
    }
    void close() override {
        if (fd_ >= 0) ::close(fd_), fd_ = -1;
    }

private:
    int fd_;
};

class Tcp : public bench::Transport {
public:
    void setup(bool, const bench::Args&) override {}
    std::unique_ptr<bench::Conn> accept(int lfd) override {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) bench::die(std::string("accept: ") + std::strerror(errno));
        return std::make_unique<TcpConn>(fd);
    }
    std::unique_ptr<bench::Conn> connect(const sockaddr_in& a) override {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
            bench::die(std::string("connect: ") + std::strerror(errno));
        }
        return std::make_unique<TcpConn>(fd);
    }
};

}  // namespace

int main(int argc, char** argv) {
    Tcp t;
    return bench::run(t, argc, argv);
}
