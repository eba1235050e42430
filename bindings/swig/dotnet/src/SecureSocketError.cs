using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>The stable ssx error codes (SSX_E_* of ssx.h; the values come from the header through SWIG).</summary>
public enum SecureSocketError
{
    /// <summary>No error.</summary>
    Success = N.SSX_OK,

    /// <summary>A value is out of range or malformed.</summary>
    InvalidArgument = N.SSX_E_INVALID_ARGUMENT,
    /// <summary>A required value is missing.</summary>
    NullPointer = N.SSX_E_NULL_POINTER,
    /// <summary>A buffer is too small.</summary>
    BufferTooSmall = N.SSX_E_BUFFER_TOO_SMALL,
    /// <summary>The descriptor is not a socket.</summary>
    NotSocket = N.SSX_E_NOT_SOCKET,
    /// <summary>The descriptor is not open.</summary>
    BadDescriptor = N.SSX_E_BAD_DESCRIPTOR,
    /// <summary>Not an IPv4/IPv6 stream (TCP) socket.</summary>
    UnsupportedSocket = N.SSX_E_UNSUPPORTED_SOCKET,
    /// <summary>The address family is not supported.</summary>
    AddressFamily = N.SSX_E_ADDRESS_FAMILY,
    /// <summary>A protocol or feature is not available (IPsec).</summary>
    NotSupported = N.SSX_E_NOT_SUPPORTED,
    /// <summary>The call must come before connect/accept.</summary>
    AlreadyConnected = N.SSX_E_ALREADY_CONNECTED,
    /// <summary>Security must be set before bind.</summary>
    AlreadyBound = N.SSX_E_ALREADY_BOUND,
    /// <summary>Security may be set only once per socket.</summary>
    AlreadySet = N.SSX_E_ALREADY_SET,
    /// <summary>The call needs an established connection.</summary>
    NotConnected = N.SSX_E_NOT_CONNECTED,
    /// <summary>The connection is not secured (clear text).</summary>
    NotSecured = N.SSX_E_NOT_SECURED,
    /// <summary><c>SetSocketSecurity</c> was not called first.</summary>
    NoSecurity = N.SSX_E_NO_SECURITY,
    /// <summary>Nothing is set for that address, or the item is not available.</summary>
    NotFound = N.SSX_E_NOT_FOUND,
    /// <summary>The call is not valid on a listening socket.</summary>
    Listening = N.SSX_E_LISTENING,
    /// <summary>The token was opened without the needed access.</summary>
    AccessDenied = N.SSX_E_ACCESS_DENIED,

    /// <summary>The policy file is unreadable or invalid.</summary>
    Policy = N.SSX_E_POLICY,
    /// <summary>No certificate, key or trust anchors are configured.</summary>
    NoCredentials = N.SSX_E_NO_CREDENTIALS,
    /// <summary>A certificate, key or trust file is unusable.</summary>
    Credentials = N.SSX_E_CREDENTIALS,
    /// <summary>The request would weaken what the administrator's policy requires.</summary>
    PolicyForbids = N.SSX_E_POLICY_FORBIDS,

    /// <summary>The TLS handshake failed.</summary>
    Handshake = N.SSX_E_HANDSHAKE,
    /// <summary>The peer's certificate chain does not verify to a trust anchor.</summary>
    PeerUntrusted = N.SSX_E_PEER_UNTRUSTED,
    /// <summary>The peer does not prove the target name.</summary>
    NameMismatch = N.SSX_E_NAME_MISMATCH,
    /// <summary>A certificate in the peer's chain has expired.</summary>
    CertificateExpired = N.SSX_E_CERT_EXPIRED,
    /// <summary>The peer presented no certificate.</summary>
    NoPeerCertificate = N.SSX_E_NO_PEER_CERT,
    /// <summary>No target name is set and the policy requires one.</summary>
    NoTargetName = N.SSX_E_NO_TARGET_NAME,
    /// <summary>No common TLS version or cipher suite.</summary>
    ProtocolVersion = N.SSX_E_PROTOCOL_VERSION,
    /// <summary>The peer does not speak TLS.</summary>
    PeerNotTls = N.SSX_E_PEER_NOT_TLS,
    /// <summary>The handshake deadline or a socket timeout expired.</summary>
    Timeout = N.SSX_E_TIMEOUT,
    /// <summary>The peer closed or reset the connection.</summary>
    PeerClosed = N.SSX_E_PEER_CLOSED,
    /// <summary>The peer rejected our certificate.</summary>
    PeerRejected = N.SSX_E_PEER_REJECTED,
    /// <summary>The TCP connection failed (see <see cref="SecureSocketException.Errno"/>).</summary>
    Connect = N.SSX_E_CONNECT,
    /// <summary>A certificate in the peer's chain is not yet valid.</summary>
    CertificateNotYetValid = N.SSX_E_CERT_NOT_YET_VALID,

    /// <summary>Non-blocking: wait until the socket is readable (handled inside the binding).</summary>
    WantRead = N.SSX_E_WANT_READ,
    /// <summary>Non-blocking: wait until the socket is writable (handled inside the binding).</summary>
    WantWrite = N.SSX_E_WANT_WRITE,
    /// <summary>A system call failed (see <see cref="SecureSocketException.Errno"/>).</summary>
    IO = N.SSX_E_IO,
    /// <summary>The sending side was shut down.</summary>
    ShutDown = N.SSX_E_SHUT_DOWN,
    /// <summary>The peer sent malformed or unexpected TLS data.</summary>
    Protocol = N.SSX_E_PROTOCOL,

    /// <summary>The policy forbids this identity switch.</summary>
    ImpersonationDenied = N.SSX_E_IMPERSONATION_DENIED,
    /// <summary>Switching the thread's credentials failed.</summary>
    OSCredentials = N.SSX_E_OS_CREDENTIALS,

    /// <summary>Out of memory.</summary>
    NoMemory = N.SSX_E_NO_MEMORY,
    /// <summary>A bug in ssx; please report it with the message.</summary>
    Internal = N.SSX_E_INTERNAL,
}
