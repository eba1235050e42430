// What the kernel says about the calling thread's credentials, read from /proc, so the demo and
// `ssx serve --impersonate` show (and check) the effect of impersonation instead of assuming it.
#pragma once

#include <sys/types.h>

#include <optional>

namespace ssx::cli {

struct FsIds {
    uid_t fsuid;
    gid_t fsgid;
};

// The filesystem uid and gid of the calling thread (/proc/thread-self/status, 4th field of the
// "Uid:" and "Gid:" lines); nullopt if /proc is not mounted.
std::optional<FsIds> thread_fs_ids();

// True when the process may switch credentials: CAP_SETUID and CAP_SETGID are in its effective set.
bool can_switch_credentials();

}  // namespace ssx::cli
