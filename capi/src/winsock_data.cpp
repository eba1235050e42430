// WSASend / WSARecv over WSABUF arrays: the secured data path (ssx_send/ssx_recv in the core) for
// sockets secured with WSASetSocketSecurity, plain send/recv for any other socket.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "capi/src/winsock_errors.hpp"
#include "capi/src/winsock_startup.hpp"
#include "control/control.hpp"
#include "endpoint/endpoint_table.hpp"
#include "ssx/winsock.h"

namespace {

using ssx::winsock::wsa_fail;
using ssx::winsock::wsa_guarded;

// Small buffers are gathered into one TLS record of up to this size rather than one record each.
constexpr size_t kGather = 16384;

struct Channel {
    int fd;
    bool secured;

    size_t send(const void* p, size_t n, int flags) const {
        if (secured) return ssx::control::send(fd, p, n, flags);
        for (;;) {
            const ssize_t r = ::send(fd, p, n, flags | MSG_NOSIGNAL);  // Windows never raises SIGPIPE
            if (r >= 0) return static_cast<size_t>(r);
            if (errno != EINTR) io_failure("WSASend: send() failed");
        }
    }

    size_t recv(void* p, size_t n, int flags) const {
        if (secured) return ssx::control::recv(fd, p, n, flags);
        for (;;) {
            const ssize_t r = ::recv(fd, p, n, flags);
            if (r >= 0) return static_cast<size_t>(r);
            if (errno != EINTR) io_failure("WSARecv: recv() failed");
        }
    }

    [[noreturn]] static void io_failure(const char* what) {
        const int e = errno;
        ssx::fail(SSX_E_IO, e, std::string(what) + ": " + std::strerror(e));
    }
};

Channel channel_of(int fd) { return {fd, ssx::EndpointTable::instance().find(fd) != nullptr}; }

// Checks the WSABUF array and returns the total length (which must fit the DWORD count).
uint64_t checked_total(const WSABUF* buffers, DWORD count, const char* what) {
    if (!buffers && count > 0) wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER, std::string(what) + ": lpBuffers is NULL");
    uint64_t total = 0;
    for (DWORD i = 0; i < count; ++i) {
        if (!buffers[i].buf && buffers[i].len > 0) {
            wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER,
                     std::string(what) + ": lpBuffers[" + std::to_string(i) + "].buf is NULL with a length");
        }
        total += buffers[i].len;
    }
    if (total > UINT32_MAX) {
        wsa_fail(WSAEINVAL, SSX_E_INVALID_ARGUMENT,
                 std::string(what) + ": the buffers hold more than 4 GiB, which the DWORD byte count cannot report");
    }
    return total;
}

void check_flags(const Channel& ch, DWORD flags, DWORD allowed, const char* what) {
    if (ch.secured && (flags & ~allowed)) {
        wsa_fail(WSAEOPNOTSUPP, SSX_E_NOT_SUPPORTED,
                 std::string(what) + ": flags " + std::to_string(flags) +
                     " are not supported on a secured socket; use 0, MSG_DONTWAIT or MSG_NOSIGNAL" +
                     (std::strcmp(what, "WSARecv") == 0 ? ", MSG_PEEK or MSG_WAITALL" : ""));
    }
}

// Sends all buffers as one byte stream. Returns the bytes sent; a failure after some progress
// (a non-blocking socket filling up, a timeout) ends the call with the partial count, as send does.
uint64_t send_all(const Channel& ch, const WSABUF* buffers, DWORD count, int flags) {
    uint64_t sent = 0;
    std::vector<char> gathered;
    // Sends one block; false when only part of it went (stop there).
    auto block = [&](const char* p, size_t n) {
        const size_t done = ch.send(p, n, flags);
        sent += done;
        return done == n;
    };
    try {
        for (DWORD i = 0; i < count; ++i) {
            const WSABUF& b = buffers[i];
            if (b.len == 0) continue;
            if (gathered.size() + b.len > kGather && !gathered.empty()) {
                if (!block(gathered.data(), gathered.size())) return sent;
                gathered.clear();
            }
            if (b.len >= kGather) {
                if (!block(b.buf, b.len)) return sent;
            } else {
                gathered.insert(gathered.end(), b.buf, b.buf + b.len);
            }
        }
        if (!gathered.empty()) block(gathered.data(), gathered.size());
    } catch (const ssx::Error&) {
        if (sent == 0) throw;
    }
    return sent;
}

// Fills the buffers in order. The first read waits as the socket's mode says; later buffers get
// only what is already available (MSG_WAITALL: until every buffer is full or the stream ends).
uint64_t recv_into(const Channel& ch, const WSABUF* buffers, DWORD count, int flags) {
    const bool wait_all = (flags & MSG_WAITALL) != 0;
    const bool peek = (flags & MSG_PEEK) != 0;
    const int base = flags & ~MSG_WAITALL;
    uint64_t got = 0;
    try {
        for (DWORD i = 0; i < count; ++i) {
            const WSABUF& b = buffers[i];
            size_t filled = 0;
            while (filled < b.len) {
                const int f = (got == 0 || wait_all) ? base : (base | MSG_DONTWAIT);
                const size_t n = ch.recv(b.buf + filled, b.len - filled, f);
                if (n == 0) return got;  // the peer's orderly end
                filled += n;
                got += n;
                if (peek) return got;  // peeking fills the first buffer only
                if (!wait_all) break;
            }
            if (filled < b.len) break;  // nothing more is available now
        }
    } catch (const ssx::Error&) {
        if (got == 0) throw;  // otherwise report what arrived; the next call reports the error
    }
    return got;
}

}  // namespace

extern "C" {

SSX_API int WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent, DWORD dwFlags,
                    LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    return wsa_guarded(SOCKET_ERROR, [&] {
        ssx::winsock::require_started();
        const Channel ch = channel_of(s);
        check_flags(ch, dwFlags, MSG_DONTWAIT | MSG_NOSIGNAL, "WSASend");
        checked_total(lpBuffers, dwBufferCount, "WSASend");
        const uint64_t sent = send_all(ch, lpBuffers, dwBufferCount, static_cast<int>(dwFlags));
        if (lpNumberOfBytesSent) *lpNumberOfBytesSent = static_cast<DWORD>(sent);
        return 0;
    });
}

SSX_API int WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
                    LPDWORD lpFlags, LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE) {
    return wsa_guarded(SOCKET_ERROR, [&] {
        ssx::winsock::require_started();
        if (!lpFlags) wsa_fail(WSAEFAULT, SSX_E_NULL_POINTER, "WSARecv: lpFlags is NULL");
        const Channel ch = channel_of(s);
        check_flags(ch, *lpFlags, MSG_DONTWAIT | MSG_NOSIGNAL | MSG_PEEK | MSG_WAITALL, "WSARecv");
        checked_total(lpBuffers, dwBufferCount, "WSARecv");
        const uint64_t got = recv_into(ch, lpBuffers, dwBufferCount, static_cast<int>(*lpFlags));
        if (lpNumberOfBytesRecvd) *lpNumberOfBytesRecvd = static_cast<DWORD>(got);
        *lpFlags = 0;
        return 0;
    });
}

}  // extern "C"
