// The ordering rules and argument checks of the six operations, through libssx.so on real sockets:
// each broken rule gives its documented code, errno and a message saying what to do.
#include <sys/un.h>

#include <chrono>

#include "harness.hpp"

namespace ssx::test {
namespace {

using namespace std::chrono_literals;

class OrderingTest : public SharedPkiTest {
protected:

    Outcome secure(int fd, const Identity& id) {
        ssx_security_settings s = id.settings();
        return outcome(ssx_set_socket_security(fd, &s));
    }
    Outcome secure(int fd, const ssx_security_settings& s) { return outcome(ssx_set_socket_security(fd, &s)); }
    static Socket tcp(int family = AF_INET) { return Socket(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)); }
};


TEST_F(OrderingTest, SecurityIsSetOnlyOnce) {
    Socket fd = tcp();
    ASSERT_TRUE(succeeded(secure(fd.get(), client_)));
    Outcome o = secure(fd.get(), client_);
    EXPECT_TRUE(failed_with(o, SSX_E_ALREADY_SET, EALREADY));
    EXPECT_TRUE(mentions(o.message, {"once"}));
}

TEST_F(OrderingTest, SecurityAfterConnectIsRefused) {
    Listener l = listen_on(nullptr);
    Socket fd = tcp();
    ASSERT_EQ(::connect(fd.get(), l.address.sa(), l.address.len), 0);
    Outcome o = secure(fd.get(), client_);
    EXPECT_TRUE(failed_with(o, SSX_E_ALREADY_CONNECTED, EISCONN));
    EXPECT_TRUE(mentions(o.message, {"before connect"}));
    // And ssx_connect on it without security is refused too.
    EXPECT_TRUE(failed_with(connect_to(fd.get(), l.address), SSX_E_NO_SECURITY, EINVAL));
}

TEST_F(OrderingTest, SecurityAfterBindIsRefused) {
    for (bool listening : {false, true}) {
        Socket fd = tcp();
        Address any = loopback_address(AF_INET, 0);
        ASSERT_EQ(::bind(fd.get(), any.sa(), any.len), 0);
        if (listening) {
            ASSERT_EQ(::listen(fd.get(), 4), 0);
        }
        Outcome o = secure(fd.get(), server_);
        EXPECT_TRUE(failed_with(o, SSX_E_ALREADY_BOUND, EINVAL)) << "listening: " << listening;
        EXPECT_TRUE(mentions(o.message, {"before bind"}));
    }
}

TEST_F(OrderingTest, TargetNameOnAListenerIsRefused) {
    Listener l = listen_on(&server_);
    Outcome o = outcome(ssx_set_peer_target_name(l.fd(), nullptr, 0, "client.test"));
    EXPECT_TRUE(failed_with(o, SSX_E_LISTENING, EINVAL));
    EXPECT_TRUE(mentions(o.message, {"listening"}));
    EXPECT_TRUE(failed_with(outcome(ssx_delete_peer_target_name(l.fd(), nullptr, 0)), SSX_E_LISTENING, EINVAL));
    // ssx_connect on a listener, too.
    EXPECT_TRUE(failed_with(connect_to(l.fd(), l.address), SSX_E_LISTENING, EINVAL));
}

TEST_F(OrderingTest, TargetNameAfterConnectIsRefused) {
    Listener l = listen_on(&server_);
    auto srv = serve_once(l.fd());
    Outcome c;
    Socket fd = connect_client(client_, "server.test", l.address, &c);
    ASSERT_TRUE(succeeded(c));
    Outcome o = outcome(ssx_set_peer_target_name(fd.get(), nullptr, 0, "other.test"));
    EXPECT_TRUE(failed_with(o, SSX_E_ALREADY_CONNECTED, EISCONN));
    EXPECT_TRUE(mentions(o.message, {"before connect"}));
    EXPECT_TRUE(failed_with(outcome(ssx_delete_peer_target_name(fd.get(), nullptr, 0)), SSX_E_ALREADY_CONNECTED,
                            EISCONN));
    // A second connect, and security after connect.
    EXPECT_TRUE(failed_with(connect_to(fd.get(), l.address), SSX_E_ALREADY_CONNECTED, EISCONN));
    EXPECT_TRUE(failed_with(secure(fd.get(), client_), SSX_E_ALREADY_SET, EALREADY));
    fd.reset();
    EXPECT_TRUE(succeeded(get_within(srv).accept));
}

TEST_F(OrderingTest, OperationsWithoutSecurity) {
    Listener l = listen_on(nullptr);
    Socket fd = tcp();
    Outcome o = connect_to(fd.get(), l.address);
    EXPECT_TRUE(failed_with(o, SSX_E_NO_SECURITY, EINVAL));
    EXPECT_TRUE(mentions(o.message, {"ssx_set_socket_security"}));
    EXPECT_FALSE(connection_pending(l.fd(), 50ms)) << "a connection was made without security";
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), nullptr, 0, "server.test")),
                            SSX_E_NO_SECURITY, EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_accept(l.fd(), nullptr, nullptr)), SSX_E_NO_SECURITY, EINVAL));
    char b = 0;
    EXPECT_TRUE(failed_with(outcome(ssx_send(fd.get(), &b, 1, 0)), SSX_E_NO_SECURITY, EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_recv(fd.get(), &b, 1, 0)), SSX_E_NO_SECURITY, EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_impersonate_socket_peer(fd.get(), nullptr, 0)), SSX_E_NO_SECURITY, EINVAL));
}

TEST_F(OrderingTest, ConnectWithoutTargetNameMakesNoTcpConnection) {
    Listener l = listen_on(&server_);
    Socket fd(secured_client(client_, ""));
    Outcome o = connect_to(fd.get(), l.address);
    EXPECT_TRUE(failed_with(o, SSX_E_NO_TARGET_NAME, EDESTADDRREQ));
    EXPECT_TRUE(mentions(o.message, {"ssx_set_peer_target_name", "optional"}));
    EXPECT_FALSE(connection_pending(l.fd(), 100ms)) << "a TCP connection was made without a target name";
    // The socket is still usable once a name is set.
    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), nullptr, 0, "server.test"), 0) << ssx_last_error_message();
    auto srv = serve_once(l.fd());
    EXPECT_TRUE(succeeded(connect_to(fd.get(), l.address)));
    fd.reset();
    EXPECT_TRUE(succeeded(get_within(srv).accept));
}

TEST_F(OrderingTest, TargetNameForAnotherAddressDoesNotCount) {
    Listener l = listen_on(&server_);
    Socket fd(secured_client(client_, ""));
    Address elsewhere = loopback_address(AF_INET, static_cast<uint16_t>(l.port == 65535 ? 1 : l.port + 1));
    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), elsewhere.sa(), elsewhere.len, "server.test"), 0);
    EXPECT_TRUE(failed_with(connect_to(fd.get(), l.address), SSX_E_NO_TARGET_NAME, EDESTADDRREQ));
    EXPECT_FALSE(connection_pending(l.fd(), 50ms));
    // A name for exactly this address is used.
    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), l.address.sa(), l.address.len, "server.test"), 0);
    auto srv = serve_once(l.fd());
    EXPECT_TRUE(succeeded(connect_to(fd.get(), l.address)));
    fd.reset();
    get_within(srv);
}

TEST_F(OrderingTest, FailedTcpConnectKeepsTheTargetNames) {
    // ssx forgets a socket's target names once its TCP connection is under way (memory per idle
    // connection); a connect that fails before that must leave them in force for the next try.
    Address refused;
    {
        Listener gone = listen_on(nullptr);  // a loopback port that is closed again at once
        refused = gone.address;
    }
    for (const char* name : {"server.test", "wrong.test"}) {
        Listener l = listen_on(&server_);
        Socket fd(secured_client(client_, name));
        EXPECT_TRUE(failed_with(connect_to(fd.get(), refused), SSX_E_CONNECT, ECONNREFUSED)) << name;
        auto srv = serve_once(l.fd());
        Outcome o = connect_to(fd.get(), l.address);
        if (std::string(name) == "server.test") {
            EXPECT_TRUE(succeeded(o)) << o.message;
        } else {
            // Still checked against the name set before the failed attempt (not "no target name").
            EXPECT_TRUE(failed_with(o, SSX_E_NAME_MISMATCH, EACCES)) << o.message;
        }
        fd.reset();
        get_within(srv);
    }
}

TEST_F(OrderingTest, OptionalPeerNameVerificationAllowsNoTargetName) {
    ScopedEnv env("SSX_POLICY", pki_->policy("client", "[peer_name]\nverification = \"optional\"\n"));
    Listener l = listen_on(&server_);
    auto srv = serve_once(l.fd());
    Socket fd(secured_client(from_policy(), ""));
    EXPECT_TRUE(succeeded(connect_to(fd.get(), l.address)));
    Query q = query(fd.get(), SSX_TOKEN_QUERY);
    Token t(q.info.peer_application_token);
    EXPECT_EQ(text_or_null(ssx_token_name(t.get())), "spiffe://test/server") << "any trusted peer is accepted";
    fd.reset();
    EXPECT_TRUE(succeeded(get_within(srv).accept));
}

TEST_F(OrderingTest, QueryAndImpersonateNeedAConnection) {
    Socket fd(secured_client(client_, "server.test"));
    ssx_query_info info{};
    size_t len = sizeof info;
    Outcome q = outcome(ssx_query_socket_security(fd.get(), nullptr, &info, &len));
    EXPECT_TRUE(failed_with(q, SSX_E_NOT_CONNECTED, ENOTCONN));
    EXPECT_TRUE(mentions(q.message, {"not connected"}));
    EXPECT_TRUE(failed_with(outcome(ssx_impersonate_socket_peer(fd.get(), nullptr, 0)), SSX_E_NOT_CONNECTED,
                            ENOTCONN));
    char b = 0;
    EXPECT_TRUE(failed_with(outcome(ssx_send(fd.get(), &b, 1, 0)), SSX_E_NOT_CONNECTED, ENOTCONN));
    EXPECT_TRUE(failed_with(outcome(ssx_recv(fd.get(), &b, 1, 0)), SSX_E_NOT_CONNECTED, ENOTCONN));
    EXPECT_TRUE(failed_with(outcome(ssx_shutdown(fd.get(), SHUT_WR)), SSX_E_NOT_CONNECTED, ENOTCONN));
    // A listener is not a connection either.
    Listener l = listen_on(&server_);
    len = sizeof info;
    EXPECT_TRUE(failed_with(outcome(ssx_query_socket_security(l.fd(), nullptr, &info, &len)), SSX_E_NOT_CONNECTED,
                            ENOTCONN));
    EXPECT_TRUE(failed_with(outcome(ssx_impersonate_socket_peer(l.fd(), nullptr, 0)), SSX_E_NOT_CONNECTED,
                            ENOTCONN));
}

TEST_F(OrderingTest, SettingsAreValidated) {
    for (int32_t ipsec : {SSX_PROTOCOL_IPSEC, SSX_PROTOCOL_IPSEC2}) {
        Socket fd = tcp();
        ssx_security_settings s = client_.settings();
        s.protocol = ipsec;
        Outcome o = secure(fd.get(), s);
        EXPECT_TRUE(failed_with(o, SSX_E_NOT_SUPPORTED, EOPNOTSUPP)) << ipsec;
        EXPECT_TRUE(mentions(o.message, {"IPsec", "SSX_PROTOCOL_DEFAULT"}));
        // A refused call leaves the socket unsecured: it can be secured properly afterwards.
        EXPECT_TRUE(succeeded(secure(fd.get(), client_)));
    }
    {
        Socket fd = tcp();
        ssx_security_settings s = client_.settings();
        s.protocol = 3;  // Windows' SOCKET_SECURITY_PROTOCOL_INVALID
        EXPECT_TRUE(failed_with(secure(fd.get(), s), SSX_E_INVALID_ARGUMENT, EINVAL));
        s.protocol = SSX_PROTOCOL_TLS;
        s.flags = 0x4;
        Outcome o = secure(fd.get(), s);
        EXPECT_TRUE(failed_with(o, SSX_E_INVALID_ARGUMENT, EINVAL));
        EXPECT_TRUE(mentions(o.message, {"0x4"}));
        s.flags = 0;
        s.size = 8;
        o = secure(fd.get(), s);
        EXPECT_TRUE(failed_with(o, SSX_E_INVALID_ARGUMENT, EINVAL));
        EXPECT_TRUE(mentions(o.message, {"size"}));
        s.size = sizeof s;
        EXPECT_TRUE(succeeded(secure(fd.get(), s))) << "SSX_PROTOCOL_TLS with valid settings";
    }
    {
        // GUARANTEE_ENCRYPTION is accepted (TLS 1.3 always encrypts).
        Socket fd = tcp();
        ssx_security_settings s = client_.settings();
        s.flags = SSX_SETTINGS_GUARANTEE_ENCRYPTION;
        EXPECT_TRUE(succeeded(secure(fd.get(), s)));
    }
    EXPECT_EQ(ssx_security_settings_size(), sizeof(ssx_security_settings));
}

TEST_F(OrderingTest, OnlyTcpSocketsCanBeSecured) {
    Socket udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    Outcome o = secure(udp.get(), client_);
    EXPECT_TRUE(failed_with(o, SSX_E_NOT_SUPPORTED, EOPNOTSUPP));
    EXPECT_TRUE(mentions(o.message, {"datagram"}));

    Socket unix_stream(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    o = secure(unix_stream.get(), client_);
    EXPECT_TRUE(failed_with(o, SSX_E_UNSUPPORTED_SOCKET, EINVAL));
    EXPECT_TRUE(mentions(o.message, {"AF_INET"}));

    EXPECT_TRUE(failed_with(secure(-1, client_), SSX_E_BAD_DESCRIPTOR, EBADF));
    int closed = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::close(closed);
    EXPECT_TRUE(failed_with(secure(closed, client_), SSX_E_BAD_DESCRIPTOR, EBADF));

    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    o = secure(p[0], client_);
    EXPECT_TRUE(failed_with(o, SSX_E_NOT_SOCKET, ENOTSOCK));
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(p[1], nullptr, 0, "x.test")), SSX_E_NOT_SOCKET,
                            ENOTSOCK));
    ::close(p[0]);
    ::close(p[1]);
}

TEST_F(OrderingTest, DeletingTargetNames) {
    Socket fd(secured_client(client_, ""));
    Outcome o = outcome(ssx_delete_peer_target_name(fd.get(), nullptr, 0));
    EXPECT_TRUE(failed_with(o, SSX_E_NOT_FOUND, ENOENT));
    EXPECT_TRUE(mentions(o.message, {"any peer"}));

    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), nullptr, 0, "server.test"), 0);
    EXPECT_TRUE(succeeded(outcome(ssx_delete_peer_target_name(fd.get(), nullptr, 0))));
    EXPECT_TRUE(failed_with(outcome(ssx_delete_peer_target_name(fd.get(), nullptr, 0)), SSX_E_NOT_FOUND, ENOENT));

    // Per address; the unspecified address is the any-peer entry.
    Address a = loopback_address(AF_INET, 443);
    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), a.sa(), a.len, "server.test"), 0);
    EXPECT_TRUE(failed_with(outcome(ssx_delete_peer_target_name(fd.get(), nullptr, 0)), SSX_E_NOT_FOUND, ENOENT));
    EXPECT_TRUE(succeeded(outcome(ssx_delete_peer_target_name(fd.get(), a.sa(), a.len))));
    Address unspecified = loopback_address(AF_INET6, 0);
    reinterpret_cast<sockaddr_in6*>(&unspecified.storage)->sin6_addr = in6addr_any;
    ASSERT_EQ(ssx_set_peer_target_name(fd.get(), unspecified.sa(), unspecified.len, "server.test"), 0);
    EXPECT_TRUE(succeeded(outcome(ssx_delete_peer_target_name(fd.get(), nullptr, 0))));

    // A deleted name no longer counts: connect fails closed.
    Listener l = listen_on(&server_);
    EXPECT_TRUE(failed_with(connect_to(fd.get(), l.address), SSX_E_NO_TARGET_NAME, EDESTADDRREQ));
}

TEST_F(OrderingTest, TargetNameArguments) {
    Socket fd(secured_client(client_, ""));
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), nullptr, 0, nullptr)), SSX_E_NULL_POINTER,
                            EFAULT));
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), nullptr, 0, "")), SSX_E_INVALID_ARGUMENT,
                            EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), nullptr, 0, "*.server.test")),
                            SSX_E_INVALID_ARGUMENT, EINVAL));
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), nullptr, 16, "server.test")),
                            SSX_E_NULL_POINTER, EFAULT));
    Address a = loopback_address(AF_INET, 1);
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), a.sa(), 4, "server.test")),
                            SSX_E_BUFFER_TOO_SMALL, EMSGSIZE));
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    EXPECT_TRUE(failed_with(outcome(ssx_set_peer_target_name(fd.get(), reinterpret_cast<sockaddr*>(&un),
                                                             sizeof un, "server.test")),
                            SSX_E_ADDRESS_FAMILY, EAFNOSUPPORT));
}

}  // namespace
}  // namespace ssx::test
