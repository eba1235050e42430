#include "impersonation/thread_credentials.hpp"

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::impersonation {
namespace {

// On 32-bit architectures (i386, arm) the plain names are the legacy 16-bit-id calls and the
// "32" variants take full ids; 64-bit architectures have only the plain, 32-bit-id calls.
#ifdef SYS_setfsuid32
constexpr long kSetFsUid = SYS_setfsuid32;
constexpr long kSetFsGid = SYS_setfsgid32;
constexpr long kSetGroups = SYS_setgroups32;
constexpr long kGetGroups = SYS_getgroups32;
#else
constexpr long kSetFsUid = SYS_setfsuid;
constexpr long kSetFsGid = SYS_setfsgid;
constexpr long kSetGroups = SYS_setgroups;
constexpr long kGetGroups = SYS_getgroups;
#endif

static_assert(sizeof(gid_t) == sizeof(uint32_t), "the group syscalls take 32-bit ids");

// An invalid id ((uid_t)-1) makes setfsuid/setfsgid change nothing and return the current value:
// the only way to read the fsuid/fsgid without /proc.
constexpr unsigned long kInvalidId = 0xFFFFFFFFul;

constexpr const char* kNeedCapabilities =
    "The process needs CAP_SETUID and CAP_SETGID; run as root or grant them with setcap "
    "(setcap cap_setuid,cap_setgid+ep <program>). The ids must also be mapped in the process's "
    "user namespace.";

uint32_t fsuid() { return static_cast<uint32_t>(syscall(kSetFsUid, kInvalidId)); }
uint32_t fsgid() { return static_cast<uint32_t>(syscall(kSetFsGid, kInvalidId)); }

// setfsuid/setfsgid return the previous value whether or not the change was allowed, so success
// is known only by reading the value back.
bool set_fsuid(uint32_t uid) {
    syscall(kSetFsUid, static_cast<unsigned long>(uid));
    return fsuid() == uid;
}

bool set_fsgid(uint32_t gid) {
    syscall(kSetFsGid, static_cast<unsigned long>(gid));
    return fsgid() == gid;
}

// Returns 0 or the errno of the failed call.
int set_groups(const std::vector<uint32_t>& groups) {
    if (syscall(kSetGroups, static_cast<unsigned long>(groups.size()), groups.data()) != 0)
        return errno;
    return 0;
}

std::vector<uint32_t> get_groups() {
    // The list can change between the two calls only if another thread calls glibc's
    // setgroups() (which broadcasts); retry a few times rather than loop forever.
    for (int attempt = 0; attempt < 4; ++attempt) {
        long count = syscall(kGetGroups, 0ul, nullptr);
        if (count < 0) break;
        std::vector<uint32_t> groups(static_cast<size_t>(count));
        long got = syscall(kGetGroups, static_cast<unsigned long>(count), groups.data());
        if (got >= 0) {
            groups.resize(static_cast<size_t>(got));
            return groups;
        }
        if (errno != EINVAL) break;  // EINVAL: the list grew meanwhile
    }
    fail(SSX_E_OS_CREDENTIALS, errno,
         std::string("reading this thread's supplementary groups failed: ") + std::strerror(errno));
}

bool same_groups(std::vector<uint32_t> a, std::vector<uint32_t> b) {
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    return a == b;
}

std::string describe_groups(const std::vector<uint32_t>& groups) {
    constexpr size_t kShown = 8;
    std::string text = "[";
    for (size_t i = 0; i < groups.size() && i < kShown; ++i) {
        if (i) text += ", ";
        text += std::to_string(groups[i]);
    }
    if (groups.size() > kShown) text += ", ... (" + std::to_string(groups.size()) + " in all)";
    return text + "]";
}

std::string groups_problem(const std::vector<uint32_t>& groups, int err) {
    return "setting this thread's supplementary groups to " + describe_groups(groups) +
           " failed: " + std::strerror(err);
}

std::string id_problem(const char* what, uint32_t wanted, uint32_t now) {
    return std::string("switching this thread's filesystem ") + what + " to " +
           std::to_string(wanted) + " did not take effect (it is " + std::to_string(now) + ")";
}

}  // namespace

ThreadCredentials read_thread_credentials() {
    ThreadCredentials creds;
    creds.fsuid = fsuid();
    creds.fsgid = fsgid();
    creds.groups = get_groups();
    return creds;
}

void switch_thread_credentials(const ThreadCredentials& target, const ThreadCredentials& current) {
    // Groups, then fsgid, then fsuid: the usual order for dropping privileges. The fsuid, which
    // decides most access checks (and whose move away from 0 makes the kernel clear the
    // filesystem capabilities from the thread's effective set), changes last and comes back
    // first in restore_thread_credentials().
    bool groups_done = false;
    bool fsgid_done = false;
    std::string problem;
    int err = EPERM;

    if (!same_groups(target.groups, current.groups)) {
        err = set_groups(target.groups);
        if (err != 0)
            problem = groups_problem(target.groups, err);
        else
            groups_done = true;
    }
    if (problem.empty() && target.fsgid != current.fsgid) {
        if (set_fsgid(target.fsgid))
            fsgid_done = true;
        else
            problem = id_problem("gid", target.fsgid, fsgid());
    }
    if (problem.empty() && target.fsuid != current.fsuid && !set_fsuid(target.fsuid))
        problem = id_problem("uid", target.fsuid, fsuid());
    if (problem.empty()) return;

    // Undo exactly the steps that were taken, newest first. These re-set values the thread had
    // a moment ago with privileges it just used, so they cannot be refused; if one still fails
    // the thread is in a state nobody asked for and must not go on serving requests.
    std::string undo_problem;
    if (fsgid_done && !set_fsgid(current.fsgid))
        undo_problem = id_problem("gid", current.fsgid, fsgid());
    if (groups_done) {
        int undo_err = set_groups(current.groups);
        if (undo_err != 0 && undo_problem.empty())
            undo_problem = groups_problem(current.groups, undo_err);
    }
    if (!undo_problem.empty()) {
        fail(SSX_E_OS_CREDENTIALS, err,
             problem + "; undoing the partial switch also failed (" + undo_problem +
                 "), so this thread's credentials are inconsistent: stop using this thread and "
                 "terminate the process. " + kNeedCapabilities);
    }
    fail(SSX_E_OS_CREDENTIALS, err,
         problem + "; the thread's credentials are unchanged. " + kNeedCapabilities);
}

void restore_thread_credentials(const ThreadCredentials& saved) {
    std::string first_problem;
    int err = EPERM;
    auto note = [&](std::string problem, int problem_err) {
        if (first_problem.empty()) {
            first_problem = std::move(problem);
            err = problem_err;
        }
    };

    // fsuid first: going back to fsuid 0 re-raises the filesystem capabilities from the
    // permitted set, the exact reverse of the switch.
    if (fsuid() != saved.fsuid && !set_fsuid(saved.fsuid))
        note(id_problem("uid", saved.fsuid, fsuid()), EPERM);
    if (fsgid() != saved.fsgid && !set_fsgid(saved.fsgid))
        note(id_problem("gid", saved.fsgid, fsgid()), EPERM);
    if (!same_groups(get_groups(), saved.groups)) {
        int groups_err = set_groups(saved.groups);
        if (groups_err != 0) note(groups_problem(saved.groups, groups_err), groups_err);
    }
    if (!first_problem.empty()) {
        fail(SSX_E_OS_CREDENTIALS, err,
             "restoring this thread's credentials failed: " + first_problem + ". " +
                 kNeedCapabilities);
    }
}

}  // namespace ssx::impersonation
