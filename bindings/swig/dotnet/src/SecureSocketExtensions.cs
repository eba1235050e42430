using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Ssx.Interop;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// The secure socket operations as extension methods of <see cref="Socket"/> (IPv4/IPv6 TCP).
/// </summary>
/// <example>
/// <code>
/// using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
/// socket.SetSocketSecurity();                    // before connect: policy defaults
/// socket.SetPeerTargetName("spiffe://corp/db");  // who the server must prove to be
/// socket.SecureConnect(new IPEndPoint(IPAddress.Loopback, 5000));
/// using var stream = new SecureStream(socket, ownsSocket: true);
/// </code>
/// </example>
/// <remarks>
/// Do all I/O of a secured socket through <see cref="SecureStream"/> (or ssx's calls): the Socket's
/// own Send/Receive would bypass TLS. Close it with <see cref="SecureStream"/>'s Dispose or
/// <see cref="SecureClose"/>, which end the TLS session properly (close_notify) before the TCP
/// connection closes. .NET performs neither the connect nor the handshake, so
/// <see cref="Socket.Connected"/> and <see cref="Socket.RemoteEndPoint"/> of a client socket
/// connected with <see cref="SecureConnect"/> keep .NET's view (not connected); accepted sockets
/// report both normally.
/// </remarks>
public static class SecureSocketExtensions
{
    /// <summary>
    /// Turns on security for the socket (ssx_set_socket_security). Call it before
    /// <see cref="SecureConnect"/> on a client and before <see cref="Socket.Bind"/> on a listener;
    /// accepted sockets inherit the listener's settings. Once per socket. The policy and the
    /// credentials are read and checked here, so mistakes in them are reported by this call.
    /// </summary>
    /// <param name="socket">An IPv4 or IPv6 TCP socket, not yet bound or connected.</param>
    /// <param name="settings">The application's requirements; null = the policy's defaults.</param>
    public static void SetSocketSecurity(this Socket socket, SecuritySettings? settings = null)
    {
        ThrowIfClosed(socket);
        settings ??= new SecuritySettings();
        uint timeoutMs = settings.HandshakeTimeoutMilliseconds;
        string? alpn = settings.AlpnList;
        string? certificate = Text.NoNul(settings.CertificateFile, nameof(settings.CertificateFile));
        string? key = Text.NoNul(settings.PrivateKeyFile, nameof(settings.PrivateKeyFile));
        string? trust = Text.NoNul(settings.TrustFile, nameof(settings.TrustFile));
        bool existed = SecureDescriptor.Find(socket) != null;
        SecureDescriptor descriptor = SecureDescriptor.GetOrCreate(socket);
        try
        {
            descriptor.Use(fd => N.ssx_swig_set_socket_security(fd, (int)settings.Protocol, (uint)settings.Flags, timeoutMs,
                certificate, key, trust, alpn));
        }
        catch when (!existed)
        {
            // ssx refused the socket: it holds no state for the new descriptor; drop it so a
            // corrected call can start afresh.
            SecureDescriptor.Forget(socket, descriptor);
            throw;
        }
    }

    /// <summary>
    /// Names the identity the peer must prove (ssx_set_peer_target_name): a DNS name, an IP address,
    /// a URI or SPIFFE ID ("spiffe://td/path", "spiffe://td/path/*", "spiffe://td"), or a Windows SPN
    /// ("host/db.corp"). Call it before <see cref="SecureConnect"/>.
    /// </summary>
    /// <param name="socket">A socket secured with <see cref="SetSocketSecurity"/>.</param>
    /// <param name="targetName">The name the peer's certificate must prove.</param>
    /// <param name="peer">The peer address the name applies to (port 0 = any port); null = any peer.</param>
    public static void SetPeerTargetName(this Socket socket, string targetName, IPEndPoint? peer = null)
    {
        ArgumentNullException.ThrowIfNull(targetName);
        Text.NoNul(targetName, nameof(targetName));
        WithAddress(socket, peer, (fd, p, n, port, scope) => N.ssx_swig_set_peer_target_name(fd, p, n, port, scope, targetName));
    }

    /// <summary>Removes the target name set for a peer address (null = the any-peer entry).</summary>
    public static void DeletePeerTargetName(this Socket socket, IPEndPoint? peer = null) =>
        WithAddress(socket, peer, (fd, p, n, port, scope) => N.ssx_swig_delete_peer_target_name(fd, p, n, port, scope));

    /// <summary>
    /// Connects and secures (ssx_connect): returns only when TCP is connected, TLS is negotiated, the
    /// peer's chain verifies, the peer proves the target name and the policy is satisfied. Not one
    /// application byte is sent before that. Waits at most the handshake deadline.
    /// </summary>
    /// <exception cref="SecureSocketException">The connection could not be secured; the socket is then unusable.</exception>
    public static void SecureConnect(this Socket socket, EndPoint remoteEP)
    {
        var (address, port, scope) = Destination(socket, remoteEP);
        bool started = false;
        Readiness.Run(socket, () => Call(socket, fd => ConnectStep(fd, ref started, address, port, scope)),
            Timeout.InfiniteTimeSpan, Readiness.HandshakeSlice, "the TLS handshake");
    }

    /// <summary>
    /// <see cref="SecureConnect"/> without blocking a thread while waiting for the peer. The socket
    /// is non-blocking during the call. After a cancellation the socket is unusable: close it.
    /// </summary>
    public static async Task SecureConnectAsync(this Socket socket, EndPoint remoteEP, CancellationToken cancellationToken = default)
    {
        var (address, port, scope) = Destination(socket, remoteEP);
        bool wasBlocking = socket.Blocking;
        socket.Blocking = false;
        try
        {
            bool started = false;
            await Readiness.RunAsync(socket, () => Call(socket, fd => ConnectStep(fd, ref started, address, port, scope)),
                Readiness.HandshakeSlice, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!socket.SafeHandle.IsClosed) socket.Blocking = wasBlocking;
        }
    }

    // The first step is ssx_connect; once it is under way, ssx_handshake continues it.
    private static unsafe long ConnectStep(int fd, ref bool started, byte[] address, int port, uint scope)
    {
        if (started) return N.ssx_handshake(fd);
        started = true;
        fixed (byte* p = address) return N.ssx_swig_connect(fd, (IntPtr)p, (ulong)address.Length, port, scope);
    }

    /// <summary>
    /// Accepts a connection on a listener secured with <see cref="SetSocketSecurity"/> (before bind)
    /// and runs the server side of the handshake with the listener's deadline (ssx_accept). Returns
    /// the secured connection as a new <see cref="Socket"/>.
    /// </summary>
    /// <exception cref="SecureSocketException">
    /// A client failed the handshake (that connection is closed; the listener is unaffected: call
    /// again), or the listener itself failed.
    /// </exception>
    public static Socket SecureAccept(this Socket listener)
    {
        long fd = Readiness.Run(listener, () => Call(listener, N.ssx_swig_accept), Timeout.InfiniteTimeSpan, null, "accept");
        return FinishAccept((int)fd, s => Readiness.Run(s.Socket, () => s.Descriptor.Use(N.ssx_handshake),
            Timeout.InfiniteTimeSpan, Readiness.HandshakeSlice, "the TLS handshake"));
    }

    /// <summary>
    /// <see cref="SecureAccept"/> without blocking a thread during the handshake. The listener is
    /// non-blocking during the call; waiting for a pending connection uses a pool thread.
    /// </summary>
    public static async Task<Socket> SecureAcceptAsync(this Socket listener, CancellationToken cancellationToken = default)
    {
        bool wasBlocking = listener.Blocking;
        listener.Blocking = false;
        long fd;
        try
        {
            fd = await Readiness.RunAsync(listener, () => Call(listener, N.ssx_swig_accept), null, cancellationToken, listening: true)
                .ConfigureAwait(false);
        }
        finally
        {
            if (!listener.SafeHandle.IsClosed) listener.Blocking = wasBlocking;
        }
        Accepted? accepted = null;
        Socket socket = FinishAccept((int)fd, s => accepted = s);
        try
        {
            await Readiness.RunAsync(socket, () => accepted!.Descriptor.Use(N.ssx_handshake), Readiness.HandshakeSlice, cancellationToken)
                .ConfigureAwait(false);
            return socket;
        }
        catch
        {
            SecureClose(socket);
            throw;
        }
    }

    private sealed record Accepted(Socket Socket, SecureDescriptor Descriptor);

    // Wraps ssx's new descriptor in a Socket (of a duplicate, see SecureDescriptor) and completes the
    // handshake; on any failure both are closed.
    private static Socket FinishAccept(int fd, Action<Accepted> handshake)
    {
        SecureDescriptor descriptor = SecureDescriptor.Adopt(fd);
        Socket? socket = null;
        try
        {
            int own = descriptor.Use(N.ssx_swig_dup);
            socket = new Socket(new SafeSocketHandle(new IntPtr(own), ownsHandle: true));
            SecureDescriptor.Register(socket, descriptor);
            handshake(new Accepted(socket, descriptor));
            return socket;
        }
        catch
        {
            descriptor.Dispose();
            socket?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reports the security of a connection (ssx_query_socket_security).
    /// </summary>
    /// <param name="socket">A connected socket.</param>
    /// <param name="peerTokenAccess">
    /// Non-zero to receive the peer's token, opened with these rights (reading it needs
    /// <see cref="TokenAccessRights.Query"/>). The returned <see cref="SecurityInfo"/> owns it.
    /// </param>
    /// <param name="protocol"><see cref="SecurityProtocol.Default"/> or <see cref="SecurityProtocol.Tls"/>.</param>
    public static SecurityInfo QuerySocketSecurity(this Socket socket, TokenAccessRights peerTokenAccess = TokenAccessRights.None,
        SecurityProtocol protocol = SecurityProtocol.Default)
    {
        using var info = new QueryInfo();
        Call(socket, fd => N.ssx_swig_query(fd, (int)protocol, (uint)peerTokenAccess, info));
        return new SecurityInfo(info);
    }

    /// <summary>
    /// Acts as the connection's authenticated peer until the returned scope is disposed
    /// (ssx_impersonate_socket_peer / ssx_revert_impersonation). The impersonation belongs to the
    /// current logical flow: it follows <c>await</c> continuations, <see cref="Task.Run(Action)"/>
    /// and threads started inside the scope (as Windows impersonation does in .NET), and never stays
    /// on a thread that returns to the pool. See <see cref="ImpersonationScope"/>.
    /// </summary>
    public static ImpersonationScope ImpersonatePeer(this Socket socket)
    {
        ThrowIfClosed(socket);
        SecureDescriptor? descriptor = SecureDescriptor.Find(socket);
        if (descriptor == null)
        {
            // Not secured through this binding: a read-only ssx call on the socket's own descriptor
            // lets ssx explain why (SSX_E_NO_SECURITY), without changing the thread's identity.
            using (QuerySocketSecurity(socket))
            {
            }
            throw new InvalidOperationException("this socket was secured outside the Ssx binding; impersonate through the binding's sockets only");
        }
        return ImpersonationScope.Begin(descriptor);
    }

    /// <summary>
    /// Shuts down one or both directions (ssx_shutdown). <see cref="SocketShutdown.Send"/> sends TLS
    /// close_notify and then TCP's FIN, so the peer reads the end of the stream after every byte sent.
    /// </summary>
    public static void SecureShutdown(this Socket socket, SocketShutdown how) =>
        Call(socket, fd => N.ssx_shutdown(fd, how switch
        {
            SocketShutdown.Receive => 0,
            SocketShutdown.Send => 1,
            SocketShutdown.Both => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        }));

    /// <summary>
    /// Closes a secured socket: ends the TLS session (close_notify; ssx_close) and then disposes the
    /// <see cref="Socket"/>. Safe to call more than once and on sockets ssx does not secure.
    /// </summary>
    public static void SecureClose(this Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        SecureDescriptor? descriptor = SecureDescriptor.Find(socket);
        if (descriptor != null)
        {
            SecureDescriptor.Forget(socket, descriptor);
        }
        socket.Dispose();
    }

    /// <summary>Whether the binding secures this socket (<see cref="SetSocketSecurity"/> succeeded, or it was accepted securely).</summary>
    public static bool IsSecureSocket(this Socket socket) => SecureDescriptor.Find(socket) is { IsClosed: false };

    // Runs a native call with the socket's ssx descriptor, or with the socket's own descriptor when
    // the binding does not secure it (ssx then reports SSX_E_NO_SECURITY with its message).
    internal static T Call<T>(Socket socket, Func<int, T> call)
    {
        ThrowIfClosed(socket);
        SecureDescriptor? descriptor = SecureDescriptor.Find(socket);
        return descriptor != null ? descriptor.Use(call) : SecureDescriptor.WithSocketFd(socket, call);
    }

    private static void ThrowIfClosed(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SafeHandle.IsClosed) throw new ObjectDisposedException(nameof(Socket));
    }

    private delegate int AddressCall(int fd, IntPtr address, ulong length, int port, uint scopeId);

    private static unsafe void WithAddress(Socket socket, IPEndPoint? peer, AddressCall call)
    {
        if (peer == null)
        {
            Call(socket, fd => call(fd, IntPtr.Zero, 0, 0, 0));
            return;
        }
        var (address, port, scope) = Normalize(socket, peer);
        Call(socket, fd =>
        {
            fixed (byte* p = address) return call(fd, (IntPtr)p, (ulong)address.Length, port, scope);
        });
    }

    private static (byte[] Address, int Port, uint ScopeId) Destination(Socket socket, EndPoint remoteEP)
    {
        ArgumentNullException.ThrowIfNull(remoteEP);
        ThrowIfClosed(socket);
        if (remoteEP is not IPEndPoint ip)
        {
            throw new ArgumentException(
                $"SecureConnect needs an IPEndPoint (got {remoteEP.GetType().Name}); resolve host names first (Dns.GetHostAddresses) " +
                "and name the identity the server must prove with SetPeerTargetName", nameof(remoteEP));
        }
        return Normalize(socket, ip);
    }

    // A dual-mode IPv6 socket talks to IPv4 peers through IPv4-mapped addresses, as .NET does.
    private static (byte[] Address, int Port, uint ScopeId) Normalize(Socket socket, IPEndPoint ep)
    {
        IPAddress address = ep.Address;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && address.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv6();
        }
        uint scope = address.AddressFamily == AddressFamily.InterNetworkV6 ? (uint)address.ScopeId : 0;
        return (address.GetAddressBytes(), ep.Port, scope);
    }
}
