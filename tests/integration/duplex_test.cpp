// Full duplex on one connection from two threads per end: one thread sends 32 MiB while another
// receives 32 MiB, at both ends at once, every byte checked. If a blocked reader held the lock a
// writer needs (or the reverse), both ends would fill their buffers and stall: the bounded waits
// turn that into a failure instead of a hang.
#include <chrono>

#include "harness.hpp"

namespace ssx::test {
namespace {

constexpr size_t kTotal = 32u << 20;

// Sends `data` in uneven chunks.
Outcome send_chunks(int fd, const std::vector<unsigned char>& data) {
    size_t done = 0, chunk = 777;
    while (done < data.size()) {
        size_t n = std::min(chunk, data.size() - done);
        Outcome o = send_all(fd, data.data() + done, n);
        if (!succeeded(o)) return o;
        done += n;
        chunk = chunk * 7 % 300007 + 1;
    }
    return outcome(static_cast<long>(done));
}

TEST(Duplex, TwoThreadsPerEndSendAndReceiveSimultaneously) {
    Pki pki;
    Identity server = identity(pki, "server"), client = identity(pki, "client");
    const std::vector<unsigned char> upstream = pattern(kTotal, 1);    // client -> server
    const std::vector<unsigned char> downstream = pattern(kTotal, 2);  // server -> client
    Listener l = listen_on(&server);

    auto srv = serve_once(l.fd(), [&](int fd, Served& s) {
        auto sender = on_thread([&] { return send_chunks(fd, downstream); });
        std::vector<unsigned char> got;
        s.end = recv_exact(fd, kTotal, &got);
        Outcome sent = get_within(sender, std::chrono::seconds(90));
        EXPECT_TRUE(succeeded(sent)) << "server sender";
        EXPECT_TRUE(succeeded(s.end)) << "server receiver";
        EXPECT_EQ(got.size(), kTotal);
        EXPECT_EQ(first_difference(got, upstream), -1) << "upstream bytes differ";
        char b;
        Outcome end = outcome(ssx_recv(fd, &b, 1, 0));
        EXPECT_EQ(end.result, 0) << "server: " << describe(end);
    });

    Outcome c;
    Socket fd = connect_client(client, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    auto sender = on_thread([&] {
        Outcome o = send_chunks(fd.get(), upstream);
        if (succeeded(o) && ssx_shutdown(fd.get(), SHUT_WR) != 0) return outcome(-1);
        return o;
    });
    std::vector<unsigned char> got;
    Outcome r = recv_exact(fd.get(), kTotal, &got);
    Outcome w = get_within(sender, std::chrono::seconds(90));
    EXPECT_TRUE(succeeded(w)) << "client sender";
    EXPECT_TRUE(succeeded(r)) << "client receiver";
    EXPECT_EQ(got.size(), kTotal);
    EXPECT_EQ(first_difference(got, downstream), -1) << "downstream bytes differ";
    char b;
    EXPECT_EQ(ssx_recv(fd.get(), &b, 1, 0), 0) << "client: " << ssx_last_error_message();
    Served s = get_within(srv, std::chrono::seconds(90));
    EXPECT_TRUE(succeeded(s.accept));
}

}  // namespace
}  // namespace ssx::test
