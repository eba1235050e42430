using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// The one place where the binding waits for a socket. ssx calls on a non-blocking descriptor
/// (.NET makes a Socket's descriptor non-blocking as soon as it is used asynchronously, and the
/// async methods of this binding ask ssx not to block) come back with -SSX_E_WANT_READ or
/// -SSX_E_WANT_WRITE; the operation then waits for that readiness and calls ssx again.
/// </summary>
internal static class Readiness
{
    internal const int WantRead = -N.SSX_E_WANT_READ;
    internal const int WantWrite = -N.SSX_E_WANT_WRITE;

    // Handshakes are re-driven at least this often while waiting, so that ssx's own handshake
    // deadline (checked inside ssx_handshake) ends a wait for a silent peer.
    internal static readonly TimeSpan HandshakeSlice = TimeSpan.FromMilliseconds(250);

    internal static bool IsWait(long result) => result == WantRead || result == WantWrite;

    /// <summary>
    /// Calls <paramref name="call"/> until it returns something other than a wait request, waiting
    /// for readiness in between. <paramref name="timeout"/> bounds the total wait
    /// (<see cref="Timeout.InfiniteTimeSpan"/> for none); <paramref name="slice"/>, when given,
    /// re-drives the call at that interval even without readiness.
    /// </summary>
    internal static long Run(Socket socket, Func<long> call, TimeSpan timeout, TimeSpan? slice, string what)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        for (;;)
        {
            long r = call();
            if (!IsWait(r)) return r;
            long now = Environment.TickCount64;
            if (now >= deadline) throw TimedOut(what, timeout);
            long waitMs = Math.Min(deadline - now, slice.HasValue ? (long)slice.Value.TotalMilliseconds : 1000);
            // Socket.Poll's wait is in microseconds (int); 1 s slices keep it in range.
            socket.Poll((int)Math.Min(waitMs, 1000) * 1000, r == WantRead ? SelectMode.SelectRead : SelectMode.SelectWrite);
        }
    }

    /// <summary>The asynchronous form of <see cref="Run"/>: waits without blocking a thread for reads.</summary>
    /// <param name="socket">The socket whose readiness is awaited.</param>
    /// <param name="call">The ssx call; returns a result or a wait request.</param>
    /// <param name="slice">When given, the call is re-driven at this interval even without readiness.</param>
    /// <param name="cancellationToken">Ends the wait (the operation is then abandoned).</param>
    /// <param name="listening">
    /// The socket is a listener: .NET cannot wait asynchronously for a pending connection without
    /// accepting it, so a pool thread polls for it.
    /// </param>
    internal static async ValueTask<long> RunAsync(Socket socket, Func<long> call, TimeSpan? slice, CancellationToken cancellationToken,
        bool listening = false)
    {
        bool waitFailed = false;
        for (;;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long r = call();
            if (!IsWait(r)) return r;
            using var sliceCts = slice.HasValue ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : null;
            sliceCts?.CancelAfter(slice!.Value);
            CancellationToken wait = sliceCts?.Token ?? cancellationToken;
            try
            {
                if (r == WantRead && !listening)
                {
                    // A zero-byte receive completes when data (or the end) is available without
                    // consuming anything: the asynchronous "wait until readable" of .NET sockets.
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, wait).ConfigureAwait(false);
                }
                else
                {
                    // .NET has no asynchronous "wait until writable" (needed rarely: a full send
                    // buffer, a TCP connect in progress) nor "until a connection is pending"; a
                    // pool thread polls in short slices so cancellation is noticed.
                    SelectMode mode = r == WantRead ? SelectMode.SelectRead : SelectMode.SelectWrite;
                    await Task.Run(() => socket.Poll(100_000, mode), wait).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The slice ended: call again, so ssx can apply its handshake deadline.
            }
            catch (SocketException) when (!waitFailed)
            {
                // The socket failed (reset, ...): call again once, so ssx reports the failure with
                // its own code and message.
                waitFailed = true;
            }
        }
    }

    internal static SecureSocketException TimedOut(string what, TimeSpan timeout) =>
        new(N.SSX_E_TIMEOUT, PosixErrno.ETIMEDOUT,
            $"{what} did not complete within {(long)timeout.TotalMilliseconds} ms (the socket's timeout)");
}
