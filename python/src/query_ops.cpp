// Query, impersonation and the thread's token.
#include <cstring>
#include <memory>

#include <pybind11/pybind11.h>

#include "address.hpp"
#include "errors.hpp"
#include "gil.hpp"
#include "token.hpp"
#include "ssx/ssx.h"

namespace py = pybind11;

namespace ssxpy {

namespace {

py::object own(ssx_token* t) {
    if (!t) return py::none();
    return py::cast(std::make_unique<TokenHandle>(t));
}

// (protocol, flags, tls_version, tls_flags, verify_result, cipher, alpn, application token,
//  machine token); the package turns it into ssx.SecurityInfo.
py::tuple query(int fd, uint32_t access_mask) {
    ssx_query_template tmpl = SSX_QUERY_TEMPLATE_INIT;
    tmpl.peer_token_access_mask = access_mask;
    ssx_query_info info{};
    size_t len = sizeof info;
    Failure f;
    int r = without_gil([&] {
        int n = ssx_query_socket_security(fd, &tmpl, &info, &len);
        if (n != 0) f = capture_failure();
        return n;
    });
    if (r != 0) raise_failure(f);
    // Owned before anything else can raise, so an exception below never leaks a token.
    auto app = std::unique_ptr<TokenHandle>(info.peer_application_token ? new TokenHandle(info.peer_application_token) : nullptr);
    auto machine = std::unique_ptr<TokenHandle>(info.peer_machine_token ? new TokenHandle(info.peer_machine_token) : nullptr);
    py::str cipher = decode(info.cipher, strnlen(info.cipher, sizeof info.cipher), "surrogateescape");
    py::str alpn = decode(info.alpn, strnlen(info.alpn, sizeof info.alpn), "surrogateescape");
    py::object app_obj = app ? py::cast(std::move(app)) : py::none();
    py::object machine_obj = machine ? py::cast(std::move(machine)) : py::none();
    return py::make_tuple(info.protocol, info.flags, info.tls_version, info.tls_flags, info.verify_result, cipher,
                          alpn, app_obj, machine_obj);
}

void impersonate_socket_peer(int fd, const py::object& peer) {
    SockAddr a = to_sockaddr(peer);
    // Impersonation is per OS thread; releasing the GIL keeps the call on this thread.
    Failure f;
    int r = without_gil([&] {
        int n = ssx_impersonate_socket_peer(fd, a.ptr(), a.len);
        if (n != 0) f = capture_failure();
        return n;
    });
    if (r != 0) raise_failure(f);
}

void revert_impersonation() {
    if (ssx_revert_impersonation() != 0) raise_failure(capture_failure());
}

py::object get_thread_token() {
    ssx_token* t = nullptr;
    if (ssx_get_thread_token(&t) != 0) raise_failure(capture_failure());
    return own(t);
}

}  // namespace

void bind_query_ops(py::module_& m) {
    using py::arg;
    m.def("query_socket_security", &query, arg("fd"), arg("access_mask"));
    m.def("impersonate_socket_peer", &impersonate_socket_peer, arg("fd"), arg("peer"));
    m.def("revert_impersonation", &revert_impersonation);
    m.def("get_thread_token", &get_thread_token);
}

}  // namespace ssxpy
