// Per-thread impersonation: the principal stack, the policy checks, and — in forked children with
// CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH dropped, since root reads every file anyway — that the
// kernel really checks file access as the impersonated account, on the impersonating thread only.
// Tests that switch OS credentials need CAP_SETUID and CAP_SETGID (CI runs as root); without them
// they are skipped with the reason, and any other missing precondition fails with a message.

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "identity/principal.hpp"
#include "impersonation/impersonation.hpp"
#include "ssx/ssx.h"
#include "tests/common/capabilities.hpp"

namespace {

using ssx::identity::Account;
using ssx::identity::Principal;
namespace imp = ssx::impersonation;
using ssx::test::drop_dac_capabilities;
using ssx::test::drop_capabilities;
using ssx::test::has_effective;
using ssx::test::run_in_child;

constexpr uint32_t kPeerUid = 12345;
constexpr uint32_t kPeerGid = 12345;
constexpr uint32_t kOtherUid = 12346;
constexpr uint32_t kSharedGroup = 23456;
constexpr auto kWait = std::chrono::seconds(10);

// ----- Principals and options -------------------------------------------------------------------

std::shared_ptr<const Principal> principal(std::string name,
                                           std::optional<Account> account = std::nullopt) {
    return Principal::named(std::move(name), std::move(account));
}

Account account(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups) {
    Account a;
    a.uid = uid;
    a.gid = gid;
    a.groups = std::move(groups);
    return a;
}

imp::Options os_options(bool allow_root = false) {
    imp::Options options;
    options.os_credentials = true;
    options.allow_root = allow_root;
    return options;
}

// Runs f and returns the ssx::Error it threw, or nullopt.
template <class F>
std::optional<ssx::Error> error_of(F&& f) {
    try {
        f();
    } catch (const ssx::Error& e) {
        return e;
    }
    return std::nullopt;
}

// ----- The calling thread's credentials, read with the same raw per-thread syscalls -------------

#ifdef SYS_setfsuid32
constexpr long kSetFsUid = SYS_setfsuid32, kSetFsGid = SYS_setfsgid32, kGetGroups = SYS_getgroups32;
#else
constexpr long kSetFsUid = SYS_setfsuid, kSetFsGid = SYS_setfsgid, kGetGroups = SYS_getgroups;
#endif

uint32_t thread_fsuid() { return static_cast<uint32_t>(syscall(kSetFsUid, 0xFFFFFFFFul)); }
uint32_t thread_fsgid() { return static_cast<uint32_t>(syscall(kSetFsGid, 0xFFFFFFFFul)); }

std::vector<uint32_t> thread_groups() {
    std::vector<uint32_t> groups(65536);
    long n = syscall(kGetGroups, static_cast<unsigned long>(groups.size()), groups.data());
    groups.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return groups;
}

struct Snapshot {
    uint32_t fsuid, fsgid;
    std::vector<uint32_t> groups;
    bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot() { return {thread_fsuid(), thread_fsgid(), thread_groups()}; }

std::string describe(const Snapshot& s) {
    std::string text = "fsuid " + std::to_string(s.fsuid) + ", fsgid " + std::to_string(s.fsgid) +
                       ", groups [";
    for (size_t i = 0; i < s.groups.size(); ++i)
        text += (i ? ", " : "") + std::to_string(s.groups[i]);
    return text + "]";
}

// ----- Capabilities, with the raw per-thread capget/capset (no libcap) ---------------------------


// Switching credentials needs CAP_SETUID and CAP_SETGID; without them (a developer's non-root
// run) the OS tests cannot say anything, so they are skipped with that reason — never silently.
#define SKIP_WITHOUT_SETID_CAPABILITIES()                                                       \
    do {                                                                                        \
        if (!has_effective(CAP_SETUID) || !has_effective(CAP_SETGID))                           \
            GTEST_SKIP() << "this test switches OS credentials and needs CAP_SETUID and "       \
                            "CAP_SETGID (euid " << geteuid() << " lacks them); run the unit "   \
                            "tests as root, as CI does";                                        \
    } while (0)

// ----- Files and children ------------------------------------------------------------------------

// 0 when `path` opens for reading (and reads back what was written), else the errno.
int open_errno(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[16] = {};
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    int err = n < 0 ? errno : 0;
    ::close(fd);
    if (err) return err;
    return std::string(buf) == "secret" ? 0 : EIO;
}

std::string errno_name(int err) { return err == 0 ? "success" : std::strerror(err); }


#define CHILD_CHECK(cond, what) \
    do {                        \
        if (!(cond)) return std::string(what) + " [" #cond "]"; \
    } while (0)

// ----- Fixtures ----------------------------------------------------------------------------------

// Every test must leave the thread as it found it; TearDown unwinds whatever a failed test left.
class ImpersonationTest : public ::testing::Test {
protected:
    void SetUp() override { before_ = snapshot(); }
    void TearDown() override {
        for (int i = 0; i < 100 && imp::current(); ++i) imp::revert();
        EXPECT_EQ(imp::current(), nullptr);
        EXPECT_EQ(snapshot(), before_) << "now " << describe(snapshot()) << ", was "
                                       << describe(before_);
    }
    Snapshot before_;
};

// Files the peer account may or may not read, created as root before any child forks.
class ImpersonationFileTest : public ImpersonationTest {
protected:
    void SetUp() override {
        ImpersonationTest::SetUp();
        SKIP_WITHOUT_SETID_CAPABILITIES();
        ASSERT_TRUE(has_effective(CAP_CHOWN))
            << "creating files owned by uid " << kPeerUid << " needs CAP_CHOWN; run as root";
        struct stat tmp {};
        ASSERT_EQ(stat("/tmp", &tmp), 0);
        ASSERT_TRUE(tmp.st_mode & S_IXOTH) << "/tmp must be searchable by others";
        char dir[] = "/tmp/ssx-impersonation-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr) << std::strerror(errno);
        dir_ = dir;
        // Searchable (not listable) by everyone, so only the files' own modes decide access.
        ASSERT_EQ(chmod(dir_.c_str(), 0711), 0) << std::strerror(errno);
        owner_only_ = make_file("owner-only", kPeerUid, kPeerGid, 0400);
        group_only_ = make_file("group-only", 0, kSharedGroup, 0040);
        primary_group_only_ = make_file("primary-group-only", 0, kPeerGid, 0040);
        root_only_ = make_file("root-only", 0, 0, 0600);
    }

    void TearDown() override {
        for (const auto& path : {owner_only_, group_only_, primary_group_only_, root_only_})
            if (!path.empty()) ::unlink(path.c_str());
        if (!dir_.empty()) ::rmdir(dir_.c_str());
        ImpersonationTest::TearDown();
    }

    std::string make_file(const char* name, uid_t uid, gid_t gid, mode_t mode) {
        std::string path = dir_ + "/" + name;
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        EXPECT_GE(fd, 0) << path << ": " << std::strerror(errno);
        if (fd < 0) return path;
        EXPECT_EQ(::write(fd, "secret", 6), 6);
        EXPECT_EQ(fchown(fd, uid, gid), 0) << path << ": " << std::strerror(errno);
        EXPECT_EQ(fchmod(fd, mode), 0) << path << ": " << std::strerror(errno);
        ::close(fd);
        return path;
    }

    std::string dir_, owner_only_, group_only_, primary_group_only_, root_only_;
};


// ----- The principal stack (no privileges needed) ------------------------------------------------

TEST_F(ImpersonationTest, CurrentIsNullInitially) { EXPECT_EQ(imp::current(), nullptr); }

TEST_F(ImpersonationTest, PushAndPopWithoutOsCredentials) {
    auto alice = principal("alice");
    imp::impersonate(alice, {});
    EXPECT_EQ(imp::current(), alice);
    EXPECT_EQ(snapshot(), before_) << "os_credentials = false must not touch OS credentials";
    imp::revert();
    EXPECT_EQ(imp::current(), nullptr);
}

TEST_F(ImpersonationTest, NestingRestoresEachLevel) {
    auto a = principal("a"), b = principal("b"), c = principal("c");
    imp::impersonate(a, {});
    imp::impersonate(b, {});
    imp::impersonate(c, {});
    EXPECT_EQ(imp::current(), c);
    imp::revert();
    EXPECT_EQ(imp::current(), b);
    imp::revert();
    EXPECT_EQ(imp::current(), a);
    imp::revert();
    EXPECT_EQ(imp::current(), nullptr);
}

TEST_F(ImpersonationTest, RevertWithNothingIsANoOp) {
    EXPECT_NO_THROW(imp::revert());
    EXPECT_NO_THROW(imp::revert());
    EXPECT_EQ(imp::current(), nullptr);
    EXPECT_EQ(snapshot(), before_);
}

TEST_F(ImpersonationTest, NullPrincipalIsRejected) {
    auto outer = principal("outer");
    imp::impersonate(outer, {});
    auto error = error_of([] { imp::impersonate(nullptr, {}); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), SSX_E_NULL_POINTER);
    EXPECT_EQ(imp::current(), outer);
}

TEST_F(ImpersonationTest, OsCredentialsWithoutAccountAreRefused) {
    auto outer = principal("outer");
    imp::impersonate(outer, {});
    auto error = error_of([] { imp::impersonate(principal("spiffe://corp/web"), os_options()); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), SSX_E_IMPERSONATION_DENIED);
    EXPECT_NE(error->message().find("spiffe://corp/web"), std::string::npos) << error->message();
    EXPECT_NE(error->message().find("[[identity_map]]"), std::string::npos) << error->message();
    EXPECT_EQ(imp::current(), outer) << "a refused impersonation must leave the stack unchanged";
    EXPECT_EQ(snapshot(), before_);

    // Without os_credentials an unmapped peer is fine: only the principal changes.
    auto unmapped = principal("unmapped");
    EXPECT_NO_THROW(imp::impersonate(unmapped, {}));
    EXPECT_EQ(imp::current(), unmapped);
}

TEST_F(ImpersonationTest, RootAccountsNeedAllowRoot) {
    struct Case {
        const char* what;
        Account account;
    };
    const Case cases[] = {
        {"uid 0", account(0, kPeerGid, {kPeerGid})},
        {"gid 0", account(kPeerUid, 0, {})},
        {"supplementary group 0", account(kPeerUid, kPeerGid, {kPeerGid, 0})},
    };
    for (const auto& c : cases) {
        auto error = error_of([&] { imp::impersonate(principal("admin", c.account), os_options()); });
        ASSERT_TRUE(error) << c.what << " was accepted without allow_root";
        EXPECT_EQ(error->code(), SSX_E_IMPERSONATION_DENIED) << c.what;
        EXPECT_NE(error->message().find("allow_root = true"), std::string::npos)
            << c.what << ": " << error->message();
        EXPECT_EQ(imp::current(), nullptr) << c.what;
        EXPECT_EQ(snapshot(), before_) << c.what;
    }
}

TEST_F(ImpersonationTest, InvalidIdsAreRejected) {
    for (const auto& bad : {account(0xFFFFFFFFu, kPeerGid, {}), account(kPeerUid, 0xFFFFFFFFu, {}),
                            account(kPeerUid, kPeerGid, {0xFFFFFFFFu})}) {
        auto error = error_of([&] { imp::impersonate(principal("bad", bad), os_options(true)); });
        ASSERT_TRUE(error);
        EXPECT_EQ(error->code(), SSX_E_INVALID_ARGUMENT) << error->message();
        EXPECT_EQ(imp::current(), nullptr);
    }
    std::vector<uint32_t> too_many(65537, kPeerGid);
    auto error = error_of(
        [&] { imp::impersonate(principal("big", account(kPeerUid, kPeerGid, too_many)), os_options()); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), SSX_E_INVALID_ARGUMENT) << error->message();
    EXPECT_EQ(snapshot(), before_);
}

TEST_F(ImpersonationTest, DepthIsBounded) {
    std::vector<std::shared_ptr<const Principal>> frames;
    for (int i = 0; i < 64; ++i) {
        frames.push_back(principal("p" + std::to_string(i)));
        ASSERT_NO_THROW(imp::impersonate(frames.back(), {})) << "depth " << i + 1;
    }
    auto error = error_of([] { imp::impersonate(principal("one too many"), {}); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), SSX_E_INVALID_ARGUMENT);
    EXPECT_NE(error->message().find("ssx_revert_impersonation"), std::string::npos);
    EXPECT_EQ(imp::current(), frames.back()) << "the refused frame must not be pushed";
    for (int i = 63; i >= 0; --i) {
        ASSERT_EQ(imp::current(), frames[static_cast<size_t>(i)]);
        imp::revert();
    }
    EXPECT_EQ(imp::current(), nullptr);
}

TEST_F(ImpersonationTest, EachThreadHasItsOwnStack) {
    auto mine = principal("mine");
    imp::impersonate(mine, {});
    std::shared_ptr<const Principal> seen_before, seen_after;
    bool nested_ok = false;
    std::thread other([&] {
        seen_before = imp::current();
        auto theirs = principal("theirs");
        imp::impersonate(theirs, {});
        nested_ok = imp::current() == theirs;
        imp::revert();
        seen_after = imp::current();
    });
    other.join();
    EXPECT_EQ(seen_before, nullptr) << "another thread saw this thread's impersonation";
    EXPECT_TRUE(nested_ok);
    EXPECT_EQ(seen_after, nullptr);
    EXPECT_EQ(imp::current(), mine) << "another thread's impersonation changed this thread's";
}

// ----- OS credentials in this process (restored by each test; checked by TearDown) --------------

// Switching to the identity the thread already has changes nothing, so it needs no capability:
// this runs (and must pass) without privileges too.
TEST_F(ImpersonationTest, ImpersonatingTheCurrentIdentityNeedsNoCapability) {
    auto self = principal("self", account(before_.fsuid, before_.fsgid, before_.groups));
    ASSERT_NO_THROW(imp::impersonate(self, os_options(/*allow_root=*/true)));
    EXPECT_EQ(imp::current(), self);
    EXPECT_EQ(snapshot(), before_);
    EXPECT_NO_THROW(imp::revert());
    EXPECT_EQ(imp::current(), nullptr);
}

TEST_F(ImpersonationTest, OsCredentialsSwitchAndRestoreExactly) {
    SKIP_WITHOUT_SETID_CAPABILITIES();
    const uid_t uid = getuid(), euid = geteuid();
    const gid_t gid = getgid(), egid = getegid();
    imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {kSharedGroup})), os_options());
    Snapshot during = snapshot();
    EXPECT_EQ(during, (Snapshot{kPeerUid, kPeerGid, {kSharedGroup}})) << describe(during);
    // Only the filesystem ids switch: the process keeps its real/effective ids (and privileges).
    EXPECT_EQ(getuid(), uid);
    EXPECT_EQ(geteuid(), euid);
    EXPECT_EQ(getgid(), gid);
    EXPECT_EQ(getegid(), egid);
    imp::revert();
    EXPECT_EQ(snapshot(), before_) << describe(snapshot());
}

TEST_F(ImpersonationTest, NestedOsCredentialsRestoreEachLevel) {
    SKIP_WITHOUT_SETID_CAPABILITIES();
    const Snapshot first{kPeerUid, kPeerGid, {kSharedGroup}};
    const Snapshot second{kOtherUid, kOtherUid, {}};
    imp::impersonate(principal("first", account(kPeerUid, kPeerGid, {kSharedGroup})), os_options());
    imp::impersonate(principal("second", account(kOtherUid, kOtherUid, {})), os_options());
    EXPECT_EQ(snapshot(), second) << describe(snapshot());
    // A frame without os_credentials changes only the principal: the OS identity stays.
    auto third = principal("third");
    imp::impersonate(third, {});
    EXPECT_EQ(imp::current(), third);
    EXPECT_EQ(snapshot(), second) << describe(snapshot());
    imp::revert();
    EXPECT_EQ(snapshot(), second) << describe(snapshot());
    imp::revert();
    EXPECT_EQ(imp::current()->name(), "first");
    EXPECT_EQ(snapshot(), first) << describe(snapshot());
    imp::revert();
    EXPECT_EQ(snapshot(), before_) << describe(snapshot());
}

TEST_F(ImpersonationTest, RootAccountAllowedWithAllowRoot) {
    SKIP_WITHOUT_SETID_CAPABILITIES();
    imp::impersonate(principal("root", account(0, 0, {0})), os_options(/*allow_root=*/true));
    EXPECT_EQ(snapshot(), (Snapshot{0, 0, {0}})) << describe(snapshot());
    imp::revert();
    EXPECT_EQ(snapshot(), before_) << describe(snapshot());
}

TEST_F(ImpersonationTest, OtherThreadsKeepTheirOwnCredentials) {
    SKIP_WITHOUT_SETID_CAPABILITIES();
    // The other thread exists before this one impersonates (a new thread would inherit the
    // creating thread's credentials: see ThreadCreatedWhileImpersonatingInheritsFsCredentials).
    std::promise<void> impersonating;
    std::promise<std::pair<Snapshot, bool>> observed;
    std::thread other([&] {
        if (impersonating.get_future().wait_for(kWait) != std::future_status::ready) return;
        observed.set_value({snapshot(), imp::current() == nullptr});
    });
    imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {kSharedGroup})), os_options());
    impersonating.set_value();
    auto result = observed.get_future();
    bool ready = result.wait_for(kWait) == std::future_status::ready;
    Snapshot mine = snapshot();
    imp::revert();
    other.join();
    ASSERT_TRUE(ready) << "the other thread did not report within 10 s";
    auto [theirs, no_principal] = result.get();
    EXPECT_EQ(theirs, before_) << "the other thread's credentials changed: " << describe(theirs);
    EXPECT_TRUE(no_principal) << "the other thread sees this thread's principal";
    EXPECT_EQ(mine, (Snapshot{kPeerUid, kPeerGid, {kSharedGroup}})) << describe(mine);
}

// Documented behaviour, pinned: Linux copies the creating thread's credentials into a new
// thread, so a thread created while impersonating starts with the peer's filesystem ids — but
// with an empty principal stack, because the stack is thread_local. See docs/impersonation.md.
TEST_F(ImpersonationTest, ThreadCreatedWhileImpersonatingInheritsFsCredentials) {
    SKIP_WITHOUT_SETID_CAPABILITIES();
    imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {kSharedGroup})), os_options());
    Snapshot child_snapshot{};
    bool child_has_principal = true;
    std::thread spawned([&] {
        child_snapshot = snapshot();
        child_has_principal = imp::current() != nullptr;
    });
    spawned.join();
    imp::revert();
    EXPECT_EQ(child_snapshot, (Snapshot{kPeerUid, kPeerGid, {kSharedGroup}}))
        << describe(child_snapshot);
    EXPECT_FALSE(child_has_principal);
}

// ----- The kernel checks file access as the peer (forked children) ------------------------------

TEST_F(ImpersonationFileTest, RevertGivesBackRootsFileAccess) {
    // No capability dropped here: switching the fsuid away from 0 makes the kernel drop the
    // filesystem capabilities from the thread's effective set, and switching back restores them.
    ASSERT_TRUE(has_effective(CAP_DAC_OVERRIDE)) << "this test needs CAP_DAC_OVERRIDE; run as root";
    ASSERT_EQ(open_errno(root_only_), 0) << "root could not read its own 0600 file";
    imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {})), os_options());
    int during = open_errno(root_only_);
    imp::revert();
    EXPECT_EQ(during, EACCES) << "the peer read a root-only file: " << errno_name(during);
    EXPECT_EQ(open_errno(root_only_), 0) << "root could not read its file after revert";
    EXPECT_TRUE(has_effective(CAP_DAC_OVERRIDE)) << "revert did not give back CAP_DAC_OVERRIDE";
}

TEST_F(ImpersonationFileTest, FileAccessFollowsTheImpersonatingThreadOnly) {
    const std::string file = owner_only_;
    std::string failure = run_in_child([&]() -> std::string {
        std::string problem = drop_dac_capabilities();
        if (!problem.empty()) return problem;
        int before = open_errno(file);
        CHILD_CHECK(before == EACCES, "root without DAC capabilities read the owner-only file: " +
                                          errno_name(before));

        // Thread A impersonates; while it does, a thread started by the (non-impersonating)
        // main thread must still be refused, and A must still be allowed.
        std::promise<int> a_during;
        std::promise<void> b_done;
        std::promise<std::string> a_result;
        std::thread a([&] {
            std::string result;
            try {
                imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {})),
                                 os_options());
                a_during.set_value(open_errno(file));
                if (b_done.get_future().wait_for(kWait) != std::future_status::ready)
                    result = "thread B did not finish within 10 s";
                int still = open_errno(file);
                if (result.empty() && still != 0)
                    result = "after thread B ran, the impersonating thread lost access: " +
                             errno_name(still);
                imp::revert();
                int after = open_errno(file);
                if (result.empty() && after != EACCES)
                    result = "after revert the file was still readable: " + errno_name(after);
            } catch (const std::exception& e) {
                result = std::string("thread A: ") + e.what();
            }
            a_result.set_value(result);
        });
        auto during_future = a_during.get_future();
        if (during_future.wait_for(kWait) != std::future_status::ready) {
            a.join();  // A failed before impersonating; its result says why
            return "thread A did not impersonate: " + a_result.get_future().get();
        }
        int during = during_future.get();
        int b_errno = -1;
        bool b_has_principal = true;
        std::thread b([&] {
            b_errno = open_errno(file);
            b_has_principal = imp::current() != nullptr;
        });
        b.join();
        b_done.set_value();
        a.join();
        std::string a_failure = a_result.get_future().get();
        CHILD_CHECK(during == 0, "the impersonating thread could not read the peer's file: " +
                                     errno_name(during));
        CHILD_CHECK(b_errno == EACCES, "another thread read the file while one impersonated: " +
                                           errno_name(b_errno));
        CHILD_CHECK(!b_has_principal, "another thread saw the impersonated principal");
        CHILD_CHECK(a_failure.empty(), a_failure);
        return "";
    });
    EXPECT_EQ(failure, "");
}

TEST_F(ImpersonationFileTest, SupplementaryAndPrimaryGroupsGrantAccess) {
    const std::string group_file = group_only_, primary_file = primary_group_only_;
    std::string failure = run_in_child([&]() -> std::string {
        std::string problem = drop_dac_capabilities();
        if (!problem.empty()) return problem;
        int before = open_errno(group_file);
        CHILD_CHECK(before == EACCES, "root read the 0040 group file before impersonating: " +
                                          errno_name(before));

        imp::impersonate(principal("member", account(kPeerUid, kPeerGid, {kSharedGroup})),
                         os_options());
        int as_member = open_errno(group_file);
        imp::revert();
        CHILD_CHECK(as_member == 0, "a member of group 23456 could not read the group file: " +
                                        errno_name(as_member));
        int after = open_errno(group_file);
        CHILD_CHECK(after == EACCES, "the group file stayed readable after revert: " +
                                         errno_name(after));

        // The same account without the supplementary group is refused: the groups decide.
        imp::impersonate(principal("outsider", account(kPeerUid, kPeerGid, {})), os_options());
        int as_outsider = open_errno(group_file);
        int primary = open_errno(primary_file);  // root:12345 0040, readable through the fsgid
        imp::revert();
        CHILD_CHECK(as_outsider == EACCES, "a non-member read the group file: " +
                                               errno_name(as_outsider));
        CHILD_CHECK(primary == 0, "the primary group (fsgid) did not grant access: " +
                                      errno_name(primary));
        return "";
    });
    EXPECT_EQ(failure, "");
}

// A failed switch leaves the thread exactly as it was: groups and fsgid succeed, fsuid is
// refused (CAP_SETUID dropped), and the groups and fsgid are put back.
TEST_F(ImpersonationFileTest, FailedSwitchRollsBackCompletely) {
    struct Case {
        const char* what;
        int dropped;
    };
    for (const Case& c : {Case{"without CAP_SETUID", CAP_SETUID}, Case{"without CAP_SETGID", CAP_SETGID}}) {
        std::string failure = run_in_child([&]() -> std::string {
            std::string problem = drop_capabilities({c.dropped});
            if (!problem.empty()) return problem;
            Snapshot before = snapshot();
            auto error = error_of([] {
                imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {kSharedGroup})),
                                 os_options());
            });
            CHILD_CHECK(error.has_value(), "the switch succeeded without the capability");
            CHILD_CHECK(error->code() == SSX_E_OS_CREDENTIALS,
                        std::string("wrong code ") + ssx::error_name(error->code()));
            CHILD_CHECK(error->message().find("CAP_SETUID and CAP_SETGID") != std::string::npos,
                        "the message does not name the capabilities: " + error->message());
            CHILD_CHECK(snapshot() == before, "credentials not rolled back: " +
                                                  describe(snapshot()) + " instead of " +
                                                  describe(before));
            CHILD_CHECK(imp::current() == nullptr, "a frame was pushed for a failed switch");
            return "";
        });
        EXPECT_EQ(failure, "") << c.what;
    }
}

// Documented behaviour, pinned: a process forked by an impersonating thread starts with that
// thread's credentials (fork copies the calling thread) and its copy of the stack.
TEST_F(ImpersonationFileTest, ForkWhileImpersonatingInheritsTheThreadsCredentials) {
    const std::string file = owner_only_;
    std::string failure = run_in_child([&]() -> std::string {
        std::string problem = drop_dac_capabilities();
        if (!problem.empty()) return problem;
        imp::impersonate(principal("peer", account(kPeerUid, kPeerGid, {})), os_options());
        std::string grandchild = run_in_child([&]() -> std::string {
            int opened = open_errno(file);
            CHILD_CHECK(opened == 0, "the forked process lost the fs credentials: " +
                                         errno_name(opened));
            CHILD_CHECK(imp::current() != nullptr, "the forked process lost the principal");
            return "";
        });
        imp::revert();
        return grandchild;
    });
    EXPECT_EQ(failure, "");
}

}  // namespace
