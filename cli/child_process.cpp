#include "child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exit_codes.hpp"

extern char** environ;

namespace ssx::cli {

namespace {

// Only async-signal-safe calls between fork and exec (the server is multithreaded): no allocation,
// no locks. Everything the child needs is prepared before fork.
[[noreturn]] void child_fail(const char* what) {
    int e = errno;
    const char* reason = ::strerrordesc_np(e);  // a static string: no locale lookup, no lock
    if (!reason) reason = "unknown error";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, "ssx serve: child: ", 18);
    n = ::write(STDERR_FILENO, what, std::strlen(what));
    n = ::write(STDERR_FILENO, ": ", 2);
    n = ::write(STDERR_FILENO, reason, std::strlen(reason));
    n = ::write(STDERR_FILENO, "\n", 1);
    ::_exit(126);
}

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// The environment for the child: ours, minus anything the extra entries replace, plus them.
std::vector<std::string> child_environment(const ChildSpec& spec) {
    std::vector<std::string> out;
    for (char** e = environ; e && *e; ++e) {
        std::string entry = *e;
        bool replaced = false;
        for (const auto& extra : spec.extra_env) replaced = replaced || env_name(extra) == env_name(entry);
        if (!replaced) out.push_back(entry);
    }
    out.insert(out.end(), spec.extra_env.begin(), spec.extra_env.end());
    return out;
}

}  // namespace

Child spawn_child(const ChildSpec& spec) {
    std::vector<std::string> env = child_environment(spec);
    if (spec.account) {
        // A program run as another account should not believe it is still the server's user.
        std::vector<std::string> identity;
        passwd pw{};
        passwd* found = nullptr;
        std::vector<char> buf(16384);
        if (::getpwuid_r(spec.account->uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
            identity = {std::string("USER=") + pw.pw_name, std::string("LOGNAME=") + pw.pw_name,
                        std::string("HOME=") + pw.pw_dir};
        }
        for (const auto& entry : identity) {
            std::erase_if(env, [&](const std::string& e) { return env_name(e) == env_name(entry); });
            env.push_back(entry);
        }
    }
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string shell = "/bin/sh", dash_c = "-c", command = spec.command;
    char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
    const ChildAccount* account = spec.account ? &*spec.account : nullptr;

    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw Failure(Exit::internal, std::string("pipe: ") + std::strerror(errno));
    if (::pipe2(out, O_CLOEXEC) != 0) {
        int e = errno;
        ::close(in[0]);
        ::close(in[1]);
        throw Failure(Exit::internal, std::string("pipe: ") + std::strerror(e));
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
        throw Failure(Exit::internal, std::string("fork: ") + std::strerror(e));
    }
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);  // the server ignores SIGPIPE; a child program expects the default
        if (::dup2(in[0], STDIN_FILENO) < 0 || ::dup2(out[1], STDOUT_FILENO) < 0) child_fail("dup2");
        ::close_range(3, ~0U, 0);  // nothing of the server (listener, other connections, keys) leaks
        if (account) {
            // Order matters: groups and gid need CAP_SETGID, which setresuid to a non-root uid drops.
            if (::setgroups(account->groups.size(), account->groups.data()) != 0) child_fail("setgroups");
            if (::setresgid(account->gid, account->gid, account->gid) != 0) child_fail("setresgid");
            if (::setresuid(account->uid, account->uid, account->uid) != 0) child_fail("setresuid");
            if (::getuid() != account->uid || ::geteuid() != account->uid || ::getgid() != account->gid) {
                errno = EPERM;
                child_fail("switching to the peer's account");
            }
        }
        ::execve(argv[0], argv, envp.data());
        child_fail("execve /bin/sh");
    }
    ::close(in[0]);
    ::close(out[1]);
    return {pid, in[1], out[0]};
}

std::string wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return std::string("lost: ") + std::strerror(errno);
    }
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace ssx::cli
