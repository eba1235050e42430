#include "pki/secure_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.hpp"
#include "ssx/ssx.h"

namespace ssx::pki::detail {
namespace {

[[noreturn]] void fail_io(const std::string& what, const std::filesystem::path& path, int err) {
    fail(SSX_E_IO, err, what + " " + path.string() + ": " + std::strerror(err));
}

// Closes the descriptor on every path; close() errors are reported by the explicit close().
class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }
    // Returns close()'s errno, or 0.
    int close() noexcept {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc == 0 ? 0 : errno;
    }

private:
    int fd_;
};

// Removes the file in the destructor unless release() was called: no stray file on error paths.
class UnlinkGuard {
public:
    explicit UnlinkGuard(std::filesystem::path path) : path_(std::move(path)) {}
    UnlinkGuard(const UnlinkGuard&) = delete;
    UnlinkGuard& operator=(const UnlinkGuard&) = delete;
    ~UnlinkGuard() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    void release() noexcept { path_.clear(); }

private:
    std::filesystem::path path_;
};

// write() until done (it may be partial or interrupted), then fsync so the data is on disk
// before the name points at it.
void write_all_and_sync(int fd, std::string_view data, const std::filesystem::path& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_io("cannot write", path, errno);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    if (::fsync(fd) != 0) fail_io("cannot fsync", path, errno);
}

// Makes a rename durable; best effort (some file systems refuse fsync on directories).
void sync_dir(const std::filesystem::path& dir) {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    ::close(fd);
}

}  // namespace

void ensure_private_dir(const std::filesystem::path& dir) {
    if (dir.empty()) fail(SSX_E_INVALID_ARGUMENT, "the PKI folder is empty; give a folder path");
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            fail(SSX_E_INVALID_ARGUMENT,
                 dir.string() + " exists and is not a folder; choose a folder");
        return;
    }
    if (errno != ENOENT) fail_io("cannot access", dir, errno);
    // Parents first (also 0700: they are new folders made for this PKI), then the folder itself.
    std::filesystem::path parent = dir.parent_path();
    if (!parent.empty() && parent != dir) ensure_private_dir(parent);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        fail_io("cannot create folder", dir, errno);
}

bool create_exclusive(const std::filesystem::path& path, std::string_view data) {
    // The mode is given to open() itself, so the file is never more open than 0600.
    int raw = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) {
        if (errno == EEXIST) return false;
        fail_io("cannot create", path, errno);
    }
    Fd fd(raw);
    UnlinkGuard guard(path);
    write_all_and_sync(fd.get(), data, path);
    if (int err = fd.close()) fail_io("cannot close", path, err);
    guard.release();
    sync_dir(path.parent_path());
    return true;
}

void replace_atomically(const std::filesystem::path& path, std::string_view data, unsigned mode) {
    // Hidden name in the same folder: rename() is atomic only within one file system.
    std::string tmpl =
        (path.parent_path() / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
    int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);  // creates the file 0600, O_EXCL
    if (raw < 0) fail_io("cannot create a temporary file for", path, errno);
    Fd fd(raw);
    std::filesystem::path tmp(tmpl);
    UnlinkGuard guard(tmp);
    if (mode != 0600 && ::fchmod(fd.get(), mode) != 0)
        fail_io("cannot set the mode of", tmp, errno);
    write_all_and_sync(fd.get(), data, tmp);
    if (int err = fd.close()) fail_io("cannot close", tmp, err);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        fail_io("cannot rename a temporary file to", path, errno);
    guard.release();
    sync_dir(path.parent_path());
}

DirLock::DirLock(const std::filesystem::path& dir)
    : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ < 0) fail_io("cannot open folder", dir, errno);
    // Held only around a few renames, so waiting here is brief.
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd_);
        fail_io("cannot lock folder", dir, err);
    }
}

DirLock::~DirLock() {
    ::close(fd_);
}  // closing releases the lock

std::string read_file(const std::filesystem::path& path) {
    int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0) fail_io("cannot open", path, errno);
    Fd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail_io("cannot stat", path, errno);
    // A PKI file is a few KB; anything huge is the wrong file, not something to load.
    constexpr off_t kMax = 1 << 20;
    if (!S_ISREG(st.st_mode) || st.st_size > kMax)
        fail(SSX_E_INVALID_ARGUMENT,
             path.string() + " is not a regular file of at most 1 MiB; it is not a PKI file");
    // Read straight into one buffer of the final size: a key leaves no copies in freed or stack
    // buffers (the caller cleanses this string).
    std::string out(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_io("cannot read", path, errno);
        }
        if (n == 0) break;  // shrank while being read: keep what is there
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
}

}  // namespace ssx::pki::detail
