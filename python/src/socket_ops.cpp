// The secure socket operations: settings, target names, connect/accept/handshake, the data path,
// shutdown and close. Every call that can block runs without the GIL (blocking.hpp); arguments
// are checked for type and range by the Python package before they get here.
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "address.hpp"
#include "blocking.hpp"
#include "buffer.hpp"
#include "errors.hpp"
#include "gil.hpp"
#include "ssx/ssx.h"

namespace py = pybind11;

namespace ssxpy {

namespace {

using Text = std::optional<std::string>;

// A C string argument. An embedded NUL would silently cut the value short (another file, another
// name), so it is refused. The pointer lives as long as `s`.
const char* c_str(const std::string& s, const char* what) {
    if (s.find('\0') != std::string::npos) throw py::value_error(std::string(what) + " contains a NUL character");
    return s.c_str();
}

// The same for an optional argument; NULL for None.
const char* c_str(const Text& t, const char* what) { return t ? c_str(*t, what) : nullptr; }

// Runs a C ABI call that cannot wait for the network without the GIL, raising its failure.
template <class Call>
long call(Call&& c) {
    Failure f;
    long r = without_gil([&] {
        long n = static_cast<long>(c());
        if (n < 0) f = capture_failure();
        return n;
    });
    if (r < 0) raise_failure(f);
    return r;
}

void set_socket_security(int fd, int protocol, uint32_t flags, uint32_t handshake_timeout_ms,
                         const Text& certificate_file, const Text& private_key_file, const Text& trust_file,
                         const Text& alpn) {
    ssx_security_settings s = SSX_SECURITY_SETTINGS_INIT;
    s.protocol = protocol;
    s.flags = flags;
    s.handshake_timeout_ms = handshake_timeout_ms;
    s.certificate_file = c_str(certificate_file, "certificate_file");
    s.private_key_file = c_str(private_key_file, "private_key_file");
    s.trust_file = c_str(trust_file, "trust_file");
    s.alpn = c_str(alpn, "alpn");
    // Reads the policy and credential files: without the GIL.
    call([&] { return ssx_set_socket_security(fd, &s); });
}

void set_peer_target_name(int fd, const std::string& name, const py::object& peer) {
    SockAddr a = to_sockaddr(peer);
    const char* n = c_str(name, "the target name");
    call([&] { return ssx_set_peer_target_name(fd, a.ptr(), a.len, n); });
}

void delete_peer_target_name(int fd, const py::object& peer) {
    SockAddr a = to_sockaddr(peer);
    call([&] { return ssx_delete_peer_target_name(fd, a.ptr(), a.len); });
}

// Continues a pending handshake until it completes, as the waiter allows.
void drive_handshake(int fd, Waiter& waiter) {
    run(fd, waiter, [&] { return ssx_handshake(fd); });
}

void connect(int fd, const py::object& address, std::optional<double> timeout) {
    SockAddr a = to_sockaddr(address);
    if (!a.len) throw py::value_error("connect needs an address");
    Waiter waiter(timeout, "connect");
    // The first attempt connects; on a blocking descriptor it also completes the handshake (and
    // waits for the server to accept our certificate). A non-blocking one continues below.
    Failure f;
    int r = without_gil([&] {
        int n = ssx_connect(fd, a.ptr(), a.len);
        if (n < 0) f = capture_failure();
        return n;
    });
    if (r == 0) return;
    if (!waiter.should_retry(fd, f)) raise_failure(f);
    drive_handshake(fd, waiter);
}

void handshake(int fd, std::optional<double> timeout) {
    Waiter waiter(timeout, "handshake");
    drive_handshake(fd, waiter);
}

py::tuple accept(int listen_fd, std::optional<double> timeout) {
    // A blocking listener waits in accept4(), which a signal interrupts (EINTR: the waiter runs
    // the handlers and retries); a non-blocking one waits in the waiter.
    Waiter waiter(timeout, "accept");
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int cfd = static_cast<int>(run(listen_fd, waiter, [&] {
        len = sizeof ss;
        return ssx_accept(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len);
    }));
    // A non-blocking listener hands over the connection with the handshake pending. With a
    // timeout, finish it now within that timeout; with none (timeout 0) the caller drives it.
    if (timeout && *timeout > 0) {
        try {
            drive_handshake(cfd, waiter);
        } catch (...) {
            without_gil([&] { return ssx_close(cfd); });
            throw;
        }
    }
    return py::make_tuple(cfd, from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len));
}

// Data calls always pass MSG_DONTWAIT: the waiting happens in the Waiter, without the GIL and
// interruptible by signals, whatever the descriptor's mode.
long send_some(int fd, const char* p, size_t n, int flags, Waiter& waiter) {
    return run(fd, waiter, [&] { return ssx_send(fd, p, n, flags | MSG_DONTWAIT); });
}

long send(int fd, const py::object& data, int flags, std::optional<double> timeout) {
    Buffer b(data, false);
    Waiter waiter(timeout, "send");
    return send_some(fd, b.data(), b.size(), flags, waiter);
}

void sendall(int fd, const py::object& data, int flags, std::optional<double> timeout) {
    Buffer b(data, false);
    const char* p = b.data();
    const size_t total = b.size();
    // One deadline for the whole buffer, as socket.sendall() has since Python 3.5.
    Waiter waiter(timeout, "sendall");
    size_t done = 0;
    do {
        done += static_cast<size_t>(send_some(fd, p + done, total - done, flags, waiter));
    } while (done < total);
}

size_t recv_to(int fd, char* p, size_t n, int flags, std::optional<double> timeout) {
    Waiter waiter(timeout, "recv");
    return static_cast<size_t>(run(fd, waiter, [&] { return ssx_recv(fd, p, n, flags | MSG_DONTWAIT); }));
}

py::bytes recv(int fd, Py_ssize_t n, int flags, std::optional<double> timeout) {
    if (n < 0) throw py::value_error("negative buffersize in recv");
    // Received straight into a new bytes object, shrunk afterwards; nobody else can see it yet,
    // so filling it without the GIL is safe.
    PyObject* obj = PyBytes_FromStringAndSize(nullptr, n);
    if (!obj) throw py::error_already_set();
    auto bytes = py::reinterpret_steal<py::object>(obj);
    size_t got = recv_to(fd, PyBytes_AS_STRING(obj), static_cast<size_t>(n), flags, timeout);
    if (static_cast<Py_ssize_t>(got) != n) {
        PyObject* p = bytes.release().ptr();
        if (_PyBytes_Resize(&p, static_cast<Py_ssize_t>(got)) != 0) throw py::error_already_set();
        bytes = py::reinterpret_steal<py::object>(p);
    }
    return py::reinterpret_steal<py::bytes>(bytes.release());
}

size_t recv_into(int fd, const py::object& buffer, Py_ssize_t nbytes, int flags, std::optional<double> timeout) {
    Buffer b(buffer, true);
    const auto size = static_cast<Py_ssize_t>(b.size());
    if (nbytes < 0) throw py::value_error("negative buffersize in recv_into");
    if (nbytes > size) throw py::value_error("buffer too small for requested bytes");
    if (nbytes == 0) nbytes = size;
    return recv_to(fd, b.data(), static_cast<size_t>(nbytes), flags, timeout);
}

void shutdown(int fd, int how) {
    // May wait (bounded by ssx) to send close_notify.
    call([&] { return ssx_shutdown(fd, how); });
}

void close(int fd) {
    // Sends close_notify and drains for at most 250 ms; the descriptor is closed in every case.
    call([&] { return ssx_close(fd); });
}

int socket_family(int fd) {
    int domain = 0;
    socklen_t len = sizeof domain;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
        int e = errno;
        // The same words ssx uses, so a bad descriptor reads alike whichever call saw it first.
        raise_failure(Failure{e == EBADF ? SSX_E_BAD_DESCRIPTOR : (e == ENOTSOCK ? SSX_E_NOT_SOCKET : SSX_E_IO), e,
                              "descriptor " + std::to_string(fd) + ": " + std::strerror(e)});
    }
    return domain;
}

}  // namespace

void bind_socket_ops(py::module_& m) {
    using py::arg;
    m.def("set_socket_security", &set_socket_security, arg("fd"), arg("protocol"), arg("flags"),
          arg("handshake_timeout_ms"), arg("certificate_file"), arg("private_key_file"), arg("trust_file"),
          arg("alpn"));
    m.def("set_peer_target_name", &set_peer_target_name, arg("fd"), arg("name"), arg("peer"));
    m.def("delete_peer_target_name", &delete_peer_target_name, arg("fd"), arg("peer"));
    m.def("connect", &connect, arg("fd"), arg("address"), arg("timeout"));
    m.def("accept", &accept, arg("fd"), arg("timeout"));
    m.def("handshake", &handshake, arg("fd"), arg("timeout"));
    m.def("send", &send, arg("fd"), arg("data"), arg("flags"), arg("timeout"));
    m.def("sendall", &sendall, arg("fd"), arg("data"), arg("flags"), arg("timeout"));
    m.def("recv", &recv, arg("fd"), arg("bufsize"), arg("flags"), arg("timeout"));
    m.def("recv_into", &recv_into, arg("fd"), arg("buffer"), arg("nbytes"), arg("flags"), arg("timeout"));
    m.def("shutdown", &shutdown, arg("fd"), arg("how"));
    m.def("close", &close, arg("fd"));
    m.def("socket_family", &socket_family, arg("fd"));
}

}  // namespace ssxpy
