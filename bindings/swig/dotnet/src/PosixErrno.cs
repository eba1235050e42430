using System.Net.Sockets;

namespace Ssx;

/// <summary>Linux errno values the binding needs, and their closest <see cref="SocketError"/>.</summary>
internal static class PosixErrno
{
    internal const int EAGAIN = 11;
    internal const int ETIMEDOUT = 110;

    // .NET's own errno → SocketError table is internal to System.Net.Sockets; this is its subset for
    // the errnos ssx reports (ssx.h lists them next to each code).
    internal static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        1 => SocketError.AccessDenied,                // EPERM
        9 => SocketError.OperationAborted,            // EBADF
        11 => SocketError.WouldBlock,                 // EAGAIN
        12 => SocketError.NoBufferSpaceAvailable,     // ENOMEM
        13 => SocketError.AccessDenied,               // EACCES
        14 => SocketError.Fault,                      // EFAULT
        22 => SocketError.InvalidArgument,            // EINVAL
        32 => SocketError.Shutdown,                   // EPIPE
        88 => SocketError.NotSocket,                  // ENOTSOCK
        89 => SocketError.DestinationAddressRequired, // EDESTADDRREQ
        90 => SocketError.MessageSize,                // EMSGSIZE
        93 => SocketError.ProtocolNotSupported,       // EPROTONOSUPPORT
        95 => SocketError.OperationNotSupported,      // EOPNOTSUPP
        97 => SocketError.AddressFamilyNotSupported,  // EAFNOSUPPORT
        98 => SocketError.AddressAlreadyInUse,        // EADDRINUSE
        99 => SocketError.AddressNotAvailable,        // EADDRNOTAVAIL
        100 => SocketError.NetworkDown,               // ENETDOWN
        101 => SocketError.NetworkUnreachable,        // ENETUNREACH
        103 => SocketError.ConnectionAborted,         // ECONNABORTED
        104 => SocketError.ConnectionReset,           // ECONNRESET
        106 => SocketError.IsConnected,               // EISCONN
        107 => SocketError.NotConnected,              // ENOTCONN
        110 => SocketError.TimedOut,                  // ETIMEDOUT
        111 => SocketError.ConnectionRefused,         // ECONNREFUSED
        113 => SocketError.HostUnreachable,           // EHOSTUNREACH
        114 => SocketError.AlreadyInProgress,         // EALREADY
        115 => SocketError.InProgress,                // EINPROGRESS
        _ => SocketError.SocketError,
    };
}
