using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>
/// ImpersonatePeer: the scope follows the logical flow across threads and await continuations,
/// reverts everywhere it leaves, and refuses misuse.
/// </summary>
public sealed class ImpersonationTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly Socket _listener;
    private readonly Socket _client;
    private readonly Socket _server;   // the accepted connection: its peer is spiffe://test/client
    private readonly Socket _server2;  // a second connection of the same client

    public ImpersonationTests()
    {
        _listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<Socket> accept = OnThread(_listener.SecureAccept);
        _client = Client(_pki.Settings("client"));
        _client.SecureConnect(ep);
        _server = Within(accept);
        accept = OnThread(_listener.SecureAccept);
        var second = Client(_pki.Settings("client"));
        second.SecureConnect(ep);
        _server2 = Within(accept);
        _extra = second;
    }

    private readonly Socket _extra;

    public void Dispose()
    {
        foreach (var s in new[] { _server, _server2, _client, _extra, _listener }) s.SecureClose();
        _pki.Dispose();
    }

    private static string? ThreadPeer()
    {
        using PeerToken? t = PeerToken.GetThreadToken();
        return t?.Name;
    }

    [Fact]
    public void ScopeImpersonatesUntilDisposed()
    {
        Assert.Null(ThreadPeer());
        using (ImpersonationScope scope = _server.ImpersonatePeer())
        {
            Assert.True(ImpersonationScope.IsActive);
            Assert.Equal("spiffe://test/client", ThreadPeer());
            using SecurityInfo info = _server.QuerySocketSecurity();
            Assert.True(info.IsImpersonated);
            using PeerToken token = PeerToken.GetThreadToken()!;
            Assert.Equal(TokenAccessRights.AllAccess, token.Access);
        }
        Assert.Null(ThreadPeer());
        Assert.False(ImpersonationScope.IsActive);
        using (SecurityInfo info = _server.QuerySocketSecurity()) Assert.False(info.IsImpersonated);
    }

    [Fact]
    public void ScopesNestAndRevertInOrder()
    {
        ImpersonationScope outer = _server.ImpersonatePeer();
        ImpersonationScope inner = _server2.ImpersonatePeer();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose()); // not the innermost
        using (SecurityInfo i2 = _server2.QuerySocketSecurity()) Assert.True(i2.IsImpersonated);
        inner.Dispose();
        Assert.Equal("spiffe://test/client", ThreadPeer());
        using (SecurityInfo i2 = _server2.QuerySocketSecurity()) Assert.False(i2.IsImpersonated);
        using (SecurityInfo i1 = _server.QuerySocketSecurity()) Assert.True(i1.IsImpersonated);
        outer.Dispose();
        outer.Dispose(); // twice is fine
        Assert.Null(ThreadPeer());
    }

    [Fact]
    public void OtherThreadsAreNotImpersonating()
    {
        using (_server.ImpersonatePeer())
        {
            // A thread started without the execution context does not run as the peer.
            string? onOther;
            using (ExecutionContext.SuppressFlow())
            {
                onOther = Within(OnThread(ThreadPeer));
            }
            Assert.Null(onOther);
            Assert.Equal("spiffe://test/client", ThreadPeer());
        }
    }

    [Fact]
    public void WorkStartedInsideTheScopeRunsAsThePeer()
    {
        using (_server.ImpersonatePeer())
        {
            Assert.Equal("spiffe://test/client", Within(Task.Run(ThreadPeer)));
            string? onThread = null;
            var t = new Thread(() => onThread = ThreadPeer());
            t.Start();
            Assert.True(t.Join(Limit));
            Assert.Equal("spiffe://test/client", onThread);
        }
        // ... and pool threads do not keep the identity afterwards.
        for (int i = 0; i < 20; i++) Assert.Null(Within(Task.Run(ThreadPeer)));
    }

    [Fact]
    public void ImpersonationFollowsAwaitAcrossThreads()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(int Thread, string? Peer)>();
        int startThread = 0;
        string? startThreadAfterYield = "unset";

        async Task Handler()
        {
            using (_server.ImpersonatePeer())
            {
                seen.Enqueue((Environment.CurrentManagedThreadId, ThreadPeer()));
                for (int i = 0; i < 5; i++)
                {
                    await Task.Yield(); // continues on a pool thread
                    await Task.Delay(1);
                    seen.Enqueue((Environment.CurrentManagedThreadId, ThreadPeer()));
                }
            }
            seen.Enqueue((Environment.CurrentManagedThreadId, ThreadPeer()));
        }

        // Start the handler on a dedicated thread and look at that thread once the handler has left it.
        Task handler = Within(OnThread(() =>
        {
            startThread = Environment.CurrentManagedThreadId;
            Task t = Handler();
            startThreadAfterYield = ThreadPeer();
            return t;
        }));
        Within(handler);

        Assert.Null(startThreadAfterYield); // the thread the handler left is itself again
        var entries = seen.ToArray();
        Assert.Equal(7, entries.Length);
        for (int i = 0; i < 6; i++) Assert.Equal("spiffe://test/client", entries[i].Peer);
        Assert.Null(entries[6].Peer);                       // after the scope, on whatever thread
        Assert.Contains(entries, e => e.Thread != startThread); // the flow did hop threads
        for (int i = 0; i < 20; i++) Assert.Null(Within(Task.Run(ThreadPeer)));
        Assert.Null(ThreadPeer());
    }

    [Fact]
    public void ImpersonationSurvivesTheSocketClosingWithinTheScope()
    {
        Socket extraListenerSide;
        {
            Task<Socket> accept = OnThread(_listener.SecureAccept);
            using Socket c = Client(_pki.Settings("client"));
            c.SecureConnect((IPEndPoint)_listener.LocalEndPoint!);
            extraListenerSide = Within(accept);
            c.SecureClose();
        }
        async Task<string?> Work()
        {
            using (extraListenerSide.ImpersonatePeer())
            {
                extraListenerSide.SecureClose();   // the scope keeps ssx's descriptor alive
                await Task.Yield();
                return ThreadPeer();
            }
        }
        Assert.Equal("spiffe://test/client", Within(Task.Run(Work)));
        Assert.Null(ThreadPeer());
    }

    [Fact]
    public void DisposingFromAnUnrelatedThreadIsRefused()
    {
        ImpersonationScope scope = _server.ImpersonatePeer();
        Exception? error;
        using (ExecutionContext.SuppressFlow())
        {
            error = Within(OnThread(() => Record.Exception(scope.Dispose)));
        }
        Assert.IsType<InvalidOperationException>(error);
        Assert.Equal("spiffe://test/client", ThreadPeer()); // still impersonating here
        scope.Dispose();
        Assert.Null(ThreadPeer());
    }

    [Fact]
    public void ClientsCanImpersonateTheServer()
    {
        using (_client.ImpersonatePeer())
        {
            Assert.Equal("spiffe://test/server", ThreadPeer());
        }
    }
}
