// Problem formatting and reading policy files from disk (bounded, non-blocking, regular files
// only).
#include "policy/policy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "policy/policy_internal.hpp"

namespace ssx::policy {

std::string Problem::to_string() const {
    // "file:line:column: key: message", leaving out whatever is unknown.
    std::string location = file;
    auto append = [&location](int n) {
        if (!location.empty()) location += ':';
        location += std::to_string(n);
    };
    if (line > 0) {
        append(line);
        if (column > 0) append(column);
    }
    std::string out = location;
    for (const std::string* part : {&key, &message}) {
        if (part->empty()) continue;
        if (!out.empty()) out += ": ";
        out += *part;
    }
    return out;
}

namespace detail {

namespace {

// Closes the descriptor on every path out of read_policy_text.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::int64_t to_ns(const timespec& ts) {
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

std::optional<Problem> read_policy_text(const std::filesystem::path& file, std::string& text,
                                        FileIdentity* identity) {
    auto problem = [&file](std::string message) {
        return Problem{file.string(), 0, 0, "", std::move(message)};
    };
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    Fd f{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
    if (f.fd < 0) {
        int e = errno;
        return problem(std::string("cannot read the policy file: ") + std::strerror(e) +
                       "; check the path (SSX_POLICY) and the file's permissions");
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) {
        int e = errno;
        return problem(std::string("cannot read the policy file: ") + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        return problem("is not a regular file; point SSX_POLICY at a TOML policy file");
    }
    if (static_cast<std::uint64_t>(st.st_size) > kMaxPolicyBytes) {
        return problem("is " + std::to_string(st.st_size) +
                       " bytes, larger than the 1 MiB limit for a policy file; check that "
                       "SSX_POLICY names the right file");
    }
    // Read in a loop up to one byte past the limit: the size can change between fstat and read.
    std::string data;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(f.fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            return problem(std::string("cannot read the policy file: ") + std::strerror(e));
        }
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > kMaxPolicyBytes) {
            return problem("grew past the 1 MiB limit for a policy file while being read");
        }
    }
    if (identity != nullptr) {
        *identity =
            FileIdentity{st.st_dev, st.st_ino, st.st_size, to_ns(st.st_mtim), to_ns(st.st_ctim)};
    }
    text = std::move(data);
    return std::nullopt;
}

}  // namespace detail

LoadResult load_file(const std::filesystem::path& file) {
    std::string text;
    if (auto problem = detail::read_policy_text(file, text, nullptr)) {
        LoadResult result;
        result.problems.push_back(std::move(*problem));
        return result;
    }
    return parse(text, file);
}

}  // namespace ssx::policy
