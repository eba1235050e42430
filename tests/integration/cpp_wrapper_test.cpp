// The header-only C++ wrapper (ssx/ssx.hpp): RAII sockets and tokens, exceptions with codes.
#include "ssx/ssx.hpp"

#include "harness.hpp"

namespace ssx::test {
namespace {

TEST(CppWrapper, ExchangeQueryAndImpersonation) {
    Pki pki;
    Identity server_id = identity(pki, "server"), client_id = identity(pki, "client");
    uint16_t port;
    int listen_fd = secured_listener(&server_id, &port);
    ssx::socket listener(listen_fd);

    auto srv = on_thread([&] {
        ssx::socket conn = listener.accept();
        char buf[5] = {};
        size_t got = 0;
        while (got < 4) got += conn.recv(buf + got, 4 - got);
        ssx::security_info info = conn.query(SSX_TOKEN_QUERY);
        std::string as_whom;
        {
            ssx::impersonation scope(conn.fd());
            as_whom = ssx::thread_token().name();
        }
        bool reverted = !ssx::thread_token();
        conn.send_all(buf, 4);
        return info.secured() && info.peer.name() == "spiffe://test/client" && as_whom == info.peer.name() &&
               reverted;
    });

    ssx_security_settings s = client_id.settings();
    ssx::socket client = ssx::socket::stream(AF_INET);
    client.set_security(&s);
    client.set_peer_target_name("server.test");
    client.connect(loopback(port));
    client.send_all("ping", 4);
    char back[5] = {};
    size_t got = 0;
    while (got < 4) got += client.recv(back + got, 4 - got);
    EXPECT_STREQ(back, "ping");
    ssx::security_info info = client.query(SSX_TOKEN_QUERY);
    EXPECT_TRUE(info.encrypted());
    EXPECT_EQ(info.tls_version, 0x0304u);
    EXPECT_EQ(info.peer.spiffe_id().value_or(""), "spiffe://test/server");
    EXPECT_EQ(info.peer.fingerprint().size(), 64u);
    EXPECT_FALSE(info.peer.chain().empty());
    EXPECT_FALSE(info.peer.unix_account().has_value());
    EXPECT_TRUE(get_within(srv));
}

TEST(CppWrapper, FailuresThrowWithCodeErrnoAndMessage) {
    ssx::socket s = ssx::socket::stream(AF_INET);
    try {
        s.set_peer_target_name("db.corp");  // before set_security: an ordering error
        FAIL() << "no exception";
    } catch (const ssx::error& e) {
        EXPECT_EQ(e.ssx_code(), SSX_E_NO_SECURITY);
        EXPECT_STREQ(e.ssx_code_name(), "SSX_E_NO_SECURITY");
        EXPECT_EQ(e.code().value(), EINVAL);
        EXPECT_NE(std::string(e.what()).find("ssx_set_socket_security"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace ssx::test
