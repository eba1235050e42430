// Impersonation through the C ABI on real connections: the thread token and the IMPERSONATED flag
// follow the impersonating thread only; revert restores, and with nothing to revert does nothing;
// clear-text connections cannot be impersonated; the policy's identity map gives tokens a local
// account, refuses root without allow_root, and (os_credentials = true) makes the kernel check
// file access as the peer — on the impersonating thread only, and only until revert. The OS part
// runs in a forked child that drops CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (root reads every file).
#include <sys/stat.h>

#include <condition_variable>
#include <deque>

#include "../common/capabilities.hpp"
#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kPeerUid = 12345;
constexpr uint32_t kPeerGid = 12345;

std::string map_client_to(uint32_t uid, uint32_t gid, bool os_credentials, bool allow_root = false) {
    return std::string("[impersonation]\n") + "os_credentials = " + (os_credentials ? "true" : "false") +
           "\nallow_root = " + (allow_root ? "true" : "false") +
           "\n\n[[identity_map]]\npeer = \"spiffe://test/client\"\nuid = " + std::to_string(uid) +
           "\ngid = " + std::to_string(gid) + "\n";
}

// A thread that exists before anything is impersonated and runs jobs on request, so "another
// thread" is really another thread with its own credentials (a thread created while impersonating
// would inherit the impersonating thread's filesystem ids).
class Worker {
public:
    Worker() : thread_([this] { loop(); }) {}
    ~Worker() {
        {
            std::lock_guard lock(mu_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    template <class F>
    auto run(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        {
            std::lock_guard lock(mu_);
            jobs_.emplace_back([&task] { task(); });
        }
        cv_.notify_all();
        return get_within(result);
    }

private:
    void loop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [this] { return done_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool done_ = false;
    std::thread thread_;
};

// A server connection accepted on this thread from a client on another thread.
struct Accepted {
    Listener listener;
    Socket server;        // accepted here
    Socket client;        // connected from a helper thread
    Outcome accept, connect;
};

std::unique_ptr<Accepted> accept_client(const Identity& server_id, const Identity& client_id) {
    auto a = std::make_unique<Accepted>();
    a->listener = listen_on(&server_id);
    Address to = a->listener.address;
    auto c = on_thread([client_id, to] {
        Outcome o;
        Socket s = connect_client(client_id, "server.test", to, &o);
        return std::make_pair(o, s.release());
    });
    int fd = ssx_accept(a->listener.fd(), nullptr, nullptr);
    a->accept = outcome(fd);
    if (fd >= 0) a->server.reset(fd);
    auto [o, cfd] = get_within(c);
    a->connect = o;
    a->client.reset(cfd);
    return a;
}

Token thread_token() {
    ssx_token* t = nullptr;
    EXPECT_EQ(ssx_get_thread_token(&t), 0) << ssx_last_error_message();
    return Token(t);
}

class ImpersonationTest : public ::testing::Test {
protected:
    void TearDown() override {
        for (int i = 0; i < 16 && thread_token(); ++i) ssx_revert_impersonation();
        EXPECT_EQ(thread_token(), nullptr) << "a test left the thread impersonating";
    }
    Pki pki_;
};

TEST_F(ImpersonationTest, ThreadTokenAndFlagFollowTheImpersonatingThread) {
    auto a = accept_client(identity(pki_, "server"), identity(pki_, "client"));
    ASSERT_TRUE(succeeded(a->accept));
    ASSERT_TRUE(succeeded(a->connect));
    Worker other;
    EXPECT_EQ(thread_token(), nullptr);

    ASSERT_EQ(ssx_impersonate_socket_peer(a->server.get(), nullptr, 0), 0) << ssx_last_error_message();
    Token t = thread_token();
    ASSERT_TRUE(t);
    EXPECT_EQ(text_or_null(ssx_token_name(t.get())), "spiffe://test/client");
    EXPECT_EQ(ssx_token_access_mask(t.get()), SSX_TOKEN_ALL_ACCESS);
    Query q = query(a->server.get(), SSX_TOKEN_QUERY);
    EXPECT_EQ(q.info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED |
                                SSX_INFO_CONNECTION_IMPERSONATED);
    // The thread token is the same principal as the connection's peer token.
    Token peer(q.info.peer_application_token);
    EXPECT_STREQ(ssx_token_fingerprint(peer.get()), ssx_token_fingerprint(t.get()));

    // Another thread impersonates nobody and sees no IMPERSONATED flag on the same socket.
    int fd = a->server.get();
    auto [other_token, other_flags] = other.run([fd] {
        ssx_token* ot = nullptr;
        ssx_get_thread_token(&ot);
        bool had = ot != nullptr;
        ssx_token_close(ot);
        return std::make_pair(had, query(fd).info.flags);
    });
    EXPECT_FALSE(other_token);
    EXPECT_EQ(other_flags & SSX_INFO_CONNECTION_IMPERSONATED, 0u);
    // The client's socket (a different peer) is not impersonated by this thread either.
    EXPECT_EQ(query(a->client.get()).info.flags & SSX_INFO_CONNECTION_IMPERSONATED, 0u);

    ASSERT_EQ(ssx_revert_impersonation(), 0) << ssx_last_error_message();
    EXPECT_EQ(thread_token(), nullptr);
    EXPECT_EQ(query(a->server.get()).info.flags, SSX_INFO_CONNECTION_SECURED | SSX_INFO_CONNECTION_ENCRYPTED);
    // The token taken while impersonating stays valid after revert.
    EXPECT_EQ(text_or_null(ssx_token_name(t.get())), "spiffe://test/client");
}

TEST_F(ImpersonationTest, RevertWithNothingSucceedsAndDoesNothing) {
    EXPECT_TRUE(succeeded(outcome(ssx_revert_impersonation())));
    EXPECT_TRUE(succeeded(outcome(ssx_revert_impersonation())));
    EXPECT_EQ(thread_token(), nullptr);
    EXPECT_TRUE(failed_with(outcome(ssx_get_thread_token(nullptr)), SSX_E_NULL_POINTER, EFAULT));
}

TEST_F(ImpersonationTest, NestedImpersonationsRevertOneAtATime) {
    auto a = accept_client(identity(pki_, "server"), identity(pki_, "client"));
    ASSERT_TRUE(succeeded(a->accept));
    // The client impersonates the server it connected to (any secured socket's peer).
    ASSERT_EQ(ssx_impersonate_socket_peer(a->server.get(), nullptr, 0), 0) << ssx_last_error_message();
    ASSERT_EQ(ssx_impersonate_socket_peer(a->client.get(), nullptr, 0), 0) << ssx_last_error_message();
    EXPECT_EQ(text_or_null(ssx_token_name(thread_token().get())), "spiffe://test/server");
    EXPECT_NE(query(a->client.get()).info.flags & SSX_INFO_CONNECTION_IMPERSONATED, 0u);
    EXPECT_EQ(query(a->server.get()).info.flags & SSX_INFO_CONNECTION_IMPERSONATED, 0u)
        << "only the innermost impersonation is current";
    ASSERT_EQ(ssx_revert_impersonation(), 0);
    EXPECT_EQ(text_or_null(ssx_token_name(thread_token().get())), "spiffe://test/client");
    ASSERT_EQ(ssx_revert_impersonation(), 0);
    EXPECT_EQ(thread_token(), nullptr);
}

TEST_F(ImpersonationTest, ClearTextConnectionsCannotBeImpersonated) {
    Identity server = identity(pki_, "server");
    server.flags = SSX_SETTINGS_ALLOW_INSECURE;
    Listener l = listen_on(&server);
    Socket plain(plain_connect(l.address));
    ASSERT_TRUE(plain_send(plain.get(), "hello in clear\n"));
    Socket accepted(ssx_accept(l.fd(), nullptr, nullptr));
    ASSERT_GE(accepted.get(), 0) << ssx_last_error_message();
    Outcome o = outcome(ssx_impersonate_socket_peer(accepted.get(), nullptr, 0));
    EXPECT_TRUE(failed_with(o, SSX_E_NOT_SECURED, EACCES));
    EXPECT_TRUE(mentions(o.message, {"clear text"}));
    EXPECT_EQ(thread_token(), nullptr) << "a failed impersonation leaves the thread unchanged";
}

TEST_F(ImpersonationTest, IdentityMapGivesTheTokenALocalAccount) {
    ScopedEnv env("SSX_POLICY", pki_.policy("server", map_client_to(kPeerUid, kPeerGid, false)));
    auto a = accept_client(from_policy(), identity(pki_, "client"));
    ASSERT_TRUE(succeeded(a->accept));
    Token t(query(a->server.get(), SSX_TOKEN_QUERY).info.peer_application_token);
    uint32_t uid = 0, gid = 0;
    ASSERT_EQ(ssx_token_unix_account(t.get(), &uid, &gid), 0) << ssx_last_error_message();
    EXPECT_EQ(uid, kPeerUid);
    EXPECT_EQ(gid, kPeerGid);
    EXPECT_EQ(ssx_token_unix_user(t.get()), nullptr) << "mapped by number only";
    EXPECT_EQ(ssx_last_error(), SSX_E_NOT_FOUND);
    // os_credentials = false: impersonation changes the principal only; no privilege is needed.
    ASSERT_EQ(ssx_impersonate_socket_peer(a->server.get(), nullptr, 0), 0) << ssx_last_error_message();
    EXPECT_EQ(::syscall(SYS_setfsuid, -1), static_cast<long>(::geteuid())) << "fsuid must not change";
    ASSERT_EQ(ssx_revert_impersonation(), 0);
}

TEST_F(ImpersonationTest, MappingToRootNeedsAllowRoot) {
    ScopedEnv env("SSX_POLICY", pki_.policy("server", map_client_to(0, 0, true)));
    auto a = accept_client(from_policy(), identity(pki_, "client"));
    ASSERT_TRUE(succeeded(a->accept));
    Outcome o = outcome(ssx_impersonate_socket_peer(a->server.get(), nullptr, 0));
    EXPECT_TRUE(failed_with(o, SSX_E_IMPERSONATION_DENIED, EPERM));
    EXPECT_TRUE(mentions(o.message, {"allow_root = true"}));
    EXPECT_EQ(thread_token(), nullptr);
}

TEST_F(ImpersonationTest, OsCredentialsWithoutAMappingAreDenied) {
    ScopedEnv env("SSX_POLICY", pki_.policy("server", "[impersonation]\nos_credentials = true\n"));
    auto a = accept_client(from_policy(), identity(pki_, "client"));
    ASSERT_TRUE(succeeded(a->accept));
    Outcome o = outcome(ssx_impersonate_socket_peer(a->server.get(), nullptr, 0));
    EXPECT_TRUE(failed_with(o, SSX_E_IMPERSONATION_DENIED, EPERM));
    EXPECT_TRUE(mentions(o.message, {"spiffe://test/client", "identity_map"}));
    EXPECT_EQ(thread_token(), nullptr);
}

// ----- OS credentials: the kernel checks file access as the peer ----------------------------------

// 0 when `path` opens for reading, else the errno.
int open_errno(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

TEST_F(ImpersonationTest, FileReadableOnlyByThePeerWhileImpersonatingOnThisThread) {
    if (!can_switch_credentials()) {
        GTEST_SKIP() << "switching OS credentials needs CAP_SETUID, CAP_SETGID and CAP_CHOWN (euid "
                     << ::geteuid() << " lacks them); CI runs this suite as root";
    }
    // A folder everyone may search, holding a file only uid 12345 may read.
    TempDir files;
    ASSERT_EQ(::chmod(files.path().c_str(), 0711), 0) << std::strerror(errno);
    const std::string secret = (files.path() / "peer-only").string();
    {
        int fd = ::open(secret.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0) << std::strerror(errno);
        ASSERT_EQ(::write(fd, "secret", 6), 6);
        ASSERT_EQ(::fchown(fd, kPeerUid, kPeerGid), 0) << std::strerror(errno);
        ASSERT_EQ(::fchmod(fd, 0400), 0);
        ::close(fd);
    }
    const std::string policy = pki_.policy("server", map_client_to(kPeerUid, kPeerGid, true));
    const Identity client = identity(pki_, "client");

    std::string failure = run_in_child([&]() -> std::string {
        std::string dropped = drop_dac_capabilities();
        if (!dropped.empty()) return dropped;
        SSX_CHILD_CHECK(open_errno(secret) == EACCES, "root without DAC override must not read the file");
        ::setenv("SSX_POLICY", policy.c_str(), 1);
        Worker other;  // exists before the impersonation
        auto a = accept_client(from_policy(), client);
        SSX_CHILD_CHECK(a->accept.result >= 0, "accept: " + describe(a->accept));
        SSX_CHILD_CHECK(a->connect.result == 0, "connect: " + describe(a->connect));

        if (ssx_impersonate_socket_peer(a->server.get(), nullptr, 0) != 0) {
            return std::string("impersonate: ") + ssx_error_name(ssx_last_error()) + ": " + ssx_last_error_message();
        }
        int as_peer = open_errno(secret);
        int from_other = other.run([&] { return open_errno(secret); });
        bool flagged = (query(a->server.get()).info.flags & SSX_INFO_CONNECTION_IMPERSONATED) != 0;
        SSX_CHILD_CHECK(ssx_revert_impersonation() == 0, std::string("revert: ") + ssx_last_error_message());
        int after = open_errno(secret);

        SSX_CHILD_CHECK(as_peer == 0, std::string("impersonating thread: ") + std::strerror(as_peer));
        SSX_CHILD_CHECK(from_other == EACCES,
                        std::string("another thread must not read it: ") + std::strerror(from_other));
        SSX_CHILD_CHECK(flagged, "query on the impersonating thread must report IMPERSONATED");
        SSX_CHILD_CHECK(after == EACCES, std::string("after revert: ") + std::strerror(after));
        ssx_token* t = nullptr;
        SSX_CHILD_CHECK(ssx_get_thread_token(&t) == 0 && t == nullptr, "thread token after revert");
        return "";
    });
    EXPECT_EQ(failure, "");
}

}  // namespace
}  // namespace ssx::test
