using System.Net.Sockets;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// A failure reported by ssx: the stable ssx code (<see cref="Code"/>), the POSIX errno
/// (<see cref="Errno"/>) and ssx's message, which says what happened and what to do. It is a
/// <see cref="SocketException"/>, so code that already handles socket failures handles it; its
/// <see cref="SocketException.SocketErrorCode"/> is the closest <see cref="SocketError"/> to the errno.
/// </summary>
/// <remarks>
/// The binding reads ssx's thread-local error state in the native wrapper, right after the failing
/// call on the same thread, so the code, errno and message always belong to that call.
/// <see cref="SecureStream"/> wraps it in an <see cref="System.IO.IOException"/>, as
/// <see cref="NetworkStream"/> does with <see cref="SocketException"/>.
/// </remarks>
public class SecureSocketException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception for an ssx code, errno and message.</summary>
    public SecureSocketException(int code, int errno, string message)
        : base((int)PosixErrno.ToSocketError(errno), message)
    {
        Code = (SecureSocketError)code;
        Errno = errno;
        _message = message;
    }

    /// <summary>The ssx code (SSX_E_*).</summary>
    public SecureSocketError Code { get; }

    /// <summary>The code's symbolic name, e.g. "SSX_E_NAME_MISMATCH".</summary>
    public string CodeName => N.ssx_error_name((int)Code);

    /// <summary>The POSIX errno that goes with the failure (e.g. 13 for EACCES).</summary>
    public int Errno { get; }

    /// <inheritdoc />
    public override string Message => _message;

    /// <inheritdoc />
    public override string ToString() => $"{GetType().FullName}: {CodeName} (errno {Errno}): {_message}{System.Environment.NewLine}{StackTrace}";
}
