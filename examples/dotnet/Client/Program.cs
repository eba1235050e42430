// The ssx .NET client example (mirrors examples/c/client.c).
//
// States the security it needs, names the server it expects, connects, sends a message, reads the
// echo and prints what was negotiated and who the server proved to be.
//
//   SSX_POLICY=client.toml ./SsxExampleClient HOST PORT TARGET_NAME [MESSAGE]
//   e.g. ./SsxExampleClient 127.0.0.1 4433 server.example "hello"
using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ssx;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: SsxExampleClient HOST PORT TARGET_NAME [MESSAGE]");
    return 2;
}
string message = args.Length > 3 ? args[3] : "hello from .NET";
IPAddress address = Dns.GetHostAddresses(args[0])[0];

try
{
    // 1. What this socket needs: TLS with encryption; credentials from the policy (SSX_POLICY).
    using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    socket.SetSocketSecurity(new SecuritySettings { Flags = SecuritySettingsFlags.GuaranteeEncryption });

    // 2. Who the server must prove to be (DNS name, IP, spiffe://...), for any peer address.
    socket.SetPeerTargetName(args[2]);

    // 3. Connect: returns only once TLS is up and the server proved the target name.
    socket.SecureConnect(new IPEndPoint(address, int.Parse(args[1])));

    // 4. Send, end our side (the server then sees the end after every byte), read the echo.
    using var stream = new SecureStream(socket);
    stream.Write(Encoding.UTF8.GetBytes(message));
    stream.Shutdown();
    Console.WriteLine($"sent: {message}");
    Console.WriteLine($"received: {new StreamReader(stream, Encoding.UTF8).ReadToEnd()}");

    // 5. What was negotiated, and who the server is.
    using (SecurityInfo info = socket.QuerySocketSecurity(TokenAccessRights.Query))
    {
        Console.WriteLine($"secured: {(info.IsSecured ? "yes" : "no")}, encrypted: {(info.IsEncrypted ? "yes" : "no")}");
        Console.WriteLine($"tls: {TlsVersionName(info.TlsVersion)}, {info.CipherSuite}, {(info.IsResumed ? "resumed" : "new session")}");
        Console.WriteLine($"peer: {info.PeerApplicationToken!.Name}");
        Console.WriteLine($"sha256: {info.PeerApplicationToken.Fingerprint}");
    }
    socket.SecureClose();
    return 0;
}
catch (SecureSocketException e)
{
    Console.Error.WriteLine($"client: {e.Message} ({e.CodeName})");
    return 1;
}

static string TlsVersionName(int v) => v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" : "none";
