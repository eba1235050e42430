using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Threading.Tasks;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>SecureConnect / SecureAccept and the query of what they negotiated.</summary>
public sealed class ConnectTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void MutualAuthenticationRoundTripAndQuery()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<(string Peer, bool Secured, string? SpiffeId)> server = OnThread(() =>
        {
            using Socket s = listener.SecureAccept();
            using SecurityInfo info = s.QuerySocketSecurity(TokenAccessRights.Query);
            using var stream = new SecureStream(s, ownsSocket: true);
            stream.CopyTo(stream);
            return (info.PeerApplicationToken!.Name, info.IsSecured, info.PeerApplicationToken.SpiffeId);
        });

        using Socket client = Client(_pki.Settings("client"));
        client.SecureConnect(ep);
        using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Read))
        {
            Assert.True(info.IsSecured);
            Assert.True(info.IsEncrypted);
            Assert.False(info.IsImpersonated);
            Assert.Equal(SecurityProtocol.Tls, info.Protocol);
            Assert.Equal(0x0304, info.TlsVersion);
            Assert.Equal(SslProtocols.Tls13, info.SslProtocol);
            Assert.StartsWith("TLS_", info.CipherSuite);
            Assert.Equal(0, info.VerifyResult);
            Assert.Null(info.ApplicationProtocol);
            Assert.Null(info.PeerMachineToken);
            PeerToken peer = info.PeerApplicationToken!;
            Assert.Equal("spiffe://test/server", peer.Name);
            Assert.Equal("spiffe://test/server", peer.SpiffeId);
            Assert.Equal("CN=server", peer.Subject);
            Assert.Equal(4, peer.AlternativeNames.Count); // DNS, two IPs, URI
            Assert.Contains("DNS:server.test", peer.AlternativeNames);
            Assert.Contains("URI:spiffe://test/server", peer.AlternativeNames);
            Assert.Matches("^[0-9A-F]{64}$", peer.Fingerprint);
            Assert.Equal(TokenAccessRights.Read, peer.Access);
        }
        using (var stream = new SecureStream(client))
        {
            byte[] hello = Encoding.UTF8.GetBytes("hello over TLS 1.3");
            stream.Write(hello);
            stream.Shutdown();
            Assert.Equal(hello, ReadToEnd(stream));
        }
        var (name, secured, spiffe) = Within(server);
        Assert.Equal("spiffe://test/client", name);
        Assert.Equal("spiffe://test/client", spiffe);
        Assert.True(secured);
    }

    [Fact]
    public void QueryWithoutAccessMaskReturnsNoTokens()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task server = EchoOnce(listener);
        using Socket client = Client(_pki.Settings("client"));
        client.SecureConnect(ep);
        using (SecurityInfo info = client.QuerySocketSecurity())
        {
            Assert.True(info.IsSecured);
            Assert.Null(info.PeerApplicationToken);
        }
        client.SecureClose();
        Within(server);
    }

    [Fact]
    public void TokenWithoutQueryAccessRefusesToBeRead()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task server = EchoOnce(listener);
        using Socket client = Client(_pki.Settings("client"));
        client.SecureConnect(ep);
        using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Impersonate))
        {
            PeerToken token = info.PeerApplicationToken!;
            Assert.Equal(TokenAccessRights.Impersonate, token.Access);
            Fails(SecureSocketError.AccessDenied, () => _ = token.Name);
            Fails(SecureSocketError.AccessDenied, () => _ = token.Fingerprint);
            Assert.Equal("PeerToken (SSX_E_ACCESS_DENIED)", token.ToString());
        }
        client.SecureClose();
        Within(server);
    }

    [Fact]
    public void ApplicationProtocolIsNegotiated()
    {
        SecuritySettings serverSettings = _pki.Settings("server");
        serverSettings.ApplicationProtocols.Add("ssx-test/2");
        serverSettings.ApplicationProtocols.Add("ssx-test/1");
        using Socket listener = Listener(serverSettings, out IPEndPoint ep);
        Task server = EchoOnce(listener);
        SecuritySettings clientSettings = _pki.Settings("client");
        clientSettings.ApplicationProtocols.Add("ssx-test/1");
        using Socket client = Client(clientSettings);
        client.SecureConnect(ep);
        using (SecurityInfo info = client.QuerySocketSecurity())
        {
            Assert.Equal("ssx-test/1", info.ApplicationProtocol);
        }
        client.SecureClose();
        Within(server);
    }

    [Fact]
    public void Ipv6Loopback()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep, AddressFamily.InterNetworkV6);
        Task server = EchoOnce(listener);
        using Socket client = Client(_pki.Settings("client"), "::1", AddressFamily.InterNetworkV6);
        client.SecureConnect(ep);
        using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Query))
        {
            Assert.True(info.IsSecured);
            Assert.Equal("spiffe://test/server", info.PeerApplicationToken!.Name);
        }
        client.SecureClose();
        Within(server);
    }

    [Fact]
    public void NameMismatchFailsAndTheListenerKeepsAccepting()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<SecureSocketException?> firstAccept = OnThread(() =>
        {
            try { listener.SecureAccept().SecureClose(); return null; }
            catch (SecureSocketException e) { return e; }
        });
        using (Socket client = Client(_pki.Settings("client"), "db.corp"))
        {
            var e = Fails(SecureSocketError.NameMismatch, () => client.SecureConnect(ep));
            Assert.Contains("db.corp", e.Message);
            Assert.Equal(SocketError.AccessDenied, e.SocketErrorCode);
            Assert.Equal(13, e.Errno);
            Assert.Equal("SSX_E_NAME_MISMATCH", e.CodeName);
            // The socket is unusable after a security failure.
            Assert.Throws<SecureSocketException>(() => client.SecureConnect(ep));
        }
        Within(firstAccept); // the server saw the client give up (or an error); either way it returns

        // The same listener accepts the next, correct client.
        Task server = EchoOnce(listener);
        using Socket good = Client(_pki.Settings("client"));
        good.SecureConnect(ep);
        good.SecureClose();
        Within(server);
    }

    [Fact]
    public void PeerUntrustedWhenTheServerIsFromAnotherCa()
    {
        using var other = new TestPki("another CA");
        using Socket listener = Listener(other.Settings("server"), out IPEndPoint ep);
        Task<Exception?> server = OnThread<Exception?>(() =>
        {
            try { listener.SecureAccept().SecureClose(); return null; }
            catch (SecureSocketException e) { return e; }
        });
        using Socket client = Client(_pki.Settings("client"));
        Fails(SecureSocketError.PeerUntrusted, () => client.SecureConnect(ep));
        Assert.NotNull(Within(server));
    }

    [Fact]
    public void ServerRejectsClientFromAnotherCa()
    {
        using var other = new TestPki("another CA");
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<SecureSocketException?> server = OnThread(() =>
        {
            try { listener.SecureAccept().SecureClose(); return null; }
            catch (SecureSocketException e) { return e; }
        });
        // The client trusts the server, but presents a certificate the server does not trust.
        using Socket client = Client(other.Settings("client", trust: _pki));
        Assert.Throws<SecureSocketException>(() =>
        {
            client.SecureConnect(ep);
            using var s = new SecureStream(client);
            s.ReadByte(); // TLS 1.3: the rejection may arrive after the client's handshake completed
        });
        SecureSocketException? e = Within(server);
        Assert.NotNull(e);
        Assert.Equal(SecureSocketError.PeerUntrusted, e!.Code);
    }

    [Fact]
    public void ConnectWithoutTargetNameFailsClosed()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        using Socket client = Client(_pki.Settings("client"), target: null);
        var e = Fails(SecureSocketError.NoTargetName, () => client.SecureConnect(ep));
        Assert.Equal(SocketError.DestinationAddressRequired, e.SocketErrorCode);
    }

    [Fact]
    public void TargetNamePerPeerAddress()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task server = EchoOnce(listener);
        using Socket client = Client(_pki.Settings("client"), target: "wrong.example");
        // The name for this exact address wins over the any-peer name.
        client.SetPeerTargetName("spiffe://test/server", new IPEndPoint(IPAddress.Loopback, ep.Port));
        client.SecureConnect(ep);
        client.SecureClose();
        Within(server);
    }

    [Fact]
    public void DeletedTargetNameNoLongerApplies()
    {
        using Socket client = Client(_pki.Settings("client"));
        client.DeletePeerTargetName();
        Fails(SecureSocketError.NotFound, () => client.DeletePeerTargetName());
        Fails(SecureSocketError.NotFound, () => client.DeletePeerTargetName(new IPEndPoint(IPAddress.Loopback, 1)));
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Fails(SecureSocketError.NoTargetName, () => client.SecureConnect(ep));
    }

    [Fact]
    public void ConnectionRefusedCarriesTheErrno()
    {
        // A port nothing listens on: bind one and close it.
        int port;
        using (var probe = NewTcp())
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        using Socket client = Client(_pki.Settings("client"));
        var e = Fails(SecureSocketError.Connect, () => client.SecureConnect(new IPEndPoint(IPAddress.Loopback, port)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(111, e.Errno);
    }

    [Fact]
    public void SilentServerHitsTheHandshakeDeadline()
    {
        // A plain listener that accepts TCP and never answers.
        using var silent = NewTcp();
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(1);
        SecuritySettings settings = _pki.Settings("client");
        settings.HandshakeTimeout = TimeSpan.FromMilliseconds(300);
        using Socket client = Client(settings);
        var started = DateTime.UtcNow;
        var e = Fails(SecureSocketError.Timeout, () => client.SecureConnect(silent.LocalEndPoint!));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void PlainTcpPeerIsNotTls()
    {
        using var plain = NewTcp();
        plain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        plain.Listen(1);
        Task server = OnThread(() =>
        {
            using Socket s = plain.Accept();
            s.Send(Encoding.ASCII.GetBytes("220 plain text service ready\r\n\r\n\r\n"));
            s.Receive(new byte[4096]);
        });
        using Socket client = Client(_pki.Settings("client"));
        var e = Assert.Throws<SecureSocketException>(() => client.SecureConnect(plain.LocalEndPoint!));
        Assert.Contains(e.Code, new[] { SecureSocketError.PeerNotTls, SecureSocketError.Handshake, SecureSocketError.Protocol });
        client.Dispose();
        Within(server);
    }

    [Fact]
    public void AllowInsecureFallsBackToClearTextWithAPlainPeer()
    {
        // A plain-text service: the first connection receives ssx's ClientHello and is dropped;
        // ssx then reconnects in clear text, and this service echoes one line on that connection.
        using var plain = NewTcp();
        plain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        plain.Listen(2);
        Task<string> server = OnThread(() =>
        {
            using (Socket first = plain.Accept())
            {
                first.Send(Encoding.ASCII.GetBytes("220 plain text only\r\n"));
            }
            using Socket second = plain.Accept();
            using var ns = new NetworkStream(second);
            string line = new StreamReader(ns).ReadLine()!;
            ns.Write(Encoding.ASCII.GetBytes("echo: " + line + "\n"));
            return line;
        });
        SecuritySettings settings = _pki.Settings("client");
        settings.Flags = SecuritySettingsFlags.AllowInsecure;
        using Socket client = Client(settings);
        client.SecureConnect(plain.LocalEndPoint!);
        using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Query))
        {
            Assert.False(info.IsSecured);
            Assert.False(info.IsEncrypted);
            Assert.Equal(SecurityProtocol.Default, info.Protocol);
            Assert.Equal(0, info.TlsVersion);
            Assert.Equal("", info.CipherSuite);
            Assert.Null(info.PeerApplicationToken); // nobody was authenticated
        }
        Fails(SecureSocketError.NotSecured, () => client.ImpersonatePeer());
        using (var stream = new SecureStream(client))
        {
            stream.Write(Encoding.ASCII.GetBytes("in the clear\n"));
            Assert.Equal("echo: in the clear", new StreamReader(stream).ReadLine());
        }
        Assert.Equal("in the clear", Within(server));
    }

    [Fact]
    public async Task AsyncConnectAndAccept()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<string> server = Task.Run(async () =>
        {
            using Socket s = await listener.SecureAcceptAsync();
            using SecurityInfo info = s.QuerySocketSecurity(TokenAccessRights.Query);
            await using var stream = new SecureStream(s, ownsSocket: true);
            var reader = new StreamReader(stream);
            string line = (await reader.ReadLineAsync())!;
            var writer = new StreamWriter(stream) { AutoFlush = true };
            await writer.WriteLineAsync(line.ToUpperInvariant() + " from " + info.PeerApplicationToken!.Name);
            return line;
        });
        using Socket client = Client(_pki.Settings("client"));
        await client.SecureConnectAsync(ep);
        Assert.True(client.Blocking); // restored after the call
        await using (var stream = new SecureStream(client))
        {
            var writer = new StreamWriter(stream) { AutoFlush = true };
            await writer.WriteLineAsync("async hello");
            string? reply = await new StreamReader(stream).ReadLineAsync();
            Assert.Equal("ASYNC HELLO from spiffe://test/client", reply);
        }
        Assert.Equal("async hello", await server.WaitAsync(Limit));
    }

    [Fact]
    public async Task AsyncAcceptIsCancellable()
    {
        using Socket listener = Listener(_pki.Settings("server"), out _);
        using var cts = new System.Threading.CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.SecureAcceptAsync(cts.Token).WaitAsync(Limit));
        Assert.True(listener.Blocking);
    }

    [Fact]
    public void NonBlockingSocketsAreDrivenToCompletion()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        listener.Blocking = false;
        Task<string> server = OnThread(() =>
        {
            using Socket s = listener.SecureAccept(); // waits for the connection and the handshake
            using var stream = new SecureStream(s, ownsSocket: true);
            return new StreamReader(stream).ReadToEnd();
        });
        using Socket client = Client(_pki.Settings("client"));
        client.Blocking = false;
        client.SecureConnect(ep);
        using (var stream = new SecureStream(client))
        {
            byte[] payload = new byte[3 << 20]; // larger than the socket buffers: sends must wait
            for (int i = 0; i < payload.Length; i++) payload[i] = (byte)('a' + i % 26);
            stream.Write(payload);
        }
        string received = Within(server);
        Assert.Equal(3 << 20, received.Length);
        Assert.Equal("abcdefghijklmnopqrstuvwxyzab", received.Substring(0, 28));
    }

    internal static byte[] ReadToEnd(Stream stream)
    {
        var all = new MemoryStream();
        stream.CopyTo(all);
        return all.ToArray();
    }
}
