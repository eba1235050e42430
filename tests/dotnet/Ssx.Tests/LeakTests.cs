using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>
/// Tokens and connections dropped without Dispose are released by the garbage collector (SafeHandle
/// finalizers), and disposed ones at once: the process's descriptor count returns to its start.
/// </summary>
public sealed class LeakTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Fact]
    public void ThousandsOfTokensAndConnectionsReturnTheDescriptorCount()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        const int Connections = 300;
        const int TokensPerConnection = 10;

        // Warm up: the runtime and OpenSSL open what they keep (epoll, random devices, ...).
        RunConnections(listener, ep, 5, TokensPerConnection, dispose: true);
        Collect();
        int start = OpenDescriptors();

        RunConnections(listener, ep, Connections / 2, TokensPerConnection, dispose: true);
        Collect();
        int afterDisposed = OpenDescriptors();

        RunConnections(listener, ep, Connections / 2, TokensPerConnection, dispose: false);
        Collect();
        int afterDropped = OpenDescriptors();

        Assert.True(afterDisposed <= start, $"disposed connections leaked descriptors: {start} -> {afterDisposed}");
        Assert.True(afterDropped <= start, $"dropped connections leaked descriptors: {start} -> {afterDropped}");
    }

    // Each connection: the server accepts, takes tokens and echoes one byte; the client connects,
    // takes tokens, exchanges one byte. With dispose = false nothing is disposed: sockets, streams,
    // query results and tokens are dropped for the garbage collector (both sides shut their sending
    // direction first, so the finalizers' ssx_close finds the peer's end at once instead of waiting
    // out its drain budget).
    private void RunConnections(Socket listener, IPEndPoint ep, int count, int tokens, bool dispose)
    {
        for (int i = 0; i < count; i++)
        {
            Task server = OnThread(() =>
            {
                Socket s = listener.SecureAccept();
                var info = s.QuerySocketSecurity(TokenAccessRights.Query);
                for (int t = 0; t < tokens; t++)
                {
                    PeerToken copy = info.PeerApplicationToken!.Duplicate();
                    _ = copy.Name;
                    if (dispose) copy.Dispose();
                }
                var stream = new SecureStream(s, ownsSocket: true);
                int b = stream.ReadByte();
                stream.WriteByte((byte)b);
                if (dispose)
                {
                    info.Dispose();
                    stream.Dispose();
                }
                else
                {
                    // An orderly end of this direction, without disposing anything.
                    stream.Shutdown();
                }
            });
            Socket client = Client(_pki.Settings("client"));
            client.SecureConnect(ep);
            var cinfo = client.QuerySocketSecurity(TokenAccessRights.Query);
            var cs = new SecureStream(client, ownsSocket: true);
            cs.WriteByte(42);
            Assert.Equal(42, cs.ReadByte());
            // End this side before waiting for the server: its close waits (briefly) for our end.
            if (dispose)
            {
                cinfo.Dispose();
                cs.Dispose();
            }
            else
            {
                cs.Shutdown();
            }
            Within(server);
        }
    }
}
