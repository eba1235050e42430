using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>SecureStream: the data path, its ends, its failures and its timeouts.</summary>
public sealed class StreamTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    // A connected pair: (client, accepted server socket).
    private (Socket Client, Socket Server, Socket Listener) Pair()
    {
        Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<Socket> accept = OnThread(listener.SecureAccept);
        Socket client = Client(_pki.Settings("client"));
        client.SecureConnect(ep);
        return (client, Within(accept), listener);
    }

    [Fact]
    public void ReaderAndWriterWorkLineByLine()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (var cs = new SecureStream(client, ownsSocket: true))
        using (var ss = new SecureStream(server, ownsSocket: true))
        {
            var serverTask = OnThread(() =>
            {
                var reader = new StreamReader(ss, Encoding.UTF8);
                var writer = new StreamWriter(ss, new UTF8Encoding(false)) { AutoFlush = true };
                string? line;
                while ((line = reader.ReadLine()) != null) writer.WriteLine($"{line.Length}:{line}");
                ss.Shutdown();
            });
            var w = new StreamWriter(cs, new UTF8Encoding(false)) { AutoFlush = true };
            var r = new StreamReader(cs, Encoding.UTF8);
            w.WriteLine("héllo wörld");
            Assert.Equal("11:héllo wörld", r.ReadLine());
            w.WriteLine("");
            Assert.Equal("0:", r.ReadLine());
            cs.Shutdown(); // close_notify: the server's reader ends
            Within(serverTask);
            Assert.Null(r.ReadLine()); // the server's close_notify
        }
    }

    [Fact]
    public void CopyToMovesLargePayloadsBothWays()
    {
        var (client, server, listener) = Pair();
        byte[] payload = RandomNumberGenerator.GetBytes(5 << 20);
        using (listener)
        using (var cs = new SecureStream(client, ownsSocket: true))
        {
            Task echo = OnThread(() =>
            {
                using var ss = new SecureStream(server, ownsSocket: true);
                ss.CopyTo(ss, 7919); // odd buffer size: records and reads do not line up
            });
            Task writer = OnThread(() =>
            {
                new MemoryStream(payload).CopyTo(cs, 65536);
                cs.Shutdown();
            });
            byte[] back = ConnectTests.ReadToEnd(cs);
            Within(writer);
            Within(echo);
            Assert.Equal(SHA256.HashData(payload), SHA256.HashData(back));
        }
    }

    [Fact]
    public async Task AsyncReadsAndWritesInterleave()
    {
        var (client, server, listener) = Pair();
        using (listener)
        await using (var cs = new SecureStream(client, ownsSocket: true))
        await using (var ss = new SecureStream(server, ownsSocket: true))
        {
            var buffer = new byte[64];
            for (int round = 0; round < 50; round++)
            {
                byte[] msg = Encoding.ASCII.GetBytes($"round {round}");
                Task<int> pending = ss.ReadAsync(buffer, 0, buffer.Length);
                await Task.Delay(round % 5 == 0 ? 5 : 0);
                Assert.False(round % 5 == 0 && pending.IsCompleted, "a read completed before anything was sent");
                await cs.WriteAsync(msg);
                int n = await pending.WaitAsync(Limit);
                Assert.Equal($"round {round}", Encoding.ASCII.GetString(buffer, 0, n));
            }
            await ss.ShutdownAsync();
            Assert.Equal(0, await cs.ReadAsync(buffer).AsTask().WaitAsync(Limit));
        }
    }

    [Fact]
    public async Task AsyncReadIsCancellable()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (var cs = new SecureStream(client, ownsSocket: true))
        using (server)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cs.ReadAsync(new byte[16], cts.Token).AsTask().WaitAsync(Limit));
        }
    }

    [Fact]
    public void FullDuplexOnOneStream()
    {
        var (client, server, listener) = Pair();
        const int Chunks = 200;
        using (listener)
        using (var cs = new SecureStream(client, ownsSocket: true))
        using (var ss = new SecureStream(server, ownsSocket: true))
        {
            // Each side writes while it reads: neither may block the other.
            Task<long> Pump(SecureStream s) => OnThread(() =>
            {
                var writer = OnThread(() =>
                {
                    var chunk = new byte[16384];
                    for (int i = 0; i < Chunks; i++) s.Write(chunk);
                    s.Shutdown();
                });
                long total = ConnectTests.ReadToEnd(s).LongLength;
                Within(writer);
                return total;
            });
            Task<long> a = Pump(cs), b = Pump(ss);
            Assert.Equal(Chunks * 16384L, Within(a));
            Assert.Equal(Chunks * 16384L, Within(b));
        }
    }

    [Fact]
    public void ReadTimeoutThrowsIOExceptionWithTheSsxCode()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (server)
        using (var cs = new SecureStream(client, ownsSocket: true))
        {
            cs.ReadTimeout = 200;
            Assert.Equal(200, cs.ReadTimeout);
            var e = Assert.Throws<IOException>(() => cs.ReadByte());
            var inner = Assert.IsType<SecureSocketException>(e.InnerException);
            Assert.Equal(SecureSocketError.Timeout, inner.Code);
            cs.ReadTimeout = Timeout.Infinite;
            Assert.Equal(Timeout.Infinite, cs.ReadTimeout);
        }
    }

    [Fact]
    public void ReadTimeoutAlsoAppliesToNonBlockingSockets()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (server)
        using (var cs = new SecureStream(client, ownsSocket: true))
        {
            client.Blocking = false;
            cs.ReadTimeout = 200;
            var e = Assert.Throws<IOException>(() => cs.ReadByte());
            Assert.Equal(SecureSocketError.Timeout, Assert.IsType<SecureSocketException>(e.InnerException).Code);
        }
    }

    [Fact]
    public void TruncationWithoutCloseNotifyIsAnError()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (server)
        using (var cs = new SecureStream(client, ownsSocket: true))
        {
            // The server's TCP connection ends (FIN) without TLS close_notify.
            server.Shutdown(SocketShutdown.Both);
            var e = Assert.Throws<IOException>(() => cs.ReadByte());
            var inner = Assert.IsType<SecureSocketException>(e.InnerException);
            Assert.Contains(inner.Code, new[] { SecureSocketError.PeerClosed, SecureSocketError.IO, SecureSocketError.Protocol });
        }
    }

    [Fact]
    public void WritingAfterShutdownFails()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (server)
        using (var cs = new SecureStream(client, ownsSocket: true))
        {
            cs.Shutdown();
            var e = Assert.Throws<IOException>(() => cs.Write(new byte[] { 1 }));
            Assert.Equal(SecureSocketError.ShutDown, Assert.IsType<SecureSocketException>(e.InnerException).Code);
        }
    }

    [Fact]
    public void DisposeWakesABlockedReader()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (server)
        {
            var cs = new SecureStream(client, ownsSocket: true);
            Task<int> reader = OnThread(() => cs.Read(new byte[16]));
            Thread.Sleep(100);
            Assert.False(reader.IsCompleted);
            cs.Dispose();
            var e = Assert.Throws<AggregateException>(() => reader.Wait(Limit));
            var io = Assert.IsType<IOException>(e.InnerException);
            Assert.Contains("disposed", io.Message);
            Assert.False(cs.CanRead);
            Assert.Throws<ObjectDisposedException>(() => cs.Read(new byte[1]));
            Assert.True(client.SafeHandle.IsClosed);
            // The server sees the orderly end (close_notify), not a truncation or an alert.
            using var ss = new SecureStream(server);
            Assert.Equal(-1, ss.ReadByte());
        }
    }

    [Fact]
    public void StreamWithoutOwnershipLeavesTheSocketOpen()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (client)
        using (var ss = new SecureStream(server, ownsSocket: true))
        {
            var cs = new SecureStream(client);
            cs.Write(Encoding.ASCII.GetBytes("bye"));
            cs.Dispose(); // close_notify; the Socket object stays
            Assert.False(client.SafeHandle.IsClosed);
            Assert.False(client.IsSecureSocket());
            Assert.Equal("bye", Encoding.ASCII.GetString(ConnectTests.ReadToEnd(ss)));
        }
    }

    [Fact]
    public void StreamIsNotSeekable()
    {
        var (client, server, listener) = Pair();
        using (listener)
        using (server)
        using (var cs = new SecureStream(client, ownsSocket: true))
        {
            Assert.False(cs.CanSeek);
            Assert.True(cs.CanRead && cs.CanWrite && cs.CanTimeout);
            Assert.Throws<NotSupportedException>(() => cs.Length);
            Assert.Throws<NotSupportedException>(() => cs.Seek(0, SeekOrigin.Begin));
            Assert.Same(client, cs.Socket);
            using SecurityInfo info = cs.QuerySecurity();
            Assert.True(info.IsSecured);
        }
    }
}
