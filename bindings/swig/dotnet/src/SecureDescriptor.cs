using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Net.Sockets;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// The descriptor ssx secures for one <see cref="Socket"/>: a duplicate (dup) of the socket's own
/// descriptor, owned by ssx and closed with ssx_close().
/// </summary>
/// <remarks>
/// Why a duplicate: .NET closes a Socket's descriptor with close(2) when the Socket is disposed or
/// finalized, at a time the binding does not control. If ssx used that same number, ssx's close
/// (close_notify, forgetting the state) could run after .NET had closed the number and the kernel
/// had reused it for an unrelated file. With a descriptor of its own, each side closes exactly what
/// it owns: .NET its descriptor, ssx this one (on <see cref="SecureStream.Dispose(bool)"/>,
/// <see cref="SecureSocketExtensions.SecureClose"/>, or when the Socket is garbage-collected).
/// Both descriptors name the same kernel socket, so the connection, its options (timeouts,
/// O_NONBLOCK) and its readiness are shared; the TCP connection ends when both are closed.
/// As a SafeHandle, a descriptor in use by a native call is never closed under it.
/// </remarks>
internal sealed class SecureDescriptor : SafeHandle
{
    // The descriptor of each Socket that ssx secures. Weak keys: the entry (and so the descriptor,
    // through its finalizer) goes when the Socket is collected.
    private static readonly ConditionalWeakTable<Socket, SecureDescriptor> s_table = new();

    private SecureDescriptor(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number (valid while a reference is held).</summary>
    internal int Fd => (int)handle.ToInt64();

    /// <summary>The ssx descriptor of a socket, or null if the binding has not secured it.</summary>
    internal static SecureDescriptor? Find(Socket socket) => s_table.TryGetValue(socket, out var d) ? d : null;

    /// <summary>The ssx descriptor of a socket, made (a dup of the socket's descriptor) if it has none.</summary>
    internal static SecureDescriptor GetOrCreate(Socket socket)
    {
        lock (s_table)
        {
            if (s_table.TryGetValue(socket, out var existing)) return existing;
            var created = new SecureDescriptor(WithSocketFd(socket, N.ssx_swig_dup));
            s_table.Add(socket, created);
            return created;
        }
    }

    /// <summary>Registers a descriptor that ssx made (an accepted connection) for its Socket.</summary>
    internal static void Register(Socket socket, SecureDescriptor descriptor)
    {
        lock (s_table) s_table.Add(socket, descriptor);
    }

    /// <summary>Removes a socket's descriptor from the table and closes it (once no call uses it).</summary>
    internal static void Forget(Socket socket, SecureDescriptor descriptor)
    {
        lock (s_table)
        {
            if (s_table.TryGetValue(socket, out var current) && ReferenceEquals(current, descriptor)) s_table.Remove(socket);
        }
        descriptor.Dispose();
    }

    /// <summary>Takes ownership of a descriptor returned by ssx (ssx_accept).</summary>
    internal static SecureDescriptor Adopt(int fd) => new(fd);

    /// <summary>Runs a native call with the socket's own descriptor (for sockets ssx does not secure, so ssx reports why).</summary>
    internal static T WithSocketFd<T>(Socket socket, Func<int, T> call)
    {
        SafeSocketHandle h = socket.SafeHandle;
        bool added = false;
        try
        {
            h.DangerousAddRef(ref added);
            return call((int)h.DangerousGetHandle());
        }
        finally
        {
            if (added) h.DangerousRelease();
        }
    }

    /// <summary>Runs a native call with this descriptor, holding a reference so it cannot be closed meanwhile.</summary>
    internal T Use<T>(Func<int, T> call)
    {
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            return call(Fd);
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    protected override bool ReleaseHandle()
    {
        try
        {
            // Sends close_notify, drains briefly, closes, forgets the security state; the descriptor
            // is closed in every case, so a failure here has nothing left to clean up.
            N.ssx_close(Fd);
        }
        catch (SecureSocketException)
        {
        }
        return true;
    }
}
