// `ssx serve ADDRESS [--echo | --exec CMD] [--impersonate]`: a secured server. Prints each peer's
// identity as it connects; echoes, or runs CMD per connection with its stdin/stdout on the
// connection, as the peer's mapped account with --impersonate when the policy allows it.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "address.hpp"
#include "child_process.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "pump.hpp"
#include "report.hpp"
#include "secure_socket.hpp"
#include "thread_credentials.hpp"

namespace ssx::cli {

namespace {

struct ServeOptions {
    std::string address;
    bool echo = false;
    std::string exec;
    bool impersonate = false;
    unsigned count = 0;  // 0 = serve until killed
    unsigned max_connections = 32;
    SecurityOptions security;
    bool json = false;
};

// One line per event on stdout, whole lines only (handlers run on their own threads), flushed so a
// supervisor or a test reading the pipe sees each event as it happens.
class EventLog {
public:
    explicit EventLog(bool json) : json_(json) {}
    void emit(const std::string& human, json::Value event) {
        std::lock_guard lock(mu_);
        std::cout << (json_ ? event.dump() : human) << std::endl;
    }
    void error(const std::string& client, const std::string& message, int ssx_code = 0) {
        emit((client.empty() ? "" : "[" + client + "] ") + "refused: " + message,
             json::Value()
                 .set("event", "refused")
                 .set("client", client.empty() ? json::Value() : json::Value(client))
                 .set("error", ssx_code ? json::Value(ssx_error_name(ssx_code)) : json::Value())
                 .set("message", message));
    }

private:
    bool json_;
    std::mutex mu_;
};

// The handler threads. On the normal way out each is joined: a detached thread can still be
// running its thread-exit cleanup (OpenSSL frees per-thread state then) while the process exits,
// which loses that memory and races static destructors. Finished handlers are joined before the
// next accept. The state is shared with the threads, so the error path out of the accept loop
// can leave running handlers behind (detached) and report the error at once.
class Handlers {
public:
    Handlers() = default;
    Handlers(const Handlers&) = delete;
    Handlers& operator=(const Handlers&) = delete;
    ~Handlers() {
        std::unique_lock lock(state_->mu);
        join_finished(lock);
        for (auto& [id, t] : state_->running) t.detach();  // only on the error path: exiting anyway
    }

    // Blocks while `limit` handlers run, then joins the ones that have finished.
    void wait_below(unsigned limit) {
        std::unique_lock lock(state_->mu);
        state_->cv.wait(lock, [&] { return state_->running.size() - state_->finished.size() < limit; });
        join_finished(lock);
    }

    template <class Body>
    void start(Body body) {
        std::lock_guard lock(state_->mu);
        std::thread t([state = state_, body = std::move(body)]() mutable {
            body();
            std::lock_guard lock(state->mu);
            state->finished.push_back(std::this_thread::get_id());
            state->cv.notify_all();
        });
        const auto id = t.get_id();
        try {
            state_->running.emplace(id, std::move(t));
        } catch (...) {
            t.detach();  // out of memory: never destroy a joinable thread (std::terminate)
            throw;
        }
    }

    // Waits for every handler to end and joins it.
    void join_all() {
        std::unique_lock lock(state_->mu);
        state_->cv.wait(lock, [&] { return state_->running.size() == state_->finished.size(); });
        join_finished(lock);
    }

private:
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        std::map<std::thread::id, std::thread> running;
        std::vector<std::thread::id> finished;
    };

    void join_finished(std::unique_lock<std::mutex>& lock) {
        std::vector<std::thread> done;
        for (auto id : state_->finished) {
            auto it = state_->running.find(id);
            if (it == state_->running.end()) continue;  // detached by start() (out of memory)
            done.push_back(std::move(it->second));
            state_->running.erase(it);
        }
        state_->finished.clear();
        lock.unlock();  // a finishing thread takes the lock on its way out
        for (auto& t : done) t.join();
        lock.lock();
    }

    std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Reverts the thread's impersonation on every path out of a handler (a pooled or reused thread
// must never keep acting as a peer).
class ImpersonationScope {
public:
    ~ImpersonationScope() { revert(); }
    void entered() { active_ = true; }
    void revert() {
        if (active_ && ssx_revert_impersonation() != 0) {
            // Never keep serving with a thread that still partly acts as a peer.
            std::cerr << "ssx serve: reverting impersonation failed: " << ssx_last_error_message()
                      << "; stopping" << std::endl;
            std::abort();
        }
        active_ = false;
    }

private:
    bool active_ = false;
};

std::string account_text(const PeerIdentity& p) {
    std::string ids = "uid " + std::to_string(p.uid) + ", gid " + std::to_string(p.gid);
    return p.user.empty() ? ids : p.user + " (" + ids + ")";
}

// Echo until the peer's end; returns the byte count.
uint64_t echo(int fd) {
    char buf[16384];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = ssx_recv(fd, buf, sizeof buf, 0);
        if (n == 0) break;
        if (n < 0) fail_with_last_error("receiving");
        if (ssx_send(fd, buf, static_cast<size_t>(n), 0) != n) fail_with_last_error("sending");
        total += static_cast<uint64_t>(n);
    }
    if (ssx_shutdown(fd, SHUT_WR) != 0) fail_with_last_error("closing the sending side");
    return total;
}

// Runs the command with its stdin/stdout on the connection: two pumps, then the child's status.
std::string run_command(int fd, const ChildSpec& spec, ImpersonationScope& scope) {
    Child child = spawn_child(spec);
    scope.revert();  // the child has its own credentials now; this thread goes back to ours
    PumpResult in_result;
    std::thread to_child([&] {
        in_result = secure_to_plain(fd, child.stdin_fd);
        ::close(child.stdin_fd);  // the child reads end of input
    });
    PumpResult out_result = plain_to_secure(child.stdout_fd, fd, -1);
    ::close(child.stdout_fd);
    std::string status = wait_child(child.pid);
    // The child is done: stop reading from the peer too (wakes the other thread if it waits). A
    // failure means the connection is already gone, which ends that thread just the same.
    (void)ssx_shutdown(fd, SHUT_RD);
    to_child.join();
    if (!out_result.ok) status += "; " + out_result.error;
    return status;
}

void handle(Socket conn, const std::string& client, const ServeOptions& o, EventLog& log) {
    SecurityReport report = query_security(conn.fd());
    std::string line = "[" + client + "] connected: " + one_line(report);
    if (report.peer) {
        line += ", sha256 " + report.peer->fingerprint;
        if (report.peer->mapped) line += ", account " + account_text(*report.peer);
    }
    log.emit(line, json::Value().set("event", "connected").set("client", client).set("connection", to_json(report)));

    ImpersonationScope scope;
    std::optional<ChildAccount> account;
    if (o.impersonate) {
        if (ssx_impersonate_socket_peer(conn.fd(), nullptr, 0) != 0) {
            log.error(client, std::string("cannot impersonate the peer: ") + ssx_last_error_message(), ssx_last_error());
            return;
        }
        scope.entered();
        ssx_token* raw = nullptr;
        ssx_get_thread_token(&raw);
        Token token(raw);
        std::string who = token ? describe_token(token.get()).name : "?";
        auto fs = thread_fs_ids();
        std::string fs_text = fs ? "thread fsuid " + std::to_string(fs->fsuid) + ", fsgid " + std::to_string(fs->fsgid)
                                 : "thread credentials unknown";
        log.emit("[" + client + "] impersonating " + who + " (" + fs_text + ")",
                 json::Value()
                     .set("event", "impersonating")
                     .set("client", client)
                     .set("thread_token", who)
                     .set("fsuid", fs ? json::Value(fs->fsuid) : json::Value())
                     .set("fsgid", fs ? json::Value(fs->fsgid) : json::Value()));
        if (!o.exec.empty()) {
            // Run the command as the peer only when ssx itself switched this thread to the peer's
            // account, i.e. the policy maps the peer and allows OS credentials. Otherwise refuse:
            // running it as the server's account would silently grant the peer our rights.
            if (!report.peer) {
                log.error(client, "--impersonate: the connection carries no authenticated peer");
                return;
            }
            const PeerIdentity& peer = *report.peer;
            if (!peer.mapped) {
                log.error(client, "--impersonate: the policy maps '" + peer.name +
                                      "' to no local account; add an [[identity_map]] entry for it");
                return;
            }
            if (!fs || fs->fsuid != peer.uid || fs->fsgid != peer.gid) {
                log.error(client, "--impersonate: the policy does not let impersonation switch OS credentials; "
                                  "set [impersonation] os_credentials = true (and run with CAP_SETUID/CAP_SETGID)");
                return;
            }
            account = ChildAccount{peer.uid, peer.gid, {peer.groups.begin(), peer.groups.end()}, peer.user};
            if (account->groups.empty()) account->groups.push_back(peer.gid);
            // Already that account (the server runs as it): nothing to switch, nothing to ask for.
            if (::getuid() == peer.uid && ::geteuid() == peer.uid && ::getgid() == peer.gid &&
                ::getegid() == peer.gid) {
                account.reset();
            }
        }
    }

    if (o.exec.empty()) {
        uint64_t bytes = echo(conn.fd());
        scope.revert();
        log.emit("[" + client + "] closed after echoing " + std::to_string(bytes) + " bytes",
                 json::Value().set("event", "closed").set("client", client).set("bytes", bytes));
        return;
    }
    ChildSpec spec;
    spec.command = o.exec;
    spec.account = account;
    if (report.peer) {
        spec.extra_env = {"SSX_PEER_NAME=" + report.peer->name, "SSX_PEER_SHA256=" + report.peer->fingerprint,
                          "SSX_PEER_SUBJECT=" + report.peer->subject, "SSX_PEER_ADDRESS=" + client};
        if (!report.peer->spiffe_id.empty()) spec.extra_env.push_back("SSX_PEER_SPIFFE_ID=" + report.peer->spiffe_id);
    }
    if (account) {
        log.emit("[" + client + "] running the command as " +
                     (account->user.empty() ? "uid " + std::to_string(account->uid) : account->user),
                 json::Value().set("event", "exec").set("client", client).set("uid", account->uid).set("gid", account->gid));
    }
    std::string status = run_command(conn.fd(), spec, scope);
    log.emit("[" + client + "] closed; the command ended with " + status,
             json::Value().set("event", "closed").set("client", client).set("status", status));
}

void serve(std::shared_ptr<const ServeOptions> o) {
    Address address = parse_address(o->address);
    o->security.apply();
    if (o->echo && !o->exec.empty()) throw Failure(Exit::usage, "choose one of --echo and --exec");
    Socket listener = listen_secured(address, o->security);
    auto log = std::make_shared<EventLog>(o->json);
    const std::string bound = local_address(listener.fd());
    std::string mode = o->exec.empty() ? "echo" : "exec '" + o->exec + "'";
    if (o->impersonate) mode += ", impersonating each peer";
    log->emit("listening on " + bound + " (" + mode + ")",
              json::Value().set("event", "listening").set("address", bound).set("mode", o->exec.empty() ? "echo" : "exec"));

    Handlers handlers;
    for (unsigned seen = 0; o->count == 0 || seen < o->count;) {
        handlers.wait_below(o->max_connections);
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        int fd = ssx_accept(listener.fd(), reinterpret_cast<sockaddr*>(&peer), &len);
        if (fd < 0) {
            int code = ssx_last_error(), e = errno;
            if (code == SSX_E_NO_SECURITY || code == SSX_E_INVALID_ARGUMENT) fail_with_last_error("accepting");
            if (code == SSX_E_IO && e == EINTR) continue;
            log->error("", ssx_last_error_message(), code);
            // Out of descriptors or memory: back off instead of spinning; clients failing the
            // handshake count as connections (--count).
            if (code == SSX_E_IO && (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            } else {
                ++seen;
            }
            continue;
        }
        ++seen;
        Socket conn(fd);
        std::string client = format_address(reinterpret_cast<sockaddr*>(&peer), len);
        handlers.start([conn = std::move(conn), client, o, log]() mutable {
            try {
                handle(std::move(conn), client, *o, *log);
            } catch (const std::exception& e) {
                log->error(client, e.what());
            }
        });
    }
    handlers.join_all();
}

}  // namespace

void add_serve_command(CLI::App& app, Globals& globals) {
    auto o = std::make_shared<ServeOptions>();
    CLI::App* cmd = app.add_subcommand(
        "serve", "Secured server: print each peer's identity; echo, or run a command per connection");
    cmd->add_option("ADDRESS", o->address, "HOST:PORT or [IPv6]:PORT to listen on (port 0: any free port)")
        ->required();
    auto* echo_flag = cmd->add_flag("--echo", o->echo, "Send back what each peer sends (the default)");
    auto* exec_opt = cmd->add_option("--exec", o->exec,
                                     "Run CMD (/bin/sh -c) per connection, stdin/stdout on the connection; "
                                     "SSX_PEER_NAME, SSX_PEER_SHA256, ... in its environment")
                         ->type_name("CMD");
    echo_flag->excludes(exec_opt);
    cmd->add_flag("--impersonate", o->impersonate,
                  "Impersonate each peer; with --exec run CMD as the peer's mapped account (needs "
                  "[impersonation] os_credentials = true and an [[identity_map]] entry)");
    cmd->add_option("--count", o->count, "Exit after N connections (0: serve until killed)")->capture_default_str();
    cmd->add_option("--max-connections", o->max_connections, "Connections handled at once")
        ->capture_default_str()
        ->check(CLI::Range(1u, 4096u));
    o->security.add_to(*cmd);
    cmd->add_flag("--json", globals.json, "One JSON object per event");
    cmd->callback([o, &globals] {
        o->json = globals.json;
        serve(o);
    });
}

}  // namespace ssx::cli
