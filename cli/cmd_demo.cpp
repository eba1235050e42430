// `ssx demo`: the README's first command. A throwaway PKI, a server and a client in one process
// over loopback (two threads), data both ways, the query on both sides, the server impersonating
// the client (the thread token always; the thread's file access too when the process may switch
// credentials), revert, and a resumed second connection. Each step says in a few words what
// happens and which call does it. Output order is fixed: each side prints only while the other
// waits for it (the client waits in ssx_recv while the server speaks).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>

#include "commands.hpp"
#include "common/error.hpp"
#include "demo_files.hpp"
#include "exit_codes.hpp"
#include "pki/dev_pki.hpp"
#include "report.hpp"
#include "secure_socket.hpp"
#include "thread_credentials.hpp"

namespace ssx::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kServerName = "server.demo";
constexpr const char* kClientId = "spiffe://demo/client";
constexpr const char* kMappedUser = "nobody";
constexpr auto kServerDeadline = std::chrono::seconds(30);

// Whole blocks of text, printed atomically (unless --json: then nothing is printed on the way).
class Out {
public:
    explicit Out(bool quiet) : quiet_(quiet) {}
    void print(const std::string& text) {
        if (quiet_) return;
        std::lock_guard lock(mu_);
        std::cout << text << std::flush;
    }

private:
    bool quiet_;
    std::mutex mu_;
};

class TempDir {
public:
    TempDir() {
        const char* env = std::getenv("TMPDIR");
        fs::path base = env && *env ? env : "/tmp";
        std::string tmpl = (base / "ssx-demo-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) {
            throw Failure(Exit::config, "cannot create a folder in " + base.string() + ": " + std::strerror(errno) +
                                            "; set TMPDIR to a writable folder");
        }
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct Mapping {
    uid_t uid;
    gid_t gid;
};

struct Setup {
    fs::path dir;
    std::optional<Mapping> mapping;  // the local account the client maps to (nobody), if it exists
    bool os_credentials = false;     // the policy lets impersonation switch the thread's credentials
    std::optional<demo::AccessFiles> files;
};

std::optional<Mapping> lookup_mapped_user() {
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwnam_r(kMappedUser, &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
    if (pw.pw_uid == 0 || pw.pw_gid == 0) return std::nullopt;  // never demonstrate with root's ids
    return Mapping{pw.pw_uid, pw.pw_gid};
}

// Step 1: the PKI and the server's policy; SSX_POLICY points at it for this process.
Setup make_setup(const fs::path& dir, Out& out) {
    Setup s;
    s.dir = dir;
    pki::init_ca(dir);
    pki::LeafOptions server;
    server.name = "server";
    server.dns = {kServerName};
    server.ip = {"127.0.0.1"};
    server.uri = {"spiffe://demo/server"};
    pki::issue(dir, server);
    pki::LeafOptions client;
    client.name = "client";
    client.uri = {kClientId};
    pki::issue(dir, client);

    s.mapping = lookup_mapped_user();
    s.os_credentials = s.mapping && can_switch_credentials();
    std::string extra = "\n[impersonation]\nos_credentials = " + std::string(s.os_credentials ? "true" : "false") + "\n";
    if (s.mapping) extra += "\n[[identity_map]]\npeer = \"" + std::string(kClientId) + "\"\nuser = \"" + kMappedUser + "\"\n";
    fs::path policy = pki::write_policy(dir, "server", extra);
    ::setenv("SSX_POLICY", policy.c_str(), 1);
    if (s.os_credentials) {
        // The impersonating thread must be able to reach the files (search only, no listing; the
        // keys inside stay 0600), so that a refusal can only come from a file's own mode. If a
        // folder above TMPDIR keeps the account out, the file part is left out rather than shown
        // wrongly.
        ::chmod(dir.c_str(), 0711);
        if (demo::reachable_by(dir, s.mapping->uid, s.mapping->gid)) {
            s.files = demo::make_access_files(dir, s.mapping->uid, s.mapping->gid);
        }
    }

    std::ostringstream t;
    t << "1. A throwaway development PKI (ECDSA P-256) in " << dir.string() << "\n";
    row(t, "ca.pem", "the CA both sides trust", "     ", 12);
    row(t, "server.pem", std::string("DNS:") + kServerName + ", IP:127.0.0.1, URI:spiffe://demo/server", "     ", 12);
    row(t, "client.pem", std::string("URI:") + kClientId, "     ", 12);
    row(t, "server.toml", "the server's policy (SSX_POLICY): its certificate and trust anchors", "     ", 12);
    if (s.mapping) {
        row(t, "", std::string("[[identity_map]] ") + kClientId + " -> local account " + kMappedUser, "     ", 12);
    }
    const char* why = s.os_credentials ? " (this process may switch credentials)"
                      : s.mapping      ? " (needs root or CAP_SETUID+CAP_SETGID)"
                                       : " (there is no local account 'nobody' to map the client to)";
    row(t, "", std::string("[impersonation] os_credentials = ") + (s.os_credentials ? "true" : "false") + why,
        "     ", 12);
    out.print(t.str() + "\n");
    return s;
}

// Reads one '\n'-terminated line (at most 1 KiB). The peer's end before the line is a failure
// unless eof_ok (waiting for the peer to finish).
std::string recv_line(int fd, const char* who, bool eof_ok = false) {
    std::string line;
    char c;
    while (line.size() < 1024) {
        ssize_t n = ssx_recv(fd, &c, 1, 0);
        if (n < 0) fail_with_last_error(std::string(who) + " could not receive");
        if (n == 0) {
            if (eof_ok) break;
            throw Failure(Exit::network, std::string(who) + ": the other side closed the connection early");
        }
        if (c == '\n') break;
        line += c;
    }
    return line;
}

void send_line(int fd, const std::string& text, const char* who) {
    std::string line = text + "\n";
    if (ssx_send(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
        fail_with_last_error(std::string(who) + " could not send");
    }
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string fs_text(const std::optional<FsIds>& ids) {
    return ids ? std::to_string(ids->fsuid) + " (" + demo::user_name(ids->fsuid) + ")" : "unknown (/proc missing)";
}

std::string token_name() {
    ssx_token* raw = nullptr;
    if (ssx_get_thread_token(&raw) != 0) fail_with_last_error("ssx_get_thread_token");
    Token t(raw);
    return t ? describe_token(t.get()).name : "";
}

// Step 5, on the server thread: impersonate, look at the thread, revert, look again.
json::Value impersonation_step(int fd, const Setup& setup, Out& out) {
    const std::string in = "     ";
    const size_t w = 16;
    std::ostringstream t;
    json::Value j;
    auto before = thread_fs_ids();
    if (ssx_impersonate_socket_peer(fd, nullptr, 0) != 0) fail_with_last_error("the server could not impersonate the client");
    struct Revert {
        bool active = true;
        ~Revert() {
            if (active) ssx_revert_impersonation();
        }
    } guard;
    t << "5. The server impersonates the client (ssx_impersonate_socket_peer): this thread now acts as it.\n";
    std::string who = token_name();
    SecurityReport during = query_security(fd);
    auto ids = thread_fs_ids();
    row(t, "thread token", who + "   (ssx_get_thread_token)", in, w);
    row(t, "query flags", flags_text(during.flags), in, w);
    j.set("thread_token", who).set("impersonated_flag", (during.flags & SSX_INFO_CONNECTION_IMPERSONATED) != 0);
    j.set("os_credentials", setup.os_credentials);
    j.set("fsuid_before", before ? json::Value(before->fsuid) : json::Value());
    j.set("fsuid_during", ids ? json::Value(ids->fsuid) : json::Value());
    if (!setup.os_credentials) {
        row(t, "thread fsuid", fs_text(ids) + ": unchanged, OS credentials are off in this run", in, w);
        row(t, "", "(run 'sudo ssx demo' to see file access switch to the mapped account)", in, w);
    } else {
        row(t, "thread fsuid", fs_text(ids) + ", was " + fs_text(before) + "   (/proc/thread-self/status)", in, w);
        if (!setup.files) {
            row(t, "", "(file access not shown: " + setup.dir.parent_path().string() + " is closed to " +
                           kMappedUser + "; set TMPDIR to a folder others may enter)",
                in, w);
        } else {
            std::string a = demo::try_read(setup.files->server_only);
            row(t, "server-only.txt", a + "   (mode 0600, owner " + demo::user_name(::geteuid()) + ")", in, w);
            j.set("server_only_during", a);
            if (!setup.files->peer_only.empty()) {
                std::string b = demo::try_read(setup.files->peer_only);
                row(t, "peer-only.txt", b + "   (mode 0600, owner " + kMappedUser + ")", in, w);
                j.set("peer_only_during", b);
            }
        }
    }
    if (ssx_revert_impersonation() != 0) fail_with_last_error("ssx_revert_impersonation");
    guard.active = false;
    t << "   ssx_revert_impersonation(): the thread is the server again.\n";
    std::string after = token_name();
    auto ids_after = thread_fs_ids();
    row(t, "thread token", after.empty() ? "(none)" : after, in, w);
    row(t, "thread fsuid", fs_text(ids_after), in, w);
    j.set("thread_token_after", after.empty() ? json::Value() : json::Value(after));
    j.set("fsuid_after", ids_after ? json::Value(ids_after->fsuid) : json::Value());
    if (setup.files) {
        std::string a = demo::try_read(setup.files->server_only);
        row(t, "server-only.txt", a, in, w);
        j.set("server_only_after", a);
    }
    out.print(t.str() + "\n");
    return j;
}

// The server thread: two connections, in the order the client makes them.
json::Value server_side(int listener, const Setup& setup, Out& out) {
    json::Value j;
    {
        Socket c(ssx_accept(listener, nullptr, nullptr));
        if (!c) fail_with_last_error("the server could not accept the client");
        std::string got = recv_line(c.fd(), "the server");
        SecurityReport r = query_security(c.fd());
        std::ostringstream t;
        t << "4. The server receives \"" << got << "\". Its view (ssx_query_socket_security):\n";
        print_report(t, r, false, "     ");
        out.print(t.str() + "\n");
        j.set("server_view", to_json(r));
        j.set("impersonation", impersonation_step(c.fd(), setup, out));
        send_line(c.fd(), upper(got), "the server");
        // Wait for the client's last word so it has read the session ticket before we close.
        recv_line(c.fd(), "the server", true);
    }
    {
        Socket c(ssx_accept(listener, nullptr, nullptr));
        if (!c) fail_with_last_error("the server could not accept the second connection");
        std::string got = recv_line(c.fd(), "the server");
        SecurityReport r = query_security(c.fd());
        std::ostringstream t;
        row(t, "server", std::string(r.resumed ? "resumed" : "NOT resumed") + ", peer " +
                             (r.peer ? r.peer->name : "?") + " re-authorized",
            "     ", 12);
        out.print(t.str());
        j.set("server_resumed", r.resumed);
        send_line(c.fd(), upper(got), "the server");
        recv_line(c.fd(), "the server", true);
    }
    return j;
}

Socket client_connect(const sockaddr_in& to, const Setup& setup) {
    Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // The client shows the other way to give credentials: per socket, overriding the policy.
    std::string cert = (setup.dir / "client.pem").string(), key = (setup.dir / "client.key").string(),
                ca = (setup.dir / "ca.pem").string();
    ssx_security_settings settings = SSX_SECURITY_SETTINGS_INIT;
    settings.certificate_file = cert.c_str();
    settings.private_key_file = key.c_str();
    settings.trust_file = ca.c_str();
    if (ssx_set_socket_security(s.fd(), &settings) != 0) fail_with_last_error("the client could not set security");
    if (ssx_set_peer_target_name(s.fd(), nullptr, 0, kServerName) != 0) fail_with_last_error("the client could not set the target name");
    if (ssx_connect(s.fd(), reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
        fail_with_last_error("the client could not connect");
    }
    return s;
}

void run_demo(const Globals& g) {
    const auto start = std::chrono::steady_clock::now();
    Out out(g.json);
    out.print("ssx demo: a secured client and server in this one process, over loopback.\n\n");
    TempDir tmp;
    Setup setup;
    try {
        setup = make_setup(tmp.path(), out);
    } catch (const ssx::Error& e) {
        throw Failure(Exit::config, "creating the demo PKI failed: " + e.message(), ssx::error_name(e.code()));
    }

    // Step 2: the listener, secured before bind; credentials from the policy.
    Socket listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (ssx_set_socket_security(listener.fd(), nullptr) != 0) fail_with_last_error("the server could not set security");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener.fd(), 8) != 0 ||
        ::getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw Failure(Exit::network, std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
    }
    const std::string where = local_address(listener.fd());
    out.print("2. The server listens on " + where +
              " (ssx_set_socket_security before bind; ssx_accept on its own thread).\n\n");

    auto server = std::async(std::launch::async, [&] { return server_side(listener.fd(), setup, out); });
    // If the client fails, the server thread may still wait in accept: shutting the listener down
    // wakes it, so the demo always ends.
    struct Unblock {
        int fd;
        ~Unblock() { ::shutdown(fd, SHUT_RDWR); }
    } unblock{listener.fd()};
    json::Value result;
    std::string error;
    try {
        Socket c = client_connect(addr, setup);
        SecurityReport r = query_security(c.fd());
        std::ostringstream t;
        t << "3. The client connects, naming the server it expects (ssx_set_peer_target_name \"" << kServerName
          << "\").\n   ssx_connect returned only after TLS 1.3 and both certificates were verified. Client's view:\n";
        print_report(t, r, false, "     ");
        t << "   The client sends \"hello from the client\" (ssx_send) and waits for the answer (ssx_recv).\n\n";
        out.print(t.str());
        result.set("client_view", to_json(r));
        send_line(c.fd(), "hello from the client", "the client");
        std::string reply = recv_line(c.fd(), "the client");
        out.print("6. The client receives the server's answer: \"" + reply + "\"\n\n");
        result.set("reply", reply);
        send_line(c.fd(), "bye", "the client");
        c.reset();

        out.print("7. A second connection resumes the TLS session (no full handshake; identities re-checked):\n");
        Socket c2 = client_connect(addr, setup);
        SecurityReport r2 = query_security(c2.fd());
        std::ostringstream t2;
        row(t2, "client", std::string(r2.resumed ? "resumed" : "NOT resumed") + ", peer " + (r2.peer ? r2.peer->name : "?"),
            "     ", 12);
        out.print(t2.str());
        result.set("client_resumed", r2.resumed);
        send_line(c2.fd(), "again", "the client");
        recv_line(c2.fd(), "the client");
        send_line(c2.fd(), "bye", "the client");
    } catch (const Failure& client_failure) {
        // Report both sides: the server's reason often explains the client's (e.g. "untrusted").
        ::shutdown(listener.fd(), SHUT_RDWR);
        std::string server_reason;
        if (server.wait_for(kServerDeadline) == std::future_status::ready) {
            try {
                server.get();
            } catch (const std::exception& e) {
                server_reason = e.what();
            }
        }
        if (server_reason.empty()) throw;
        throw Failure(client_failure.exit(), std::string(client_failure.what()) + "; " + server_reason,
                      client_failure.error_name());
    }
    if (server.wait_for(kServerDeadline) != std::future_status::ready) {
        std::cerr << "ssx: the demo server did not finish within 30 s; this is a bug in ssx" << std::endl;
        std::_Exit(static_cast<int>(Exit::internal));
    }
    json::Value server_part = server.get();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (g.json) {
        json::Value j;
        j.set("ok", true).set("pki", tmp.path().string()).set("server_address", where);
        j.set("client", result).set("server", server_part).set("elapsed_ms", static_cast<long long>(ms));
        std::cout << j.dump() << std::endl;
        return;
    }
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", static_cast<double>(ms) / 1000.0);
    out.print(std::string("\nDone in ") + secs + " s: mutual authentication, query on both sides, impersonation, "
              "resumption.\nThe demo PKI is removed. Next: 'ssx pki init DIR' for your own, and docs/cli.md.\n");
}

}  // namespace

void add_demo_command(CLI::App& app, Globals& globals) {
    CLI::App* cmd = app.add_subcommand(
        "demo", "Run a secured client and server in one process: query, impersonation, resumption (seconds)");
    cmd->add_flag("--json", globals.json, "Print the results as one JSON object instead of the walkthrough");
    cmd->callback([&globals] { run_demo(globals); });
}

}  // namespace ssx::cli
