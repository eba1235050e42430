// The ssx .NET server example (mirrors examples/c/server.c).
//
// Listens on 127.0.0.1:PORT, accepts one secured connection, asks what was negotiated and who the
// client is, impersonates the client and reverts, then echoes everything until the client's end.
//
// Credentials come from the administrator's policy: SSX_POLICY=server.toml ./SsxExampleServer 4433
// (make a development one with: ssx pki init pki && ssx pki issue pki server --dns server.example)
using System;
using System.Net;
using System.Net.Sockets;
using Ssx;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

int port = args.Length > 0 ? int.Parse(args[0]) : 4433;
try
{
    // 1. Security before bind: the listener's settings pass to every accepted socket.
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.SetSocketSecurity();
    listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
    listener.Listen(16);
    Console.WriteLine($"listening on 127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");

    // 2. Accept: TCP accept plus the TLS handshake, bounded by the handshake deadline.
    using Socket client = listener.SecureAccept();

    // 3. Who is it, and how are we talking? (Query access: we want to read the peer's token.)
    using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Query))
    {
        Console.WriteLine($"peer: {info.PeerApplicationToken!.Name}");
        Console.WriteLine($"tls: {TlsVersionName(info.TlsVersion)}, {info.CipherSuite}, {(info.IsResumed ? "resumed" : "new session")}");
    }

    // 4. Act as the client (on this logical flow), then be ourselves again.
    using (client.ImpersonatePeer())
    {
        using PeerToken token = PeerToken.GetThreadToken()!;
        Console.WriteLine($"impersonating: {token.Name}");
    }
    using PeerToken? after = PeerToken.GetThreadToken(); // null: the thread impersonates nobody
    Console.WriteLine($"reverted: {(after != null ? "STILL IMPERSONATING" : "the thread is itself again")}");

    // 5. Echo until the client's end, then close our side (close_notify).
    using (var stream = new SecureStream(client, ownsSocket: true))
    {
        var buffer = new byte[4096];
        long total = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            stream.Write(buffer, 0, n);
            total += n;
        }
        Console.WriteLine($"echoed {total} bytes");
    }
    return after != null ? 1 : 0;
}
catch (SecureSocketException e)
{
    // Every ssx failure comes with a message that says what to do.
    Console.Error.WriteLine($"server: {e.Message} ({e.CodeName})");
    return 1;
}

static string TlsVersionName(int v) => v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" : "none";
