// The mapping table SSX_E_* / errno → WSAE* (capi/src/winsock_errors.cpp), code by code. Some rows
// cannot be produced through the API on purpose (WSARevertImpersonation's WSASYSCALLFAILURE needs
// the kernel to refuse restoring credentials), so the table itself is checked here.
#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "capi/src/winsock_errors.hpp"
#include "common/error.hpp"

namespace ssx::winsock {
namespace {

TEST(ErrorMap, EveryNativeCode) {
    const struct {
        int ssx;
        int wsa;
    } expected[] = {
        {SSX_OK, 0},
        {SSX_E_INVALID_ARGUMENT, WSAEINVAL},
        {SSX_E_NULL_POINTER, WSAEFAULT},
        {SSX_E_BUFFER_TOO_SMALL, WSAEMSGSIZE},
        {SSX_E_NOT_SOCKET, WSAENOTSOCK},
        {SSX_E_BAD_DESCRIPTOR, WSAENOTSOCK},
        {SSX_E_UNSUPPORTED_SOCKET, WSAEINVAL},
        {SSX_E_ADDRESS_FAMILY, WSAEAFNOSUPPORT},
        {SSX_E_NOT_SUPPORTED, WSAEOPNOTSUPP},
        {SSX_E_ALREADY_CONNECTED, WSAEISCONN},
        {SSX_E_ALREADY_BOUND, WSAEINVAL},
        {SSX_E_ALREADY_SET, WSAEINVAL},
        {SSX_E_NOT_CONNECTED, WSAENOTCONN},
        {SSX_E_NOT_SECURED, WSAEACCES},
        {SSX_E_NO_SECURITY, WSAEINVAL},
        {SSX_E_NOT_FOUND, WSAEINVAL},
        {SSX_E_LISTENING, WSAEINVAL},
        {SSX_E_ACCESS_DENIED, WSAEACCES},
        {SSX_E_POLICY, WSAEINVAL},
        {SSX_E_NO_CREDENTIALS, WSAEINVAL},
        {SSX_E_CREDENTIALS, WSAEINVAL},
        {SSX_E_POLICY_FORBIDS, WSAEACCES},
        {SSX_E_HANDSHAKE, WSAECONNABORTED},
        {SSX_E_PEER_UNTRUSTED, WSAEACCES},
        {SSX_E_NAME_MISMATCH, WSAEACCES},
        {SSX_E_CERT_EXPIRED, WSAEACCES},
        {SSX_E_NO_PEER_CERT, WSAEACCES},
        {SSX_E_NO_TARGET_NAME, WSAEDESTADDRREQ},
        {SSX_E_PROTOCOL_VERSION, WSAEPROTONOSUPPORT},
        {SSX_E_PEER_NOT_TLS, WSAECONNABORTED},
        {SSX_E_TIMEOUT, WSAETIMEDOUT},
        {SSX_E_PEER_CLOSED, WSAECONNRESET},
        {SSX_E_PEER_REJECTED, WSAEACCES},
        {SSX_E_CERT_NOT_YET_VALID, WSAEACCES},
        {SSX_E_WANT_READ, WSAEWOULDBLOCK},
        {SSX_E_WANT_WRITE, WSAEWOULDBLOCK},
        {SSX_E_SHUT_DOWN, WSAESHUTDOWN},
        {SSX_E_PROTOCOL, WSAECONNABORTED},
        {SSX_E_IMPERSONATION_DENIED, WSAEACCES},
        {SSX_E_OS_CREDENTIALS, WSASYSCALLFAILURE},
        {SSX_E_NO_MEMORY, WSAENOBUFS},
        {SSX_E_INTERNAL, WSASYSCALLFAILURE},
    };
    int checked = 0;
    for (const auto& row : expected) {
        EXPECT_EQ(wsa_code_for(row.ssx, 0), row.wsa) << ssx::error_name(row.ssx);
        ++checked;
    }
    // Every code the native API defines has a row (a new code must be added to the table).
    int defined = 0;
    for (int code = 0; code < 256; ++code) {
        if (std::string(ssx::error_name(code)) != "SSX_E_UNKNOWN") ++defined;
    }
    EXPECT_EQ(defined, checked + 2);  // + SSX_E_CONNECT and SSX_E_IO, mapped through errno below
}

TEST(ErrorMap, CodesCarryingErrno) {
    EXPECT_EQ(wsa_code_for(SSX_E_CONNECT, ECONNREFUSED), WSAECONNREFUSED);
    EXPECT_EQ(wsa_code_for(SSX_E_CONNECT, ETIMEDOUT), WSAETIMEDOUT);
    EXPECT_EQ(wsa_code_for(SSX_E_CONNECT, ENETUNREACH), WSAENETUNREACH);
    EXPECT_EQ(wsa_code_for(SSX_E_IO, ECONNRESET), WSAECONNRESET);
    EXPECT_EQ(wsa_code_for(SSX_E_IO, EAGAIN), WSAEWOULDBLOCK);
    EXPECT_EQ(wsa_code_for(SSX_E_IO, EIO), WSASYSCALLFAILURE);
}

TEST(ErrorMap, Errno) {
    EXPECT_EQ(wsa_code_for_errno(EINTR), WSAEINTR);
    EXPECT_EQ(wsa_code_for_errno(EBADF), WSAENOTSOCK);
    EXPECT_EQ(wsa_code_for_errno(EINPROGRESS), WSAEWOULDBLOCK);
    EXPECT_EQ(wsa_code_for_errno(EMFILE), WSAEMFILE);
    EXPECT_EQ(wsa_code_for_errno(EADDRINUSE), WSAEADDRINUSE);
    EXPECT_EQ(wsa_code_for_errno(EAFNOSUPPORT), WSAEAFNOSUPPORT);
    EXPECT_EQ(wsa_code_for_errno(EHOSTUNREACH), WSAEHOSTUNREACH);
    EXPECT_EQ(wsa_code_for_errno(EPIPE), WSAECONNRESET);
    EXPECT_EQ(wsa_code_for_errno(0), WSASYSCALLFAILURE);
    EXPECT_EQ(wsa_code_for_errno(-5), WSASYSCALLFAILURE);
    EXPECT_EQ(wsa_code_for(-1, 0), WSASYSCALLFAILURE);
    EXPECT_EQ(wsa_code_for(1000000, 0), WSASYSCALLFAILURE);
}

}  // namespace
}  // namespace ssx::winsock
