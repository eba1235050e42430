#include "impersonation/impersonation.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "impersonation/thread_credentials.hpp"
#include "ssx/ssx.h"

namespace ssx::impersonation {
namespace {

// A bound on nesting: real code nests once or twice; hitting this means impersonations are not
// being reverted (a leak that would leave a pooled thread acting as an old peer).
constexpr std::size_t kMaxDepth = 64;

// The kernel's NGROUPS_MAX: setgroups() refuses longer lists.
constexpr std::size_t kMaxGroups = 65536;

// (uid_t)-1 / (gid_t)-1 mean "no change" to the kernel, never a real account.
constexpr uint32_t kInvalidId = 0xFFFFFFFFu;

struct Frame {
    std::shared_ptr<const identity::Principal> principal;
    bool switched = false;      // the OS credentials were switched by this frame
    ThreadCredentials saved;    // what to restore when switched
};

// Per thread by construction: each thread has its own stack, and the OS credentials it records
// are the calling thread's own (Linux keeps credentials per task).
thread_local std::vector<Frame> t_stack;

std::string who(const identity::Principal& principal) {
    if (!principal.name().empty()) return "peer '" + principal.name() + "'";
    if (!principal.fingerprint().empty()) return "peer " + principal.fingerprint();
    return "the peer";
}

// The credentials the thread takes on for `principal`, after checking the policy allows them.
ThreadCredentials target_for(const identity::Principal& principal, const Options& options) {
    const auto& account = principal.account();
    if (!account) {
        fail(SSX_E_IMPERSONATION_DENIED,
             who(principal) +
                 " is not mapped to a local account, and the policy sets [impersonation] "
                 "os_credentials = true; add an [[identity_map]] entry for it (or set "
                 "os_credentials = false to impersonate without switching OS credentials)");
    }
    if (account->uid == kInvalidId || account->gid == kInvalidId) {
        fail(SSX_E_INVALID_ARGUMENT,
             who(principal) + " is mapped to uid/gid 4294967295, which is not a valid account; "
                              "fix its [[identity_map]] entry");
    }
    for (uint32_t group : account->groups) {
        if (group == kInvalidId) {
            fail(SSX_E_INVALID_ARGUMENT,
                 who(principal) + " is mapped to supplementary group 4294967295, which is not a "
                                  "valid group; fix its [[identity_map]] entry or the group file");
        }
    }
    if (account->groups.size() > kMaxGroups) {
        fail(SSX_E_INVALID_ARGUMENT, who(principal) + " is mapped to " +
                                         std::to_string(account->groups.size()) +
                                         " supplementary groups; Linux allows at most 65536");
    }
    // Root's groups are as sensitive as root itself (root-owned group-readable files), so a
    // supplementary group 0 counts like gid 0.
    bool root_group = account->gid == 0;
    for (uint32_t group : account->groups) root_group = root_group || group == 0;
    if ((account->uid == 0 || root_group) && !options.allow_root) {
        fail(SSX_E_IMPERSONATION_DENIED,
             who(principal) + " is mapped to " +
                 (account->uid == 0 ? std::string("uid 0 (root)") : std::string("group 0 (root)")) +
                 ", which the policy refuses by default; if that is really intended, set "
                 "[impersonation] allow_root = true in the policy");
    }
    ThreadCredentials target;
    target.fsuid = account->uid;
    target.fsgid = account->gid;
    target.groups = account->groups;
    return target;
}

}  // namespace

void impersonate(std::shared_ptr<const identity::Principal> principal, const Options& options) {
    if (!principal) fail(SSX_E_NULL_POINTER, "impersonate: the principal is null (an ssx bug)");
    if (t_stack.size() >= kMaxDepth) {
        fail(SSX_E_INVALID_ARGUMENT,
             "this thread already has " + std::to_string(kMaxDepth) +
                 " nested impersonations; call ssx_revert_impersonation() after each "
                 "ssx_impersonate_socket_peer()");
    }

    Frame frame;
    frame.principal = std::move(principal);
    if (options.os_credentials) {
        ThreadCredentials target = target_for(*frame.principal, options);
        frame.saved = read_thread_credentials();
        frame.switched = true;
        // Reserve before switching so that recording the frame afterwards cannot throw: a
        // switched thread must never be left without the frame that knows how to switch back.
        t_stack.reserve(t_stack.size() + 1);
        try {
            switch_thread_credentials(target, frame.saved);  // rolls back itself on failure
        } catch (const Error&) {
            // If even the rollback failed, the thread is partly switched: keep the frame so that
            // current() tells the truth and ssx_revert_impersonation() can try again.
            bool unchanged = false;
            try {
                ThreadCredentials now = read_thread_credentials();
                unchanged = now.fsuid == frame.saved.fsuid && now.fsgid == frame.saved.fsgid &&
                            now.groups == frame.saved.groups;
            } catch (const Error&) {
            }
            if (!unchanged) t_stack.push_back(std::move(frame));  // capacity reserved: no throw
            throw;
        }
    } else {
        t_stack.reserve(t_stack.size() + 1);
    }
    t_stack.push_back(std::move(frame));  // no allocation: capacity reserved above
}

void revert() {
    if (t_stack.empty()) return;  // as WSARevertImpersonation: not impersonating, nothing happens
    Frame& frame = t_stack.back();
    if (frame.switched) {
        try {
            restore_thread_credentials(frame.saved);
        } catch (const Error& error) {
            // The frame stays: the thread still (partly) acts as the peer, and current() must
            // keep saying so. Windows gives the same advice for a failed RevertToSelf.
            fail(error.code(), error.sys_errno(),
                 error.message() + " This thread still acts as " + who(*frame.principal) +
                     "; stop using it and terminate the process.");
        }
    }
    t_stack.pop_back();
}

std::shared_ptr<const identity::Principal> current() {
    return t_stack.empty() ? nullptr : t_stack.back().principal;
}

}  // namespace ssx::impersonation
