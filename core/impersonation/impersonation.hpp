// Per-thread impersonation: a stack of (principal, saved credentials) frames owned by the calling
// thread. With OS credentials, the thread's filesystem uid/gid and supplementary groups switch by
// raw per-thread syscalls (SYS_setfsuid, SYS_setfsgid, SYS_setgroups — glibc's setgroups() would
// change every thread), as Samba does; other threads are unaffected.
#pragma once

#include <memory>

#include "identity/principal.hpp"

namespace ssx::impersonation {

struct Options {
    bool os_credentials = false;  // policy [impersonation] os_credentials
    bool allow_root = false;      // policy [impersonation] allow_root
};

// Pushes a frame: the thread now acts as `principal`. When options.os_credentials is true the
// principal must have an account (else SSX_E_IMPERSONATION_DENIED "peer X is not mapped to a local
// account; add an [[identity_map]] entry"), uid 0 / gid 0 need allow_root (else
// SSX_E_IMPERSONATION_DENIED), and the switch is verified (SSX_E_OS_CREDENTIALS naming the missing
// capability). On any failure the thread's state is exactly as before.
void impersonate(std::shared_ptr<const identity::Principal> principal, const Options& options);

// Pops the latest frame and restores exactly the previous fsuid, fsgid and groups. No frame: does
// nothing. Throws SSX_E_OS_CREDENTIALS only if restoring fails (should never happen).
void revert();

// The principal of the latest frame on this thread, or nullptr.
std::shared_ptr<const identity::Principal> current();

}  // namespace ssx::impersonation
