#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// ---- CPU placement -------------------------------------------------------------------------

// "same": server and client on CPU 0; "split": server on CPU 0, client on CPU 1. Both placements
// pin every process, so figures are comparable only within one placement.
int cpu_for(const std::string& placement, bool server) {
    if (placement == "same") return 0;
    if (placement == "split") return server ? 0 : 1;
    die("unknown placement '" + placement + "' (use same or split)");
}

void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) {
        die("sched_setaffinity(CPU " + std::to_string(cpu) + "): " + std::strerror(errno));
    }
}

// ---- measurements --------------------------------------------------------------------------

double rss_kib() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) die("cannot read /proc/self/statm");
    long size = 0, resident = 0;
    int n = std::fscanf(f, "%ld %ld", &size, &resident);
    std::fclose(f);
    if (n != 2) die("cannot parse /proc/self/statm");
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1024.0;
}

double cpu_us() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
    return us(ru.ru_utime) + us(ru.ru_stime);
}

void raise_fd_limit(long needed) {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    if (static_cast<long>(rl.rlim_cur) >= needed) return;
    rl.rlim_cur = static_cast<rlim_t>(needed);
    if (static_cast<long>(rl.rlim_max) < needed) rl.rlim_max = static_cast<rlim_t>(needed);
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        die("cannot raise RLIMIT_NOFILE to " + std::to_string(needed) + ": " + std::strerror(errno) +
            " (run as root or raise the hard limit with ulimit -Hn)");
    }
}

// ---- the data pattern of the bulk test -----------------------------------------------------

// Byte i of the stream is pattern[i % kPeriod]. The period is prime, so it never lines up with
// the write size or with TLS record sizes: a lost, duplicated or reordered chunk is detected.
constexpr size_t kPeriod = 65521;
constexpr size_t kMaxChunk = 1 << 20;

const std::vector<unsigned char>& pattern() {
    static const std::vector<unsigned char> p = [] {
        std::vector<unsigned char> v(kPeriod + kMaxChunk);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < kPeriod; ++i) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            v[i] = static_cast<unsigned char>(x);
        }
        for (size_t i = kPeriod; i < v.size(); ++i) v[i] = v[i - kPeriod];
        return v;
    }();
    return p;
}

// ---- the server process --------------------------------------------------------------------

void write_line(int fd, const std::string& line) {
    std::string s = line + "\n";
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(3);
        off += static_cast<size_t>(n);
    }
}

// Reads one line; "" at end of file.
std::string read_line(int fd) {
    std::string s;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') return s;
        s.push_back(c);
    }
}

struct ServerContext {
    Transport& transport;
    const Args& args;
    int listen_fd;
    int stop_fd;    // readable (end of file) when the client is done
    int result_fd;  // lines to the client process
    // Waits for a connection or for the stop request; nullptr on stop.
    std::unique_ptr<Conn> next() {
        pollfd p[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
        for (;;) {
            int r = ::poll(p, 2, -1);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) die(std::string("poll: ") + std::strerror(errno));
            if (p[1].revents) return nullptr;
            if (p[0].revents) return transport.accept(listen_fd);
        }
    }
    void wait_stop() {
        char c;
        while (::read(stop_fd, &c, 1) > 0) {
        }
    }
};

using ServerBody = std::function<void(ServerContext&)>;

class ServerProcess {
public:
    ServerProcess(Transport& transport, const Args& args, const ServerBody& body) {
        int stop[2], result[2];
        if (::pipe2(stop, O_CLOEXEC) != 0 || ::pipe2(result, O_CLOEXEC) != 0) die("pipe failed");
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) die(std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            ::close(stop[1]);
            ::close(result[0]);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::alarm(static_cast<unsigned>(args.number("timeout", 600)));  // never outlive a hung run
            int status = 0;
            try {
                pin(cpu_for(args.get("placement", "split"), true));
                transport.setup(true, args);
                int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (lfd < 0) die("socket failed");
                int one = 1;
                ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                transport.prepare_listener(lfd);
                sockaddr_in a{};
                a.sin_family = AF_INET;
                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                socklen_t len = sizeof a;
                if (::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd, 4096) != 0 ||
                    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
                    die(std::string("listen: ") + std::strerror(errno));
                }
                write_line(result[1], std::to_string(ntohs(a.sin_port)));
                ServerContext ctx{transport, args, lfd, stop[0], result[1]};
                body(ctx);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "server: %s\n", e.what());
                status = 1;
            }
            std::fflush(nullptr);
            _exit(status);
        }
        ::close(stop[0]);
        ::close(result[1]);
        stop_fd_ = stop[1];
        result_fd_ = result[0];
        std::string port = read_line(result_fd_);
        if (port.empty()) finish_or_die();
        addr_.sin_family = AF_INET;
        addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr_.sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
    }
    ~ServerProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    const sockaddr_in& address() const { return addr_; }
    std::string read_result() {
        std::string line = read_line(result_fd_);
        if (line.empty()) finish_or_die();
        return line;
    }
    // Tells the server to stop and checks that it exited cleanly.
    void finish_or_die() {
        if (stop_fd_ >= 0) ::close(stop_fd_), stop_fd_ = -1;
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the server process failed (see above)");
    }

private:
    pid_t pid_ = -1;
    int stop_fd_ = -1, result_fd_ = -1;
    sockaddr_in addr_{};
};

void recv_exact(Conn& c, unsigned char* buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        size_t n = c.recv_some(buf + got, len - got);
        if (n == 0) die("the peer ended the stream after " + std::to_string(got) + " of " + std::to_string(len) + " bytes");
        got += n;
    }
}

// One byte each way: the client knows the server accepted it, and post-handshake messages
// (tickets, KeyUpdate) are consumed, as in any real exchange.
void ping_client(Conn& c) {
    unsigned char b = 'p';
    c.send_all(&b, 1);
    recv_exact(c, &b, 1);
}
void ping_server(Conn& c) {
    unsigned char b;
    recv_exact(c, &b, 1);
    c.send_all(&b, 1);
}

void print_result(const std::string& scenario, const std::vector<std::pair<std::string, double>>& metrics) {
    std::printf("{\"scenario\": \"%s\", \"metrics\": {", scenario.c_str());
    for (size_t i = 0; i < metrics.size(); ++i) {
        std::printf("%s\"%s\": %.6g", i ? ", " : "", metrics[i].first.c_str(), metrics[i].second);
    }
    std::printf("}}\n");
}

// ---- scenarios -----------------------------------------------------------------------------

// Bulk: the server sends --bytes in writes of --write bytes, then closes at once (a close that
// loses data fails the test); the client receives, checks every byte and measures the throughput.
void bulk(Transport& t, const Args& args) {
    const size_t total = static_cast<size_t>(args.number("bytes", 1L << 30));
    const size_t chunk = static_cast<size_t>(args.number("write", 16384));
    if (chunk == 0 || chunk > kMaxChunk) die("--write must be 1.." + std::to_string(kMaxChunk));
    const std::string sabotage = args.get("sabotage");  // self-test of the check: drop | flip
    const auto& pat = pattern();
    ServerProcess server(t, args, [&](ServerContext& s) {
        auto c = s.next();
        if (!c) return;
        const double cpu0 = cpu_us();
        std::vector<unsigned char> flipped;
        size_t sent = 0;
        const size_t end = sabotage == "drop" ? total - 1 : total;
        while (sent < end) {
            size_t n = std::min(chunk, end - sent);
            const unsigned char* p = &pat[sent % kPeriod];
            if (sabotage == "flip" && sent <= total / 2 && total / 2 < sent + n) {
                flipped.assign(p, p + n);
                flipped[total / 2 - sent] ^= 0x01;
                p = flipped.data();
            }
            c->send_all(p, n);
            sent += n;
        }
        c->close();
        write_line(s.result_fd, std::to_string(cpu_us() - cpu0));
        s.wait_stop();
    });
    t.setup(false, args);
    auto c = t.connect(server.address());
    std::vector<unsigned char> buf(chunk);
    size_t got = 0;
    const double cpu0 = cpu_us();
    const auto t0 = Clock::now();
    for (;;) {
        size_t n = c->recv_some(buf.data(), buf.size());
        if (n == 0) break;
        if (got + n > total) die("received more bytes than were sent (" + std::to_string(got + n) + " > " + std::to_string(total) + ")");
        if (std::memcmp(buf.data(), &pat[got % kPeriod], n) != 0) {
            size_t i = 0;
            while (buf[i] == pat[(got + i) % kPeriod]) ++i;
            die("data mismatch at byte " + std::to_string(got + i) + " of the stream");
        }
        got += n;
    }
    const double secs = seconds_since(t0);
    const double client_cpu = cpu_us() - cpu0;
    if (got != total) {
        die("only " + std::to_string(got) + " of " + std::to_string(total) +
            " bytes arrived before the end of the stream: the sender's close lost data");
    }
    c->close();
    const double server_cpu = std::stod(server.read_result());
    server.finish_or_die();
    // CPU per GB (user + system, each side): less sensitive than throughput to other load.
    const double gb = static_cast<double>(total) / 1e9;
    print_result("bulk", {{"throughput_MBps", static_cast<double>(total) / secs / 1e6},
                          {"client_cpu_ms_per_GB", client_cpu / 1e3 / gb},
                          {"server_cpu_ms_per_GB", server_cpu / 1e3 / gb}});
}

// Handshakes: a new TCP connection and a full (or, with --resume, resumed) mutual-auth handshake
// each time, one byte each way, close. Runs for --seconds after one warm-up connection.
void handshakes(Transport& t, const Args& args) {
    const double duration = args.real("seconds", 1.0);
    const long min_count = args.number("min-count", 5);
    const bool expect_resumed = args.flag("resume");
    ServerProcess server(t, args, [&](ServerContext& s) {
        long count = 0;
        double cpu0 = 0;
        while (auto c = s.next()) {
            ping_server(*c);
            c->close();
            if (++count == 1) cpu0 = cpu_us();  // after the warm-up connection
        }
        write_line(s.result_fd, std::to_string(cpu_us() - cpu0) + " " + std::to_string(count - 1));
    });
    t.setup(false, args);
    {
        auto warm = t.connect(server.address());
        ping_client(*warm);
        warm->close();
    }
    long count = 0;
    const double cpu0 = cpu_us();
    const auto t0 = Clock::now();
    while (count < min_count || seconds_since(t0) < duration) {
        auto c = t.connect(server.address());
        ping_client(*c);
        if (expect_resumed && !c->resumed()) die("handshake " + std::to_string(count) + " was not resumed");
        if (!expect_resumed && c->resumed()) die("handshake " + std::to_string(count) + " was resumed; expected a full one");
        c->close();
        ++count;
    }
    const double secs = seconds_since(t0);
    const double client_cpu = cpu_us() - cpu0;
    server.finish_or_die();
    std::string line = server.read_result();
    double server_cpu = 0;
    long server_count = 0;
    if (std::sscanf(line.c_str(), "%lf %ld", &server_cpu, &server_count) != 2 || server_count != count) {
        die("the server counted " + line + " handshakes; the client " + std::to_string(count));
    }
    print_result("handshakes", {{"handshakes_per_s", count / secs},
                                {"client_cpu_us", client_cpu / count},
                                {"server_cpu_us", server_cpu / count}});
}

// Latency: --iterations round trips of a 64-byte request and a 64-byte response.
void latency(Transport& t, const Args& args) {
    const long iterations = args.number("iterations", 10000);
    const long warmup = std::max(10L, iterations / 20);
    constexpr size_t kSize = 64;
    ServerProcess server(t, args, [&](ServerContext& s) {
        auto c = s.next();
        if (!c) return;
        unsigned char buf[kSize];
        for (;;) {
            size_t got = 0;
            while (got < kSize) {
                size_t n = c->recv_some(buf + got, kSize - got);
                if (n == 0) break;
                got += n;
            }
            if (got < kSize) break;
            c->send_all(buf, kSize);
        }
        c->close();
        s.wait_stop();
    });
    t.setup(false, args);
    auto c = t.connect(server.address());
    unsigned char req[kSize], resp[kSize];
    std::memset(req, 'r', sizeof req);
    std::vector<double> us;
    us.reserve(static_cast<size_t>(iterations));
    for (long i = 0; i < warmup + iterations; ++i) {
        req[0] = static_cast<unsigned char>(i);
        const auto t0 = Clock::now();
        c->send_all(req, kSize);
        recv_exact(*c, resp, kSize);
        if (i >= warmup) us.push_back(seconds_since(t0) * 1e6);
        if (std::memcmp(req, resp, kSize) != 0) die("the response differs from the request");
    }
    c->close();
    server.finish_or_die();
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))]; };
    print_result("latency", {{"p50_us", pct(0.50)}, {"p99_us", pct(0.99)}});
}

// Memory: RSS growth per idle established connection, each side measured in its own process after
// --connections connections (each did its handshake and one byte each way) are open at once.
void memory(Transport& t, const Args& args) {
    const long n = args.number("connections", 1000);
    raise_fd_limit(n + 256);
    ServerProcess server(t, args, [&](ServerContext& s) {
        auto warm = s.next();
        if (!warm) return;
        ping_server(*warm);
        warm->close();
        warm.reset();
        const double rss0 = rss_kib();
        std::vector<std::unique_ptr<Conn>> conns;
        conns.reserve(static_cast<size_t>(n));
        while (static_cast<long>(conns.size()) < n) {
            auto c = s.next();
            if (!c) die("stopped after " + std::to_string(conns.size()) + " connections");
            ping_server(*c);
            conns.push_back(std::move(c));
        }
        write_line(s.result_fd, std::to_string((rss_kib() - rss0) / static_cast<double>(n)));
        s.wait_stop();
        // Exit without closing: the kernel closes every socket at once. (Closing them one by one
        // while the client still holds its ends would make each ssx_close() wait up to its 250 ms
        // drain budget for the client's end of stream: the measurement is over anyway.)
        std::fflush(nullptr);
        _exit(0);
    });
    t.setup(false, args);
    {
        auto warm = t.connect(server.address());
        ping_client(*warm);
        warm->close();
    }
    const double rss0 = rss_kib();
    std::vector<std::unique_ptr<Conn>> conns;
    conns.reserve(static_cast<size_t>(n));
    for (long i = 0; i < n; ++i) {
        conns.push_back(t.connect(server.address()));
        ping_client(*conns.back());
    }
    const double client_kib = (rss_kib() - rss0) / static_cast<double>(n);
    const double server_kib = std::stod(server.read_result());
    server.finish_or_die();
    for (auto& c : conns) c->close();
    print_result("memory", {{"client_kib", client_kib}, {"server_kib", server_kib}});
}

// Query: the cost of one ssx_query_socket_security() on an established connection.
void query(Transport& t, const Args& args) {
    const long iterations = args.number("iterations", 200000);
    ServerProcess server(t, args, [&](ServerContext& s) {
        auto c = s.next();
        if (!c) return;
        ping_server(*c);
        unsigned char b;
        while (c->recv_some(&b, 1) != 0) {
        }
        c->close();
        s.wait_stop();
    });
    t.setup(false, args);
    auto c = t.connect(server.address());
    ping_client(*c);
    c->query_cost_ns(iterations / 10);  // warm-up
    const double ns = c->query_cost_ns(iterations);
    c->close();
    server.finish_or_die();
    if (ns < 0) die("this transport has no query call");
    print_result("query", {{"query_ns", ns}});
}

}  // namespace

Args::Args(int argc, char** argv) {
    if (argc < 2) die("usage: PROGRAM bulk|handshakes|latency|memory|query [--key value]...");
    scenario_ = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0) die("unexpected argument '" + a + "'");
        a = a.substr(2);
        if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
            values_[a] = argv[++i];
        } else {
            values_[a] = "";
        }
    }
}

std::string Args::get(const std::string& key, const std::string& fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

long Args::number(const std::string& key, long fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    try {
        return std::stol(it->second);
    } catch (...) {
        die("--" + key + " needs a number, not '" + it->second + "'");
    }
}

double Args::real(const std::string& key, double fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    try {
        return std::stod(it->second);
    } catch (...) {
        die("--" + key + " needs a number, not '" + it->second + "'");
    }
}

void die(const std::string& message) { throw std::runtime_error(message); }

int run(Transport& transport, int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);  // a peer that closes first must not kill the benchmark
    try {
        Args args(argc, argv);
        pin(cpu_for(args.get("placement", "split"), false));
        const std::string& s = args.scenario();
        if (s == "bulk") bulk(transport, args);
        else if (s == "handshakes") handshakes(transport, args);
        else if (s == "latency") latency(transport, args);
        else if (s == "memory") memory(transport, args);
        else if (s == "query") query(transport, args);
        else die("unknown scenario '" + s + "'");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

}  // namespace bench
