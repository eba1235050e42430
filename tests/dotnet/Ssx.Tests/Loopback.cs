using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Ssx;
using Xunit;

// Tests share process-wide state (the policy variable, the descriptor count of the leak test):
// run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Ssx.Tests;

/// <summary>Loopback sockets secured through the binding, and bounded waits.</summary>
internal static class Loopback
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    public static Socket NewTcp(AddressFamily family = AddressFamily.InterNetwork) =>
        new(family, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A listener on loopback:ephemeral, secured with <paramref name="settings"/> before bind.</summary>
    public static Socket Listener(SecuritySettings settings, out IPEndPoint endpoint, AddressFamily family = AddressFamily.InterNetwork)
    {
        Socket listener = NewTcp(family);
        listener.SetSocketSecurity(settings);
        listener.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        listener.Listen(64);
        endpoint = (IPEndPoint)listener.LocalEndPoint!;
        return listener;
    }

    /// <summary>A client secured with <paramref name="settings"/>, naming <paramref name="target"/> (unless null).</summary>
    public static Socket Client(SecuritySettings settings, string? target = "server.test", AddressFamily family = AddressFamily.InterNetwork)
    {
        Socket client = NewTcp(family);
        client.SetSocketSecurity(settings);
        if (target != null) client.SetPeerTargetName(target);
        return client;
    }

    /// <summary>Runs <paramref name="body"/> on a dedicated thread.</summary>
    public static Task<T> OnThread<T>(Func<T> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static Task OnThread(Action body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The task's result; a task that does not finish within the limit fails the test.</summary>
    public static T Within<T>(Task<T> task)
    {
        if (!task.Wait(Limit)) throw new TimeoutException($"a peer did not finish within {Limit.TotalSeconds} s");
        return task.Result;
    }

    public static void Within(Task task)
    {
        if (!task.Wait(Limit)) throw new TimeoutException($"a peer did not finish within {Limit.TotalSeconds} s");
    }

    /// <summary>Accepts one connection and echoes what arrives until the peer's end.</summary>
    public static Task EchoOnce(Socket listener) => OnThread(() =>
    {
        using Socket s = listener.SecureAccept();
        using var stream = new SecureStream(s, ownsSocket: false);
        stream.CopyTo(stream);
        s.SecureClose();
    });

    /// <summary>Catches the ssx failure of <paramref name="action"/>; fails the test if there is none.</summary>
    public static SecureSocketException Fails(SecureSocketError expected, Action action)
    {
        var e = Assert.Throws<SecureSocketException>(action);
        Assert.True(e.Code == expected, $"expected {expected}, got {e.Code} ({e.CodeName}): {e.Message}");
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        return e;
    }
}
