using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>
/// ssx against .NET's own TLS implementation (System.Net.Security.SslStream), both ways, with
/// mutual authentication: a peer nobody on this project wrote.
/// </summary>
public sealed class SslStreamInteropTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    // Trust exactly the test CA (not the system store).
    private X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(_pki.Ca));
        return policy;
    }

    private X509Certificate2 Identity(string name) => X509Certificate2.CreateFromPemFile(_pki.Cert(name), _pki.Key(name));

    [Fact]
    public async Task SslStreamClientWithCertificateAgainstSsxServer()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<(string Line, string Peer)> server = OnThread(() =>
        {
            using Socket s = listener.SecureAccept();
            using SecurityInfo info = s.QuerySocketSecurity(TokenAccessRights.Query);
            using var stream = new SecureStream(s, ownsSocket: true);
            string line = new StreamReader(stream).ReadLine()!;
            byte[] reply = Encoding.UTF8.GetBytes($"ssx saw {info.PeerApplicationToken!.Name} over {info.CipherSuite}\n");
            stream.Write(reply);
            return (line, info.PeerApplicationToken.Name);
        });

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(ep);
        using X509Certificate2 clientCert = Identity("client");
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "server.test",
            ClientCertificates = new X509CertificateCollection { clientCert },
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateChainPolicy = ChainPolicy(),
        }).WaitAsync(Limit);
        Assert.True(ssl.IsMutuallyAuthenticated);
        Assert.Equal(SslProtocols.Tls13, ssl.SslProtocol);
        Assert.Contains("CN=server", ssl.RemoteCertificate!.Subject);

        await ssl.WriteAsync(Encoding.UTF8.GetBytes("hello from SslStream\n"));
        string reply = (await new StreamReader(ssl).ReadLineAsync().WaitAsync(Limit))!;
        Assert.StartsWith("ssx saw spiffe://test/client over TLS_", reply);
        var (line, peer) = await server.WaitAsync(Limit);
        Assert.Equal("hello from SslStream", line);
        Assert.Equal("spiffe://test/client", peer);
        await ssl.ShutdownAsync(); // close_notify: ssx requires it before the TCP end
    }

    [Fact]
    public async Task SsxClientAgainstSslStreamServerRequiringClientCertificates()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var ep = (IPEndPoint)listener.LocalEndpoint;
        using X509Certificate2 serverCert = Identity("server");
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(_pki.Ca);

        Task<(string Line, string? ClientSubject, SslProtocols Protocol)> server = Task.Run(async () =>
        {
            using TcpClient c = await listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(c.GetStream());
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(serverCert, new X509Certificate2Collection { ca }, offline: true),
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateChainPolicy = ChainPolicy(),
                RemoteCertificateValidationCallback = (_, cert, _, errors) => cert != null && errors == SslPolicyErrors.None,
            });
            string line = (await new StreamReader(ssl).ReadLineAsync())!;
            await ssl.WriteAsync(Encoding.UTF8.GetBytes("hello from SslStream\n"));
            await ssl.ShutdownAsync();
            // Wait for the client's close_notify (end of stream) before the TCP close.
            int after = await ssl.ReadAsync(new byte[1]);
            if (after != 0) throw new InvalidDataException("the ssx client sent more than one line");
            return (line, ssl.RemoteCertificate?.Subject, ssl.SslProtocol);
        });

        using Socket client = Client(_pki.Settings("client"), "server.test");
        await client.SecureConnectAsync(ep);
        using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Query))
        {
            Assert.True(info.IsSecured);
            Assert.Equal(0x0304, info.TlsVersion);
            Assert.Equal("spiffe://test/server", info.PeerApplicationToken!.Name);
        }
        await using (var stream = new SecureStream(client, ownsSocket: true))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes("hello from ssx\n"));
            var reader = new StreamReader(stream);
            Assert.Equal("hello from SslStream", await reader.ReadLineAsync().WaitAsync(Limit));
            Assert.Null(await reader.ReadLineAsync().WaitAsync(Limit)); // SslStream's close_notify
        }
        var (lineSeen, subject, protocol) = await server.WaitAsync(Limit);
        Assert.Equal("hello from ssx", lineSeen);
        Assert.Contains("CN=client", subject);
        Assert.Equal(SslProtocols.Tls13, protocol);
    }

    [Fact]
    public async Task SsxClientRejectsSslStreamServerWithTheWrongName()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var ep = (IPEndPoint)listener.LocalEndpoint;
        using X509Certificate2 serverCert = Identity("server");
        Task server = Task.Run(async () =>
        {
            using TcpClient c = await listener.AcceptTcpClientAsync();
            await using var ssl = new SslStream(c.GetStream());
            try
            {
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = serverCert });
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                // the ssx client aborts the handshake
            }
        });
        using Socket client = Client(_pki.Settings("client"), "spiffe://test/someone-else");
        var e = await Assert.ThrowsAsync<SecureSocketException>(() => client.SecureConnectAsync(ep));
        Assert.Equal(SecureSocketError.NameMismatch, e.Code);
        await server.WaitAsync(Limit);
    }

    [Fact]
    public async Task SsxServerRejectsSslStreamClientWithoutCertificate()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<SecureSocketException?> server = OnThread(() =>
        {
            try { listener.SecureAccept().SecureClose(); return null; }
            catch (SecureSocketException e) { return e; }
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(ep);
        await using var ssl = new SslStream(tcp.GetStream());
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "server.test",
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateChainPolicy = ChainPolicy(),
            });
            // TLS 1.3: the server's verdict on the (missing) client certificate arrives after the
            // client considers the handshake done.
            await ssl.ReadAsync(new byte[1]).AsTask().WaitAsync(Limit);
        });
        SecureSocketException? e = await server.WaitAsync(Limit);
        Assert.NotNull(e);
        Assert.Equal(SecureSocketError.NoPeerCertificate, e!.Code);
    }
}
