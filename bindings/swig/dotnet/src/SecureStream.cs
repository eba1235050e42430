using System;
using System.Buffers;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// The data path of a secured socket as a <see cref="Stream"/> (ssx_send / ssx_recv), so
/// <see cref="StreamReader"/>, <see cref="StreamWriter"/>, <see cref="Stream.CopyTo(Stream)"/> and
/// the asynchronous stream APIs work over ssx. One reader and one writer may use it at the same
/// time.
/// </summary>
/// <remarks>
/// Reads return 0 at the peer's orderly end (TLS close_notify). A connection that ends without it
/// (truncation), times out or fails throws <see cref="IOException"/> whose inner exception is the
/// <see cref="SecureSocketException"/>. <see cref="Dispose(bool)"/> ends the TLS session properly
/// (close_notify, ssx_close); with <c>ownsSocket</c> it disposes the socket too. Once disposed, the
/// socket is no longer secured by the binding.
/// </remarks>
public sealed class SecureStream : Stream
{
    // Bounded so one call's length fits ssx's and the interop layer's integer types.
    private const int MaxChunk = 1 << 30;

    private readonly Socket _socket;
    private readonly bool _ownsSocket;
    private readonly SecureDescriptor _descriptor;
    private int _disposed;
    private int _activeReads;

    /// <summary>A stream over a socket secured by <see cref="SecureSocketExtensions"/> (connected or accepted).</summary>
    /// <param name="socket">The connected, secured socket.</param>
    /// <param name="ownsSocket">Whether disposing the stream also disposes the socket.</param>
    /// <exception cref="ArgumentException">The socket is not secured by ssx.</exception>
    public SecureStream(Socket socket, bool ownsSocket = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _descriptor = SecureDescriptor.Find(socket) ??
            throw new ArgumentException("the socket is not secured by ssx: call SetSocketSecurity and SecureConnect, or use SecureAccept", nameof(socket));
        _socket = socket;
        _ownsSocket = ownsSocket;
    }

    /// <summary>The socket under the stream.</summary>
    public Socket Socket => _socket;

    /// <inheritdoc />
    public override bool CanRead => Volatile.Read(ref _disposed) == 0;
    /// <inheritdoc />
    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanTimeout => true;

    /// <summary>The socket's receive timeout in milliseconds (<see cref="Timeout.Infinite"/> = none).</summary>
    public override int ReadTimeout
    {
        get => _socket.ReceiveTimeout == 0 ? Timeout.Infinite : _socket.ReceiveTimeout;
        set => _socket.ReceiveTimeout = value == Timeout.Infinite ? 0 : value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>The socket's send timeout in milliseconds (<see cref="Timeout.Infinite"/> = none).</summary>
    public override int WriteTimeout
    {
        get => _socket.SendTimeout == 0 ? Timeout.Infinite : _socket.SendTimeout;
        set => _socket.SendTimeout = value == Timeout.Infinite ? 0 : value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>What the connection's security is; see <see cref="SecureSocketExtensions.QuerySocketSecurity"/>.</summary>
    public SecurityInfo QuerySecurity(TokenAccessRights peerTokenAccess = TokenAccessRights.None) =>
        _socket.QuerySocketSecurity(peerTokenAccess);

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override unsafe int Read(Span<byte> buffer)
    {
        ThrowIfDisposed();
        if (buffer.IsEmpty) return 0;
        int length = Math.Min(buffer.Length, MaxChunk);
        Interlocked.Increment(ref _activeReads);
        try
        {
            fixed (byte* p = buffer)
            {
                IntPtr address = (IntPtr)p;
                return (int)Io("read", () => Readiness.Run(_socket, () => _descriptor.Use(fd => N.ssx_recv(fd, address, (ulong)length, 0)),
                    TimeoutOf(_socket.ReceiveTimeout), null, "the read"));
            }
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }
    }

    /// <inheritdoc />
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (buffer.IsEmpty) return 0;
        int length = Math.Min(buffer.Length, MaxChunk);
        using MemoryHandle pin = buffer.Pin();
        IntPtr address = PinnedAddress(pin);
        Interlocked.Increment(ref _activeReads);
        try
        {
            return (int)await IoAsync("read", () => Readiness.RunAsync(_socket,
                () => _descriptor.Use(fd => N.ssx_recv(fd, address, (ulong)length, MsgDontWait)), null, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc />
    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfDisposed();
        fixed (byte* p = buffer)
        {
            // A blocking ssx_send sends everything; on a non-blocking descriptor it may send part.
            for (int sent = 0; sent < buffer.Length;)
            {
                IntPtr address = (IntPtr)(p + sent);
                int length = Math.Min(buffer.Length - sent, MaxChunk);
                sent += (int)Io("write", () => Readiness.Run(_socket, () => _descriptor.Use(fd => N.ssx_send(fd, address, (ulong)length, 0)),
                    TimeoutOf(_socket.SendTimeout), null, "the write"));
            }
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using MemoryHandle pin = buffer.Pin();
        IntPtr start = PinnedAddress(pin);
        for (int sent = 0; sent < buffer.Length;)
        {
            IntPtr address = start + sent;
            int length = Math.Min(buffer.Length - sent, MaxChunk);
            sent += (int)await IoAsync("write", () => Readiness.RunAsync(_socket,
                () => _descriptor.Use(fd => N.ssx_send(fd, address, (ulong)length, MsgDontWait)), null, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Does nothing: ssx sends every write at once.</summary>
    public override void Flush()
    {
    }

    /// <summary>
    /// Ends the sending direction: TLS close_notify, then TCP FIN (ssx_shutdown SHUT_WR). The peer
    /// reads the end of the stream after every byte sent; this side can still read.
    /// </summary>
    public void Shutdown()
    {
        ThrowIfDisposed();
        Io("shut down", () => (long)_descriptor.Use(fd => N.ssx_shutdown(fd, 1)));
    }

    /// <summary>The same as <see cref="Shutdown"/> (ssx sends close_notify without waiting for the peer).</summary>
    public Task ShutdownAsync()
    {
        Shutdown();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Ends the TLS session (close_notify) and closes ssx's descriptor (ssx_close); disposes the socket
    /// if the stream owns it. A read blocked on another thread is woken: it throws
    /// <see cref="IOException"/> saying the stream was disposed.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (disposing)
        {
            // A read blocked in ssx holds the descriptor: wake it (close_notify, then the receiving
            // side shut), so ssx's close runs now rather than when the peer next sends.
            if (Volatile.Read(ref _activeReads) > 0)
            {
                try
                {
                    _descriptor.Use(fd =>
                    {
                        N.ssx_swig_wake(fd);
                        return 0;
                    });
                }
                catch (ObjectDisposedException)
                {
                }
            }
            if (_ownsSocket) _socket.SecureClose();
            else SecureDescriptor.Forget(_socket, _descriptor);
        }
        base.Dispose(disposing);
    }

    private const int MsgDontWait = 0x40; // MSG_DONTWAIT: this call does not block

    private static unsafe IntPtr PinnedAddress(MemoryHandle pin) => (IntPtr)pin.Pointer;

    private static TimeSpan TimeoutOf(int milliseconds) =>
        milliseconds <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(milliseconds);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    // Stream callers expect IOException, as NetworkStream throws it around SocketException. A
    // failure caused by this stream's own disposal (a blocked read woken by Dispose) says so rather
    // than reporting what ssx saw (the receiving side shut under it).
    private long Io(string what, Func<long> call)
    {
        try
        {
            return call();
        }
        catch (SecureSocketException e)
        {
            throw Wrap(what, e);
        }
    }

    private async ValueTask<long> IoAsync(string what, Func<ValueTask<long>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SecureSocketException e)
        {
            throw Wrap(what, e);
        }
    }

    private IOException Wrap(string what, SecureSocketException e) => Volatile.Read(ref _disposed) != 0
        ? new IOException($"Unable to {what} on the secure connection: the stream was disposed during the operation", e)
        : new IOException($"Unable to {what} on the secure connection: {e.Message}", e);
}
