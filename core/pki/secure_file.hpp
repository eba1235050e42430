// File writing for the development PKI: private keys must never be readable by others, not even
// for the moment between open() and chmod(), and a crash must never leave a half-written file
// under the final name. Internal to core/pki.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ssx::pki::detail {

// Creates `dir` with mode 0700 (parents as needed with the same mode) if it does not exist.
// An existing directory is used as it is. Throws ssx::Error(SSX_E_IO) naming the path and errno,
// or SSX_E_INVALID_ARGUMENT if `dir` exists but is not a directory.
void ensure_private_dir(const std::filesystem::path& dir);

// Creates `path` with open(O_CREAT|O_EXCL|O_NOFOLLOW, 0600) and writes `data` (fsync'd).
// Returns false, writing nothing, if `path` already exists (EEXIST): the caller decides what that
// means. Any other failure throws ssx::Error(SSX_E_IO); a partly written file is removed.
bool create_exclusive(const std::filesystem::path& path, std::string_view data);

// Writes `data` to a temporary file in the same folder (created 0600 by mkostemp), sets `mode`,
// fsyncs and renames it over `path`: readers see the old file or the new one, never a mix.
// Throws ssx::Error(SSX_E_IO) naming the path and errno; the temporary file is removed.
void replace_atomically(const std::filesystem::path& path, std::string_view data, unsigned mode);

// An exclusive flock() on a folder for as long as the object lives: two processes (or threads)
// replacing the same NAME.key/NAME.pem pair then cannot interleave into a mismatched pair.
// Throws ssx::Error(SSX_E_IO) naming the folder and errno.
class DirLock {
public:
    explicit DirLock(const std::filesystem::path& dir);
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;
    ~DirLock();

private:
    int fd_;
};

// The whole file; throws ssx::Error(SSX_E_IO) naming the path and errno.
std::string read_file(const std::filesystem::path& path);

}  // namespace ssx::pki::detail
