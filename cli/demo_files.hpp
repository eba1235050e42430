// The files `ssx demo` uses to show OS-level impersonation honestly: a file only the server's
// account may read and one only the mapped account may read. Reading them from the impersonating
// thread shows the kernel checking access as the peer (when the fsuid leaves 0 the kernel also
// drops the thread's CAP_DAC_OVERRIDE, so root's "read everything" does not hide the effect).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace ssx::cli::demo {

struct AccessFiles {
    std::filesystem::path server_only;  // mode 0600, owned by the server's account
    std::filesystem::path peer_only;    // mode 0600, owned by the mapped account ("" if chown failed)
};

// True when an account with these ids may search every folder from / down to dir (mode bits; the
// demo shows file access only when a refusal can only come from the file's own mode).
bool reachable_by(const std::filesystem::path& dir, uid_t uid, gid_t gid);

// Creates both files in dir. The folder must let the mapped account search it (0711).
AccessFiles make_access_files(const std::filesystem::path& dir, uid_t peer_uid, gid_t peer_gid);

// open()+read() from the calling thread: "read \"...\"" or "refused: Permission denied".
std::string try_read(const std::filesystem::path& file);

// The account name for a uid ("uid N" if it has no name).
std::string user_name(uid_t uid);

}  // namespace ssx::cli::demo
