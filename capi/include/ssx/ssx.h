/*
 * ssx.h — the native C ABI of ssx, secure socket extensions for Linux.
 *
 * The workflow (mirrors the Windows Secure Socket Extensions):
 *
 *   client                                   server
 *   ------                                   ------
 *   fd = socket(AF_INET, SOCK_STREAM, 0)     lfd = socket(AF_INET, SOCK_STREAM, 0)
 *   ssx_set_socket_security(fd, NULL)        ssx_set_socket_security(lfd, NULL)   before bind
 *   ssx_set_peer_target_name(fd, NULL, 0,    bind(lfd, ...); listen(lfd, ...)
 *                            "db.corp")
 *   ssx_connect(fd, addr, len)               cfd = ssx_accept(lfd, NULL, NULL)
 *   ssx_send / ssx_recv                      ssx_query_socket_security(cfd, ...)
 *   ssx_query_socket_security(fd, ...)       ssx_impersonate_socket_peer(cfd, NULL, 0)
 *   ssx_close(fd)                            ... work as the peer ...
 *                                            ssx_revert_impersonation()
 *
 * The protocol underneath is TLS 1.3 with mutual X.509 authentication (OpenSSL 3).
 * Credentials, trust anchors and limits come from the administrator's policy file (named by the
 * SSX_POLICY environment variable; see docs/policy.md) and may be overridden per socket with
 * ssx_security_settings.
 *
 * Conventions (every function):
 *   - Returns 0 (or a count / a file descriptor) on success, -1 on failure. On failure errno is set
 *     to the closest POSIX code, ssx_last_error() returns a stable SSX_E_* code, and
 *     ssx_last_error_message() a sentence saying what happened and what to do.
 *   - Functions returning pointers return NULL on failure, with the same error reporting.
 *   - Output parameters are written only on success, except the documented size negotiation of
 *     ssx_query_socket_security(), which writes the required length on failure.
 *   - Pointer arguments are borrowed for the duration of the call unless stated otherwise.
 *   - No call ever lets a C++ exception escape; every function may be called from any thread.
 *   - Input structs begin with a `size` field. Fill it with sizeof(struct) (the *_INIT macros do);
 *     fields are only ever appended, so old callers keep working.
 *
 * Thread safety: any thread may call any function. One thread may send while another receives on
 * the same socket. Impersonation is per thread.
 *
 * ABI: the shared library's soname is libssx.so.<SSX_VERSION_MAJOR>. Only names starting with
 * ssx_ (and the Winsock-compatible names of ssx/winsock.h) are exported.
 */
#ifndef SSX_SSX_H
#define SSX_SSX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SSX_API __attribute__((visibility("default")))
#else
#define SSX_API
#endif

/* ---------------------------------------------------------------------------------------------
 * Versions
 * ------------------------------------------------------------------------------------------- */

#define SSX_VERSION_MAJOR 0
#define SSX_VERSION_MINOR 1
#define SSX_VERSION_PATCH 0
#define SSX_VERSION_STRING "0.1.0"

/* The run-time library version, e.g. "0.1.0". Static storage; never NULL; never fails. */
SSX_API const char *ssx_version(void);

/* ---------------------------------------------------------------------------------------------
 * Error codes (stable; grouped in ranges; never renumbered)
 * ------------------------------------------------------------------------------------------- */

#define SSX_OK 0

/* 1..19: the caller's arguments or call order */
#define SSX_E_INVALID_ARGUMENT 1   /* EINVAL: a value is out of range or malformed */
#define SSX_E_NULL_POINTER 2       /* EFAULT: a required pointer is NULL */
#define SSX_E_BUFFER_TOO_SMALL 3   /* EMSGSIZE: a length is too small; see size negotiation */
#define SSX_E_NOT_SOCKET 4         /* ENOTSOCK: the descriptor is not a socket */
#define SSX_E_BAD_DESCRIPTOR 5     /* EBADF: the descriptor is not open */
#define SSX_E_UNSUPPORTED_SOCKET 6 /* EINVAL: not AF_INET/AF_INET6, or neither stream nor datagram */
#define SSX_E_ADDRESS_FAMILY 7     /* EAFNOSUPPORT: the address family is not supported */
#define SSX_E_NOT_SUPPORTED 8      /* EOPNOTSUPP: not available: IPsec, datagram (UDP) sockets */
#define SSX_E_ALREADY_CONNECTED 9  /* EISCONN: the call must come before connect/accept */
#define SSX_E_ALREADY_BOUND 10     /* EINVAL: security must be set before bind */
#define SSX_E_ALREADY_SET 11       /* EALREADY: security may be set only once per socket */
#define SSX_E_NOT_CONNECTED 12     /* ENOTCONN: the call needs an established connection */
#define SSX_E_NOT_SECURED 13       /* EACCES: the connection is not secured (clear text) */
#define SSX_E_NO_SECURITY 14       /* EINVAL: ssx_set_socket_security() was not called first */
#define SSX_E_NOT_FOUND 15         /* ENOENT: nothing is set for that address / not available */
#define SSX_E_LISTENING 16         /* EINVAL: the call is not valid on a listening socket */
#define SSX_E_ACCESS_DENIED 17     /* EACCES: the token was opened without the needed access */

/* 20..39: configuration: policy file, credentials */
#define SSX_E_POLICY 20            /* EINVAL: the policy file is unreadable or invalid */
#define SSX_E_NO_CREDENTIALS 21    /* ENOENT: no certificate/key/trust anchors are configured */
#define SSX_E_CREDENTIALS 22       /* EINVAL: a certificate, key or trust file is unusable */
#define SSX_E_POLICY_FORBIDS 23    /* EPERM: the request would weaken what the policy requires */

/* 40..69: establishing security with the peer */
#define SSX_E_HANDSHAKE 40         /* ECONNABORTED: the TLS handshake failed */
#define SSX_E_PEER_UNTRUSTED 41    /* EACCES: the peer's chain does not verify to a trust anchor */
#define SSX_E_NAME_MISMATCH 42     /* EACCES: the peer does not prove the target name */
#define SSX_E_CERT_EXPIRED 43      /* EACCES: a certificate in the peer's chain has expired */
#define SSX_E_NO_PEER_CERT 44      /* EACCES: the peer presented no certificate */
#define SSX_E_NO_TARGET_NAME 45    /* EDESTADDRREQ: no target name set and the policy requires one */
#define SSX_E_PROTOCOL_VERSION 46  /* EPROTONOSUPPORT: no common TLS version / cipher suite */
#define SSX_E_PEER_NOT_TLS 47      /* EPROTO: the peer does not speak TLS (and insecure is off) */
#define SSX_E_TIMEOUT 48           /* ETIMEDOUT: the handshake deadline expired; EAGAIN when a
                                      * blocking send/recv's SO_SNDTIMEO/SO_RCVTIMEO expired (as
                                      * send(2)/recv(2) report it) */
#define SSX_E_PEER_CLOSED 49       /* ECONNRESET: the peer closed or reset the connection */
#define SSX_E_PEER_REJECTED 50     /* ECONNREFUSED: the peer rejected our certificate (alert) */
#define SSX_E_CONNECT 51           /* errno of connect(): the TCP connection failed */
#define SSX_E_CERT_NOT_YET_VALID 52 /* EACCES: a certificate in the peer's chain is not yet valid */

/* 70..89: data transfer */
#define SSX_E_WANT_READ 70         /* EAGAIN: non-blocking; wait until the socket is readable */
#define SSX_E_WANT_WRITE 71        /* EAGAIN: non-blocking; wait until the socket is writable */
#define SSX_E_IO 72                /* errno of the failed system call */
#define SSX_E_SHUT_DOWN 73         /* EPIPE: the sending side was shut down */
#define SSX_E_PROTOCOL 74          /* EPROTO: the peer sent malformed or unexpected TLS data */

/* 90..109: impersonation */
#define SSX_E_IMPERSONATION_DENIED 90 /* EPERM: the policy forbids this identity switch */
#define SSX_E_OS_CREDENTIALS 91       /* EPERM: switching the thread's credentials failed */

/* 120..: the library itself */
#define SSX_E_NO_MEMORY 120        /* ENOMEM */
#define SSX_E_INTERNAL 121         /* EIO: a bug in ssx; please report it with the message */

/* The SSX_E_* code of the calling thread's last failure (SSX_OK if the last call succeeded).
 * Never fails. */
SSX_API int ssx_last_error(void);

/* A message describing the calling thread's last failure ("" after a success). The string is
 * owned by ssx and stays valid until the next ssx call on the same thread. Never NULL. */
SSX_API const char *ssx_last_error_message(void);

/* The symbolic name of any code ("SSX_E_NAME_MISMATCH"); "SSX_E_UNKNOWN" for values that are not
 * codes. Static storage; never NULL; never fails; safe for any int. */
SSX_API const char *ssx_error_name(int code);

/* ---------------------------------------------------------------------------------------------
 * Settings
 * ------------------------------------------------------------------------------------------- */

/* Security protocols. The values 0..3 match Windows' SOCKET_SECURITY_PROTOCOL. */
#define SSX_PROTOCOL_DEFAULT 0 /* what the administrator's policy chooses: TLS today */
#define SSX_PROTOCOL_IPSEC 1   /* not supported on Linux: fails with SSX_E_NOT_SUPPORTED */
#define SSX_PROTOCOL_IPSEC2 2  /* not supported on Linux: fails with SSX_E_NOT_SUPPORTED */
#define SSX_PROTOCOL_TLS 4     /* TLS 1.3 (1.2 if the policy allows it); past Windows' INVALID (3) */

/* Flags of ssx_security_settings.flags. Values match Windows' SOCKET_SETTINGS_*. */
#define SSX_SETTINGS_GUARANTEE_ENCRYPTION 0x1u /* refuse any suite without encryption */
#define SSX_SETTINGS_ALLOW_INSECURE 0x2u       /* fall back to clear text if the peer has no TLS
                                                 * (never with GUARANTEE_ENCRYPTION, which wins) */

typedef struct ssx_security_settings {
    uint32_t size;     /* sizeof(ssx_security_settings) */
    int32_t protocol;  /* SSX_PROTOCOL_* */
    uint32_t flags;    /* SSX_SETTINGS_* */
    /* Handshake deadline in milliseconds for connect and accept; 0 = the policy's (10 s default).
     * A value larger than the policy's is allowed; it never removes the deadline. */
    uint32_t handshake_timeout_ms;
    /* Per-socket credential overrides; NULL = from the policy. Paths are copied during the call.
     * PEM files: the certificate file may hold the chain (leaf first). */
    const char *certificate_file;
    const char *private_key_file;
    const char *trust_file;  /* trust anchors (PEM bundle) used to verify the peer */
    /* Comma-separated ALPN protocols ("h2,http/1.1"); NULL = none. A client offers them in order;
     * a server selects the first of its own list that the client offers (and fails the handshake
     * if the client offered ALPN and nothing matches). */
    const char *alpn;
} ssx_security_settings;

#define SSX_SECURITY_SETTINGS_INIT \
    { (uint32_t)sizeof(ssx_security_settings), SSX_PROTOCOL_DEFAULT, 0u, 0u, NULL, NULL, NULL, NULL }

/* Sizes as functions too, so bindings never depend on header values. Never fail. */
SSX_API size_t ssx_security_settings_size(void);
SSX_API size_t ssx_query_template_size(void);
SSX_API size_t ssx_query_info_size(void);

/* ---------------------------------------------------------------------------------------------
 * The secure socket operations
 * ------------------------------------------------------------------------------------------- */

/* Turns on security for a TCP socket (AF_INET or AF_INET6, SOCK_STREAM) and records the
 * application's requirements. Call it before connect() on a client socket and before bind() on a
 * listening socket; accepted sockets inherit the listener's settings. Once per socket.
 *
 * settings: borrowed; NULL means SSX_SECURITY_SETTINGS_INIT (policy defaults). Strings are copied.
 *
 * The policy (SSX_POLICY) is read here, and credentials are loaded and checked here, so mistakes in
 * them are reported by this call rather than at connect time.
 *
 * Errors: SSX_E_BAD_DESCRIPTOR, SSX_E_NOT_SOCKET, SSX_E_UNSUPPORTED_SOCKET,
 *   SSX_E_INVALID_ARGUMENT (size too small for the fields used, unknown flags or protocol),
 *   SSX_E_NOT_SUPPORTED (IPSEC, IPSEC2, a datagram socket), SSX_E_ALREADY_SET, SSX_E_ALREADY_CONNECTED,
 *   SSX_E_ALREADY_BOUND (bound but not listening), SSX_E_POLICY, SSX_E_POLICY_FORBIDS,
 *   SSX_E_NO_CREDENTIALS, SSX_E_CREDENTIALS. */
SSX_API int ssx_set_socket_security(int fd, const ssx_security_settings *settings);

/* Names the identity the peer must prove. peer/peer_len select the peer address the name applies
 * to; NULL/0 (or an all-zero/unspecified address) means any peer. Call before ssx_connect().
 *
 * name: borrowed, NUL-terminated UTF-8. Accepted forms:
 *   "db.corp"                DNS name, matched against DNS SANs with RFC 6125 rules (wildcards only
 *                            as the whole left-most label of the certificate's name)
 *   "192.0.2.7", "2001:db8::1"  IP address, matched against IP SANs
 *   "spiffe://td/path"       SPIFFE ID, exact match against the URI SAN (X509-SVID rules apply)
 *   "spiffe://td/path/\*"    SPIFFE ID prefix: any ID below path (whole segments)
 *   "spiffe://td"            any SPIFFE ID in trust domain td
 *   "https://...", "urn:..." other URIs: exact match against URI SANs
 *   "host/db.corp[:port][/name]"  a Windows SPN: matched by its host part (DNS name or IP)
 *   "DNS:x", "IP:x", "URI:x" explicit forms
 * Setting a name for an address that already has one replaces it.
 *
 * Errors: SSX_E_BAD_DESCRIPTOR, SSX_E_NOT_SOCKET, SSX_E_UNSUPPORTED_SOCKET, SSX_E_NULL_POINTER
 *   (name NULL, or peer NULL with peer_len != 0), SSX_E_BUFFER_TOO_SMALL (peer_len too small for
 *   its family), SSX_E_ADDRESS_FAMILY, SSX_E_INVALID_ARGUMENT (empty or malformed name),
 *   SSX_E_NO_SECURITY, SSX_E_ALREADY_CONNECTED, SSX_E_LISTENING. */
SSX_API int ssx_set_peer_target_name(int fd, const struct sockaddr *peer, socklen_t peer_len,
                                     const char *name);

/* Removes the target name set for a peer address (NULL/0 = the any-peer entry).
 * Errors: as ssx_set_peer_target_name(), plus SSX_E_NOT_FOUND when no name is set for it. */
SSX_API int ssx_delete_peer_target_name(int fd, const struct sockaddr *peer, socklen_t peer_len);

/* Connects and secures: returns 0 only when TCP is connected, TLS is negotiated, the peer's chain
 * verifies against the trust anchors, the peer proves the target name and the policy is satisfied.
 * Not one application byte is sent before that. With SSX_SETTINGS_ALLOW_INSECURE, a peer that does
 * not speak TLS is talked to in clear text instead (ssx_query_socket_security() then reports the
 * connection as not secured); a certificate or name failure never falls back.
 *
 * Blocking sockets: waits up to the handshake deadline. Non-blocking sockets: returns -1 with
 * errno EAGAIN (EINPROGRESS while TCP connects) and ssx_last_error() SSX_E_WANT_READ or
 * SSX_E_WANT_WRITE; wait for that readiness and call ssx_handshake(fd) until it returns 0.
 *
 * A client with a session for the same peer address and target name resumes it; the peer identity
 * is re-authorized on resumption.
 *
 * Errors: SSX_E_NO_SECURITY, SSX_E_ALREADY_CONNECTED, SSX_E_NO_TARGET_NAME, SSX_E_CONNECT (errno
 *   of connect()), SSX_E_TIMEOUT, SSX_E_PEER_UNTRUSTED, SSX_E_NAME_MISMATCH, SSX_E_CERT_EXPIRED,
 *   SSX_E_CERT_NOT_YET_VALID, SSX_E_NO_PEER_CERT, SSX_E_PEER_REJECTED, SSX_E_PROTOCOL_VERSION,
 *   SSX_E_PEER_NOT_TLS, SSX_E_PEER_CLOSED, SSX_E_HANDSHAKE, SSX_E_WANT_READ, SSX_E_WANT_WRITE.
 * After a security failure the socket stays open but unusable; close it. */
SSX_API int ssx_connect(int fd, const struct sockaddr *addr, socklen_t addr_len);

/* Accepts a connection on a listening socket secured with ssx_set_socket_security() and runs the
 * server side of the handshake with the listener's deadline (default 10 s), so a silent client
 * cannot stall the caller for longer. Returns the new descriptor (close it with ssx_close()); it
 * inherits the listener's settings. addr/addr_len: as accept(2); may be NULL.
 *
 * If a client fails the handshake, that connection is closed and -1 is returned with the reason;
 * the listener is unaffected: call ssx_accept() again.
 * Non-blocking listener: returns the new descriptor as soon as TCP accepts, in non-blocking mode,
 * with the handshake pending; drive it with ssx_handshake() (or simply ssx_recv/ssx_send).
 *
 * Errors: SSX_E_NO_SECURITY, SSX_E_IO (errno of accept()), SSX_E_WANT_READ (no pending
 *   connection), and every handshake error of ssx_connect(). */
SSX_API int ssx_accept(int listen_fd, struct sockaddr *addr, socklen_t *addr_len);

/* Continues a pending handshake (non-blocking sockets). 0 when secured (or already secured),
 * -1/EAGAIN with SSX_E_WANT_READ or SSX_E_WANT_WRITE when it must wait, -1 with the handshake
 * errors of ssx_connect() otherwise. */
SSX_API int ssx_handshake(int fd);

/* Sends/receives application data over the secured connection (in clear text for a connection
 * that fell back under SSX_SETTINGS_ALLOW_INSECURE). Blocking sockets honour SO_SNDTIMEO and
 * SO_RCVTIMEO (SSX_E_TIMEOUT). Non-blocking: -1/EAGAIN with SSX_E_WANT_READ or SSX_E_WANT_WRITE
 * (a TLS read may need to write and the reverse; wait for the direction reported).
 * flags: 0, or MSG_DONTWAIT (this call is non-blocking), MSG_NOSIGNAL (always implied: ssx never
 * raises SIGPIPE), MSG_PEEK (ssx_recv only). Other flags fail with SSX_E_INVALID_ARGUMENT.
 * ssx_send returns the number of bytes sent (a blocking send sends everything unless interrupted by
 * a timeout after some progress); ssx_recv returns the bytes received, 0 at the peer's orderly end.
 * ssx_recv returns everything already received and decrypted, up to len. Received data can wait
 * inside ssx (decrypted, or read ahead from the socket) where poll() cannot see it: when ssx_recv
 * filled the whole buffer (returned len), or after MSG_PEEK, call it again before waiting for the
 * socket to be readable. After a shorter result or SSX_E_WANT_READ no data waits inside ssx (the
 * peer's close_notify or an error read together with the data is reported by the next call without
 * waiting; a peer that ends normally also closes TCP, which poll() reports). A completed
 * ssx_connect/ssx_accept/ssx_handshake leaves the peer's first data in the socket, so poll()
 * right after it is safe.
 * Errors: SSX_E_NOT_CONNECTED, SSX_E_PEER_CLOSED, SSX_E_SHUT_DOWN, SSX_E_TIMEOUT, SSX_E_PROTOCOL,
 *   SSX_E_IO, SSX_E_WANT_READ, SSX_E_WANT_WRITE, SSX_E_NULL_POINTER (buf NULL with len > 0). */
SSX_API ssize_t ssx_send(int fd, const void *buf, size_t len, int flags);
SSX_API ssize_t ssx_recv(int fd, void *buf, size_t len, int flags);

/* Shuts down one or both directions (SHUT_RD, SHUT_WR, SHUT_RDWR). SHUT_WR sends TLS close_notify
 * and then shuts TCP's sending side, so the peer reads end-of-stream after every byte sent.
 * Errors: SSX_E_INVALID_ARGUMENT, SSX_E_NOT_CONNECTED, SSX_E_IO. */
SSX_API int ssx_shutdown(int fd, int how);

/* Closes the socket and forgets its security state. Before closing, ssx sends close_notify, shuts
 * down the sending side and drains input until the peer's end or for at most 250 ms, so the peer
 * does not lose data to a TCP reset. SO_LINGER on the socket sets that budget instead (l_linger
 * seconds, at most 10; l_linger = 0: no wait, an abortive close). Tokens taken from the socket stay valid. Any descriptor ssx does not know is simply
 * close()d. Errors: SSX_E_BAD_DESCRIPTOR, SSX_E_IO. The descriptor is closed in every case. */
SSX_API int ssx_close(int fd);

/* ---------------------------------------------------------------------------------------------
 * Query
 * ------------------------------------------------------------------------------------------- */

/* Windows token access rights for ssx_query_template.peer_token_access_mask. */
#define SSX_TOKEN_ASSIGN_PRIMARY 0x0001u
#define SSX_TOKEN_DUPLICATE 0x0002u
#define SSX_TOKEN_IMPERSONATE 0x0004u
#define SSX_TOKEN_QUERY 0x0008u
#define SSX_TOKEN_QUERY_SOURCE 0x0010u
#define SSX_TOKEN_ADJUST_PRIVILEGES 0x0020u
#define SSX_TOKEN_ADJUST_GROUPS 0x0040u
#define SSX_TOKEN_ADJUST_DEFAULT 0x0080u
#define SSX_TOKEN_ADJUST_SESSIONID 0x0100u
#define SSX_TOKEN_READ 0x00020008u
#define SSX_TOKEN_ALL_ACCESS 0x000F01FFu

typedef struct ssx_query_template {
    uint32_t size;      /* sizeof(ssx_query_template) */
    int32_t protocol;   /* SSX_PROTOCOL_DEFAULT or SSX_PROTOCOL_TLS */
    struct sockaddr_storage peer_address; /* ignored for stream sockets */
    /* 0: no tokens. Non-zero: tokens are returned, opened with these rights; reading a token's
     * contents needs SSX_TOKEN_QUERY (TOKEN_READ and TOKEN_ALL_ACCESS include it). */
    uint32_t peer_token_access_mask;
} ssx_query_template;

#define SSX_QUERY_TEMPLATE_INIT { (uint32_t)sizeof(ssx_query_template), 0, {0}, 0u }

/* ssx_query_info.flags — values match Windows' SOCKET_INFO_CONNECTION_*. */
#define SSX_INFO_CONNECTION_SECURED 0x1u      /* TLS protects the traffic */
#define SSX_INFO_CONNECTION_ENCRYPTED 0x2u    /* ... and encrypts it (always with TLS 1.3) */
#define SSX_INFO_CONNECTION_IMPERSONATED 0x4u /* the calling thread impersonates this socket's peer */

/* ssx_query_info.tls_flags */
#define SSX_TLS_RESUMED 0x1u   /* the session was resumed (the peer was re-authorized) */

typedef struct ssx_query_info {
    uint32_t size;      /* written: sizeof(ssx_query_info) */
    int32_t protocol;   /* SSX_PROTOCOL_TLS when secured, SSX_PROTOCOL_DEFAULT for clear text */
    uint32_t flags;     /* SSX_INFO_CONNECTION_* */
    uint32_t tls_version; /* 0x0304 (TLS 1.3), 0x0303 (TLS 1.2), 0 when not secured */
    /* Tokens: returned only when the template's access mask is non-zero and the connection is
     * secured; otherwise NULL. Owned by the caller: release each with ssx_token_close(). */
    struct ssx_token *peer_application_token; /* the identity the peer's certificate proves */
    /* The peer host's identity, when it is established separately from the application's. TLS
     * authenticates one identity per connection, so this is NULL in this release (docs/c-api.md). */
    struct ssx_token *peer_machine_token;
    uint32_t tls_flags;    /* SSX_TLS_* */
    int32_t verify_result; /* OpenSSL X509_V_* code of the peer verification; 0 = verified */
    char cipher[64];       /* IANA suite name ("TLS_AES_128_GCM_SHA256"); "" when not secured */
    char alpn[256];        /* negotiated ALPN protocol; "" when none */
} ssx_query_info;

/* Reports the security of a connection.
 * tmpl: borrowed; may be NULL on stream sockets (same as an all-zero template: no tokens).
 * info/info_len: size negotiation. *info_len is the size of info in bytes on input. If info is
 *   NULL or *info_len < sizeof(ssx_query_info), the call fails with SSX_E_BUFFER_TOO_SMALL
 *   (errno EMSGSIZE) and writes the required size to *info_len. On success *info_len is the number
 *   of bytes written.
 * Errors: SSX_E_NULL_POINTER (info_len NULL), SSX_E_BUFFER_TOO_SMALL, SSX_E_INVALID_ARGUMENT
 *   (template size too small, bad protocol), SSX_E_NOT_SUPPORTED (IPsec), SSX_E_NOT_CONNECTED,
 *   SSX_E_NO_SECURITY (a socket ssx does not secure), SSX_E_BAD_DESCRIPTOR, SSX_E_NOT_SOCKET. */
SSX_API int ssx_query_socket_security(int fd, const ssx_query_template *tmpl, ssx_query_info *info,
                                      size_t *info_len);

/* ---------------------------------------------------------------------------------------------
 * Impersonation (per thread)
 * ------------------------------------------------------------------------------------------- */

/* The calling thread acts as the socket's peer until ssx_revert_impersonation(). Always: the
 * thread's current principal becomes the peer (ssx_get_thread_token(), and the query's
 * SSX_INFO_CONNECTION_IMPERSONATED on this thread). When the policy sets
 * [impersonation] os_credentials = true and maps the peer to a local account, the thread's
 * filesystem uid, gid and supplementary groups switch too (this thread only), so the kernel checks
 * file access as that account. Impersonations nest; each revert undoes one.
 * peer/peer_len: ignored for stream sockets (pass NULL, 0).
 * Errors: SSX_E_NOT_CONNECTED, SSX_E_NOT_SECURED (clear-text connection), SSX_E_NO_SECURITY,
 *   SSX_E_IMPERSONATION_DENIED (mapping to uid 0 without allow_root; os_credentials without a
 *   mapping), SSX_E_OS_CREDENTIALS (the process lacks CAP_SETUID/CAP_SETGID), SSX_E_BAD_DESCRIPTOR,
 *   SSX_E_NOT_SOCKET. On failure the thread's identity is unchanged. */
SSX_API int ssx_impersonate_socket_peer(int fd, const struct sockaddr *peer, socklen_t peer_len);

/* Ends the calling thread's latest impersonation and restores exactly the previous identity and
 * credentials. Not impersonating: succeeds and does nothing.
 * Errors: SSX_E_OS_CREDENTIALS (restoring the thread's credentials failed; should never happen). */
SSX_API int ssx_revert_impersonation(void);

/* ---------------------------------------------------------------------------------------------
 * Tokens: an authenticated principal (opaque, immutable)
 * ------------------------------------------------------------------------------------------- */

typedef struct ssx_token ssx_token;

/* The principal the calling thread impersonates. *out = a new token (close it with
 * ssx_token_close(); full access), or NULL when the thread impersonates nobody.
 * Errors: SSX_E_NULL_POINTER. */
SSX_API int ssx_get_thread_token(ssx_token **out);

/* Releases a token. NULL is a no-op. Always returns 0. A token outlives the socket it came from. */
SSX_API int ssx_token_close(ssx_token *token);

/* A new handle to the same principal with the same access; close both. */
SSX_API int ssx_token_duplicate(const ssx_token *token, ssx_token **out);

/* The access rights the token was opened with (SSX_TOKEN_*). 0 if token is NULL. */
SSX_API uint32_t ssx_token_access_mask(const ssx_token *token);

/* Accessors. Every returned pointer is owned by the token and valid until ssx_token_close().
 * All need SSX_TOKEN_QUERY in the token's access mask (else NULL with SSX_E_ACCESS_DENIED);
 * NULL token: NULL with SSX_E_NULL_POINTER. */

/* The principal's name: the SPIFFE ID if any, else the first DNS, URI, IP or email SAN, else the
 * subject's common name. Never "" for a verified peer. */
SSX_API const char *ssx_token_name(const ssx_token *token);
/* The certificate subject in RFC 2253 form ("CN=db,O=corp"). */
SSX_API const char *ssx_token_subject(const ssx_token *token);
/* The SPIFFE ID ("spiffe://td/path"), or NULL with SSX_E_NOT_FOUND when there is none. */
SSX_API const char *ssx_token_spiffe_id(const ssx_token *token);
/* SHA-256 of the peer's DER certificate as 64 uppercase hex digits. */
SSX_API const char *ssx_token_fingerprint(const ssx_token *token);
/* Subject alternative names, each prefixed by its type: "DNS:db.corp", "IP:192.0.2.7",
 * "URI:spiffe://corp/db", "email:a@corp". count: never fails (0 for NULL or no access). Index past
 * the end: NULL with SSX_E_INVALID_ARGUMENT. */
SSX_API size_t ssx_token_name_count(const ssx_token *token);
SSX_API const char *ssx_token_name_at(const ssx_token *token, size_t index);
/* The peer's certificate chain as DER, leaf first (index 0). On a resumed session only the leaf is
 * known. *der_len receives the length. */
SSX_API size_t ssx_token_chain_length(const ssx_token *token);
SSX_API const unsigned char *ssx_token_chain_der(const ssx_token *token, size_t index,
                                                 size_t *der_len);
/* The local account the policy maps the principal to ([[identity_map]]).
 * Errors: SSX_E_NOT_FOUND (no mapping), SSX_E_NULL_POINTER, SSX_E_ACCESS_DENIED.
 * uid/gid: written on success; either may be NULL. */
SSX_API int ssx_token_unix_account(const ssx_token *token, uint32_t *uid, uint32_t *gid);
/* The mapped account's user name (NULL with SSX_E_NOT_FOUND if mapped by number only). */
SSX_API const char *ssx_token_unix_user(const ssx_token *token);
/* Supplementary groups of the mapped account. Size negotiation: if groups is NULL or *count is
 * too small, fails with SSX_E_BUFFER_TOO_SMALL and writes the needed count. SSX_E_NOT_FOUND when
 * not mapped. */
SSX_API int ssx_token_unix_groups(const ssx_token *token, uint32_t *groups, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* SSX_SSX_H */
