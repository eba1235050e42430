// A secured exchange through the Ssx package: an ssx server and an ssx client on loopback, mutual
// TLS with the certificates named on the command line. Exit code 0 and "package consumer: ok" when
// everything worked; an exception (non-zero exit) otherwise.
using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Ssx;

// Ssx is a Linux library: say so, as any consumer does (otherwise CA1416 flags every call).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Ssx.PackageConsumer <pki folder with ca.pem, server.pem/.key, client.pem/.key>");
    return 2;
}
string pki = args[0];
SecuritySettings Settings(string name) => new()
{
    CertificateFile = Path.Combine(pki, name + ".pem"),
    PrivateKeyFile = Path.Combine(pki, name + ".key"),
    TrustFile = Path.Combine(pki, "ca.pem"),
};

Console.WriteLine($"libssx {SecureSockets.NativeVersion}, loaded from {AppContext.BaseDirectory}");

using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.SetSocketSecurity(Settings("server"));
listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
listener.Listen(1);
var endpoint = (IPEndPoint)listener.LocalEndPoint!;

Task<string> server = Task.Run(() =>
{
    using Socket s = listener.SecureAccept();
    using SecurityInfo info = s.QuerySocketSecurity(TokenAccessRights.Query);
    using var stream = new SecureStream(s, ownsSocket: true);
    string line = new StreamReader(stream).ReadLine() ?? "";
    using var writer = new StreamWriter(stream) { AutoFlush = true };
    writer.WriteLine($"{line} -> {info.PeerApplicationToken!.Name}");
    return info.PeerApplicationToken.Name;
});

using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
client.SetSocketSecurity(Settings("client"));
client.SetPeerTargetName("server.test");
client.SecureConnect(endpoint);
using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Query))
{
    if (!info.IsSecured || info.PeerApplicationToken?.Name != "spiffe://test/server")
    {
        throw new InvalidOperationException($"unexpected security: secured={info.IsSecured}, peer={info.PeerApplicationToken?.Name}");
    }
    Console.WriteLine($"secured: {info.SslProtocol} {info.CipherSuite}, server {info.PeerApplicationToken.Name}");
}
using (var stream = new SecureStream(client, ownsSocket: true))
{
    var writer = new StreamWriter(stream) { AutoFlush = true };
    writer.WriteLine("hello");
    string reply = new StreamReader(stream).ReadLine() ?? "";
    if (reply != "hello -> spiffe://test/client") throw new InvalidOperationException($"unexpected reply '{reply}'");
    Console.WriteLine($"reply: {reply}");
}
if (!server.Wait(TimeSpan.FromSeconds(20))) throw new TimeoutException("the server did not finish");
Console.WriteLine("package consumer: ok");
return 0;
