// fork(): a child process never continues its parent's TLS session. The child inherits the secured
// descriptor, but sending or receiving on it would reuse the parent's keys and record sequence
// numbers and desynchronise the session (the peer rejects the parent's next record, or a reader
// steals the parent's data). So in the child ssx_send/ssx_recv fail with SSX_E_NOT_SECURED and a
// message naming the parent process, and ssx_close only closes the child's descriptor: no close_notify, no
// shutdown() of the shared socket. The parent's connection goes on untouched.
#include "../common/capabilities.hpp"
#include <sys/syscall.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace ssx::test {
namespace {

// True once every other thread of this process is blocked in the kernel (state 'S' in
// /proc/self/task/*/stat), checked twice in a row; false if that does not happen within `limit`.
bool other_threads_asleep(std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    const std::string self = std::to_string(::syscall(SYS_gettid));
    int quiet_rounds = 0;
    while (std::chrono::steady_clock::now() < give_up) {
        bool all_asleep = true;
        for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
            if (task.path().filename() == self) continue;
            std::ifstream stat(task.path() / "stat");
            std::string line;
            std::getline(stat, line);
            size_t close = line.rfind(')');
            if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'S') all_asleep = false;
        }
        quiet_rounds = all_asleep ? quiet_rounds + 1 : 0;
        if (quiet_rounds >= 2) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}


class ForkTest : public ::testing::Test {
protected:
    void SetUp() override {
        listener_ = listen_on(&server_);
        server_done_ = echo_once(listener_.fd());
        Outcome c;
        client_ = connect_client(client_id_, "server.test", listener_.address, &c);
        ASSERT_TRUE(succeeded(c));
        round_trip("before fork\n");
    }

    // The parent's connection still works: an echoed line comes back intact.
    void round_trip(const std::string& line) {
        ASSERT_TRUE(succeeded(send_text(client_.get(), line))) << "parent send";
        std::vector<unsigned char> back;
        Outcome r = recv_exact(client_.get(), line.size(), &back);
        ASSERT_TRUE(succeeded(r)) << "parent recv";
        EXPECT_EQ(std::string(back.begin(), back.end()), line);
    }

    // Ends the connection and returns everything the server received.
    std::string finish() {
        EXPECT_EQ(ssx_shutdown(client_.get(), SHUT_WR), 0) << ssx_last_error_message();
        std::string rest;
        recv_until_end(client_.get(), &rest);
        client_.reset();
        Served s = get_within(server_done_);
        EXPECT_EQ(s.end.result, 0) << "the server's view of the session: " << describe(s.end);
        return s.received;
    }

    Pki pki_;
    Identity server_ = identity(pki_, "server");
    Identity client_id_ = identity(pki_, "client");
    Listener listener_;
    std::future<Served> server_done_;
    Socket client_;
};

TEST_F(ForkTest, ChildCannotSendOrReceiveOnTheParentsSession) {
    const int fd = client_.get();
    std::string child = run_in_child([fd]() -> std::string {
        const std::string payload = "from the child\n";
        Outcome sent = outcome(ssx_send(fd, payload.data(), payload.size(), 0));
        char b;
        Outcome received = outcome(ssx_recv(fd, &b, 1, MSG_DONTWAIT));
        std::string problems;
        if (!failed_with(sent, SSX_E_NOT_SECURED, EACCES)) problems += "child ssx_send: " + describe(sent) + "\n";
        if (!mentions(sent.message, {"parent process", "forked child"})) {
            problems += "child ssx_send message: " + sent.message + "\n";
        }
        if (!failed_with(received, SSX_E_NOT_SECURED, EACCES)) problems += "child ssx_recv: " + describe(received) + "\n";
        return problems;
    });
    EXPECT_EQ(child, "");
    round_trip("after the child tried\n");
    EXPECT_EQ(finish(), "before fork\nafter the child tried\n") << "the server saw bytes from the child";
}

TEST_F(ForkTest, ChildClosingItsCopyDoesNotEndTheParentsConnection) {
    const int fd = client_.get();
    std::string child = run_in_child([fd]() -> std::string {
        Outcome closed = outcome(ssx_close(fd));
        return succeeded(closed) ? "" : "child ssx_close: " + describe(closed);
    });
    EXPECT_EQ(child, "");
    round_trip("after the child closed its copy\n");
    EXPECT_EQ(finish(), "before fork\nafter the child closed its copy\n");
}

// The child's own new connections work normally (fork does not break ssx in the child).
TEST_F(ForkTest, ChildCanMakeItsOwnSecuredConnection) {
    const Identity id = client_id_;
    Listener second = listen_on(&server_);
    auto srv = serve_once(second.fd());
    const Address to_second = second.address;
    // The new server thread must be parked in accept() before the fork: a thread caught inside
    // malloc would leave the allocator's lock held in the child (a fork of a threaded process may
    // only rely on what no other thread was using; GCC 12's ASan allocator shows it).
    ASSERT_TRUE(other_threads_asleep(std::chrono::seconds(5)));
    std::string child = run_in_child([id, to_second]() -> std::string {
        Outcome c;
        Socket fd = connect_client(id, "server.test", to_second, &c);
        if (!succeeded(c)) return "child connect: " + describe(c);
        Outcome s = send_text(fd.get(), "child's own\n");
        return succeeded(s) ? "" : "child send: " + describe(s);
    });
    EXPECT_EQ(child, "");
    Served s = get_within(srv);
    EXPECT_TRUE(succeeded(s.accept));
    EXPECT_EQ(s.received, "child's own\n");
    round_trip("parent still fine\n");
    finish();
}

}  // namespace
}  // namespace ssx::test
