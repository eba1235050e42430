// A child program (here: the openssl command) with its stdin and its merged stdout/stderr on pipes,
// for interop tests. Every wait is bounded; the destructor kills a program that is still running,
// so a stuck peer can never hang the suite. Started with posix_spawn (safe in a threaded process).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace ssx::test {

class Process {
public:
    using ms = std::chrono::milliseconds;

    explicit Process(const std::vector<std::string>& argv) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0) {
            error_ = std::string("pipe2: ") + std::strerror(errno);
            return;
        }
        if (::pipe2(out, O_CLOEXEC) != 0) {
            error_ = std::string("pipe2: ") + std::strerror(errno);
            ::close(in[0]);
            ::close(in[1]);
            return;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        posix_spawn_file_actions_adddup2(&actions, out[1], 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        int rc = ::posix_spawn(&pid_, argv.at(0).c_str(), &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        stdin_ = in[1];
        stdout_ = out[0];
        if (rc != 0) {
            pid_ = -1;
            error_ = "could not start " + argv[0] + ": " + std::strerror(rc);
        }
        for (const auto& a : argv) command_ += (command_.empty() ? "" : " ") + a;
    }

    ~Process() {
        close_stdin();
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            int status;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
        }
        if (stdout_ >= 0) ::close(stdout_);
    }

    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    bool started() const { return pid_ > 0; }
    const std::string& error() const { return error_; }
    const std::string& command() const { return command_; }

    bool write(const std::string& text) {
        if (stdin_ < 0) return false;
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n = ::write(stdin_, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }

    void close_stdin() {
        if (stdin_ >= 0) ::close(stdin_);
        stdin_ = -1;
    }

    // Reads output until it contains `needle` (true) or `limit` passes / the output ends (false).
    bool wait_for(const std::string& needle, ms limit = ms(10000)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (output_.find(needle) == std::string::npos) {
            if (!read_some(deadline)) return output_.find(needle) != std::string::npos;
        }
        return true;
    }

    // Waits for the program to end (reading its output meanwhile); its exit status, or -1 if it
    // was still running after `limit` (it is killed then).
    int wait_exit(ms limit = ms(10000)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (read_some(deadline)) {
        }
        while (pid_ > 0 && !exited_) {
            int status = 0;
            pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exited_ = true;
                status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                return -1;
            }
            ::usleep(10000);
        }
        return status_;
    }

    // Everything the program printed so far.
    const std::string& output() const { return output_; }

private:
    // One read with a deadline; false at end of output or when the deadline passes.
    bool read_some(std::chrono::steady_clock::time_point deadline) {
        if (stdout_ < 0) return false;
        auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd p{stdout_, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) return true;
        if (r <= 0) return false;
        char buf[4096];
        ssize_t n = ::read(stdout_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) return true;
        if (n <= 0) {
            ::close(stdout_);
            stdout_ = -1;
            return false;
        }
        output_.append(buf, static_cast<size_t>(n));
        return true;
    }

    pid_t pid_ = -1;
    int stdin_ = -1, stdout_ = -1;
    bool exited_ = false;
    int status_ = -1;
    std::string output_, error_, command_;
};

}  // namespace ssx::test
