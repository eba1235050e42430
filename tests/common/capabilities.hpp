// Shared by tests that check OS-level impersonation: the calling thread's capabilities (raw
// capget/capset, no libcap), dropping the DAC-override capabilities so that file modes decide even
// for root, and running a test body in a forked child so capability drops and credential switches
// can never leak into the test process.
#pragma once

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <string>

namespace ssx::test {

struct Capabilities {
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
};

inline bool get_capabilities(Capabilities& caps) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    return syscall(SYS_capget, &header, caps.data) == 0;
}

// Is `cap` in the calling thread's effective set?
inline bool has_effective(int cap) {
    Capabilities caps;
    return get_capabilities(caps) && (caps.data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

// Removes `drop` from the calling thread's effective and permitted sets, for good (a thread cannot
// regain a permitted capability); threads created afterwards inherit the reduced sets.
// Returns "" or what failed.
inline std::string drop_capabilities(std::initializer_list<int> drop) {
    Capabilities caps;
    if (!get_capabilities(caps)) return std::string("capget failed: ") + std::strerror(errno);
    for (int cap : drop) {
        caps.data[cap / 32].effective &= ~(1u << (cap % 32));
        caps.data[cap / 32].permitted &= ~(1u << (cap % 32));
    }
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capset, &header, caps.data) != 0) return std::string("capset failed: ") + std::strerror(errno);
    for (int cap : drop)
        if (has_effective(cap)) return "capability " + std::to_string(cap) + " is still effective";
    return "";
}

// Root reads any file through CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: drop both, keep
// CAP_SETUID/CAP_SETGID (needed to switch credentials). Returns "" or what failed.
inline std::string drop_dac_capabilities() {
    std::string problem = drop_capabilities({CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH});
    if (!problem.empty()) return "dropping CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH: " + problem;
    if (!has_effective(CAP_SETUID) || !has_effective(CAP_SETGID))
        return "CAP_SETUID/CAP_SETGID were lost with the DAC capabilities";
    return "";
}

// Can this process switch OS credentials (and create files for other owners)?
inline bool can_switch_credentials() {
    return has_effective(CAP_SETUID) && has_effective(CAP_SETGID) && has_effective(CAP_CHOWN);
}

// Runs `body` in a forked child; alarm(timeout) bounds it. body returns "" on success or what went
// wrong, which the child sends back through a pipe. Returns "" or the failure. Fork only while the
// calling process has no other threads running (a lock held by one would stay held in the child).
inline std::string run_in_child(const std::function<std::string()>& body, unsigned timeout_seconds = 30) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe2: ") + std::strerror(errno);
    pid_t pid = ::fork();
    if (pid < 0) return std::string("fork: ") + std::strerror(errno);
    if (pid == 0) {
        ::close(fds[0]);
        ::alarm(timeout_seconds);
        std::string result;
        try {
            result = body();
        } catch (const std::exception& e) {
            result = std::string("unexpected exception: ") + e.what();
        } catch (...) {
            result = "unexpected exception";
        }
        if (!result.empty()) (void)!::write(fds[1], result.data(), result.size());
        ::_exit(result.empty() ? 0 : 1);  // no atexit handlers: they belong to the test process
    }
    ::close(fds[1]);
    std::string message;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {  // EOF when the child ends
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        message.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        return "child killed by signal " + std::to_string(WTERMSIG(status)) +
               (WTERMSIG(status) == SIGALRM ? " (timed out)" : "") + ". " + message;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return message.empty() ? "child failed without a message" : message;
    return "";
}

// In a child body: return a failure message unless `cond` holds.
#define SSX_CHILD_CHECK(cond, what)                                      \
    do {                                                                 \
        if (!(cond)) return std::string(what) + " [" #cond "]";          \
    } while (0)

}  // namespace ssx::test
