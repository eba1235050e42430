// ssx._ssx: the C ABI of libssx.so (ssx/ssx.h) for Python. Thin on purpose: the ssx package on top
// checks arguments, resolves host names, applies socket timeouts and builds the Python objects.
// Every constant comes from ssx.h here, so the package never repeats a value.
#include <pybind11/pybind11.h>

#include "errors.hpp"
#include "token.hpp"
#include "ssx/ssx.h"

namespace py = pybind11;

namespace ssxpy {
void bind_socket_ops(py::module_& m);
void bind_query_ops(py::module_& m);
}  // namespace ssxpy

#define SSX_EXPORT(m, prefix, name) m.attr(#name) = prefix##name

PYBIND11_MODULE(_ssx, m) {
    m.doc() = "Low-level binding of libssx (ssx/ssx.h); use the ssx package instead.";

    m.attr("VERSION") = SSX_VERSION_STRING;  // the header this module was built with
    m.def("version", [] { return std::string(ssx_version()); }, "The run-time library version.");
    m.def("error_name", [](int code) { return std::string(ssx_error_name(code)); }, py::arg("code"));
    m.def("_set_error_factory", &ssxpy::set_error_factory, py::arg("factory"));

    SSX_EXPORT(m, SSX_, OK);
    SSX_EXPORT(m, SSX_, E_INVALID_ARGUMENT);
    SSX_EXPORT(m, SSX_, E_NULL_POINTER);
    SSX_EXPORT(m, SSX_, E_BUFFER_TOO_SMALL);
    SSX_EXPORT(m, SSX_, E_NOT_SOCKET);
    SSX_EXPORT(m, SSX_, E_BAD_DESCRIPTOR);
    SSX_EXPORT(m, SSX_, E_UNSUPPORTED_SOCKET);
    SSX_EXPORT(m, SSX_, E_ADDRESS_FAMILY);
    SSX_EXPORT(m, SSX_, E_NOT_SUPPORTED);
    SSX_EXPORT(m, SSX_, E_ALREADY_CONNECTED);
    SSX_EXPORT(m, SSX_, E_ALREADY_BOUND);
    SSX_EXPORT(m, SSX_, E_ALREADY_SET);
    SSX_EXPORT(m, SSX_, E_NOT_CONNECTED);
    SSX_EXPORT(m, SSX_, E_NOT_SECURED);
    SSX_EXPORT(m, SSX_, E_NO_SECURITY);
    SSX_EXPORT(m, SSX_, E_NOT_FOUND);
    SSX_EXPORT(m, SSX_, E_LISTENING);
    SSX_EXPORT(m, SSX_, E_ACCESS_DENIED);
    SSX_EXPORT(m, SSX_, E_POLICY);
    SSX_EXPORT(m, SSX_, E_NO_CREDENTIALS);
    SSX_EXPORT(m, SSX_, E_CREDENTIALS);
    SSX_EXPORT(m, SSX_, E_POLICY_FORBIDS);
    SSX_EXPORT(m, SSX_, E_HANDSHAKE);
    SSX_EXPORT(m, SSX_, E_PEER_UNTRUSTED);
    SSX_EXPORT(m, SSX_, E_NAME_MISMATCH);
    SSX_EXPORT(m, SSX_, E_CERT_EXPIRED);
    SSX_EXPORT(m, SSX_, E_NO_PEER_CERT);
    SSX_EXPORT(m, SSX_, E_NO_TARGET_NAME);
    SSX_EXPORT(m, SSX_, E_PROTOCOL_VERSION);
    SSX_EXPORT(m, SSX_, E_PEER_NOT_TLS);
    SSX_EXPORT(m, SSX_, E_TIMEOUT);
    SSX_EXPORT(m, SSX_, E_PEER_CLOSED);
    SSX_EXPORT(m, SSX_, E_PEER_REJECTED);
    SSX_EXPORT(m, SSX_, E_CONNECT);
    SSX_EXPORT(m, SSX_, E_CERT_NOT_YET_VALID);
    SSX_EXPORT(m, SSX_, E_WANT_READ);
    SSX_EXPORT(m, SSX_, E_WANT_WRITE);
    SSX_EXPORT(m, SSX_, E_IO);
    SSX_EXPORT(m, SSX_, E_SHUT_DOWN);
    SSX_EXPORT(m, SSX_, E_PROTOCOL);
    SSX_EXPORT(m, SSX_, E_IMPERSONATION_DENIED);
    SSX_EXPORT(m, SSX_, E_OS_CREDENTIALS);
    SSX_EXPORT(m, SSX_, E_NO_MEMORY);
    SSX_EXPORT(m, SSX_, E_INTERNAL);

    SSX_EXPORT(m, SSX_, PROTOCOL_DEFAULT);
    SSX_EXPORT(m, SSX_, PROTOCOL_IPSEC);
    SSX_EXPORT(m, SSX_, PROTOCOL_IPSEC2);
    SSX_EXPORT(m, SSX_, PROTOCOL_TLS);

    SSX_EXPORT(m, SSX_, SETTINGS_GUARANTEE_ENCRYPTION);
    SSX_EXPORT(m, SSX_, SETTINGS_ALLOW_INSECURE);

    SSX_EXPORT(m, SSX_, INFO_CONNECTION_SECURED);
    SSX_EXPORT(m, SSX_, INFO_CONNECTION_ENCRYPTED);
    SSX_EXPORT(m, SSX_, INFO_CONNECTION_IMPERSONATED);
    SSX_EXPORT(m, SSX_, TLS_RESUMED);

    SSX_EXPORT(m, SSX_, TOKEN_ASSIGN_PRIMARY);
    SSX_EXPORT(m, SSX_, TOKEN_DUPLICATE);
    SSX_EXPORT(m, SSX_, TOKEN_IMPERSONATE);
    SSX_EXPORT(m, SSX_, TOKEN_QUERY);
    SSX_EXPORT(m, SSX_, TOKEN_QUERY_SOURCE);
    SSX_EXPORT(m, SSX_, TOKEN_ADJUST_PRIVILEGES);
    SSX_EXPORT(m, SSX_, TOKEN_ADJUST_GROUPS);
    SSX_EXPORT(m, SSX_, TOKEN_ADJUST_DEFAULT);
    SSX_EXPORT(m, SSX_, TOKEN_ADJUST_SESSIONID);
    SSX_EXPORT(m, SSX_, TOKEN_READ);
    SSX_EXPORT(m, SSX_, TOKEN_ALL_ACCESS);

    ssxpy::bind_token(m);
    ssxpy::bind_socket_ops(m);
    ssxpy::bind_query_ops(m);
}
