// The calling thread's filesystem credentials — fsuid, fsgid and supplementary groups — read and
// switched with raw per-thread syscalls. Linux keeps credentials per task (thread); glibc's
// setgroups()/setuid() wrappers deliberately broadcast the change to every thread of the process
// (POSIX semantics), so they must not be used here: the raw SYS_setgroups / SYS_setfsuid /
// SYS_setfsgid calls change the calling thread only, as Samba does. The real, effective and saved
// uid/gid are never touched, so the process keeps its privileges and can always switch back.
#pragma once

#include <cstdint>
#include <vector>

namespace ssx::impersonation {

struct ThreadCredentials {
    uint32_t fsuid = 0;
    uint32_t fsgid = 0;
    std::vector<uint32_t> groups;  // supplementary groups, in the kernel's (sorted) order
};

// The calling thread's current credentials. Throws ssx::Error(SSX_E_OS_CREDENTIALS) only if
// getgroups fails (it cannot, short of memory).
ThreadCredentials read_thread_credentials();

// Switches the calling thread to `target`: supplementary groups, then fsgid, then fsuid, each one
// read back to verify it took (setfsuid/setfsgid report no errors). A step whose value is already
// in place is skipped, so switching to the identity the thread already has needs no capability.
// `current` must be what read_thread_credentials() returned just before. On failure the steps
// already taken are undone in reverse, so the thread is exactly at `current`, and
// ssx::Error(SSX_E_OS_CREDENTIALS) names what is missing (CAP_SETUID/CAP_SETGID).
void switch_thread_credentials(const ThreadCredentials& target, const ThreadCredentials& current);

// Puts `saved` back: fsuid, then fsgid, then groups (the reverse of the switch). Every step is
// attempted even if an earlier one failed, so as much as possible is restored; then throws
// ssx::Error(SSX_E_OS_CREDENTIALS) describing the first failure.
void restore_thread_credentials(const ThreadCredentials& saved);

}  // namespace ssx::impersonation
