#include "demo_files.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "exit_codes.hpp"
#include "pump.hpp"

namespace ssx::cli::demo {

namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || !write_all(fd, text.data(), text.size())) {
        int e = errno;
        if (fd >= 0) ::close(fd);
        throw Failure(Exit::internal, "cannot write " + path.string() + ": " + std::strerror(e));
    }
    ::close(fd);
}

}  // namespace

std::string user_name(uid_t uid) {
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(16384);
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) return pw.pw_name;
    return "uid " + std::to_string(uid);
}

bool reachable_by(const std::filesystem::path& dir, uid_t uid, gid_t gid) {
    std::filesystem::path p = std::filesystem::absolute(dir);
    for (;;) {
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) return false;
        mode_t bit = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
        if (!(st.st_mode & bit)) return false;
        if (p == p.root_path()) return true;
        p = p.parent_path();
    }
}

AccessFiles make_access_files(const std::filesystem::path& dir, uid_t peer_uid, gid_t peer_gid) {
    AccessFiles f;
    f.server_only = dir / "server-only.txt";
    write_file(f.server_only, "secret of the server");
    f.peer_only = dir / "peer-only.txt";
    write_file(f.peer_only, "secret of " + user_name(peer_uid));
    if (::chown(f.peer_only.c_str(), peer_uid, peer_gid) != 0) f.peer_only.clear();
    return f;
}

std::string try_read(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return std::string("refused: ") + std::strerror(errno);
    char buf[128];
    ssize_t n = ::read(fd, buf, sizeof buf);
    int e = errno;
    ::close(fd);
    if (n < 0) return std::string("refused: ") + std::strerror(e);
    return "read \"" + std::string(buf, static_cast<size_t>(n)) + "\"";
}

}  // namespace ssx::cli::demo
