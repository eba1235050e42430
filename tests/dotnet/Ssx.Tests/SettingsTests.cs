using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>SetSocketSecurity, SetPeerTargetName, DeletePeerTargetName: arguments, ordering and policy errors.</summary>
public sealed class SettingsTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void SecurityIsSetOncePerSocket()
    {
        using Socket s = NewTcp();
        s.SetSocketSecurity(_pki.Settings("client"));
        Assert.True(s.IsSecureSocket());
        var e = Fails(SecureSocketError.AlreadySet, () => s.SetSocketSecurity(_pki.Settings("client")));
        Assert.Equal(SocketError.AlreadyInProgress, e.SocketErrorCode);
        Assert.True(s.IsSecureSocket());
    }

    [Fact]
    public void SecurityMustComeBeforeBind()
    {
        using Socket s = NewTcp();
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Fails(SecureSocketError.AlreadyBound, () => s.SetSocketSecurity(_pki.Settings("server")));
        Assert.False(s.IsSecureSocket());
    }

    [Fact]
    public void SecurityMustComeBeforeAPlainConnect()
    {
        using Socket listener = NewTcp();
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using Socket s = NewTcp();
        s.Connect(listener.LocalEndPoint!);
        Fails(SecureSocketError.AlreadyConnected, () => s.SetSocketSecurity(_pki.Settings("client")));
    }

    [Fact]
    public void IpsecIsNotSupported()
    {
        using Socket s = NewTcp();
        var settings = _pki.Settings("client");
        settings.Protocol = SecurityProtocol.IPsec;
        var e = Fails(SecureSocketError.NotSupported, () => s.SetSocketSecurity(settings));
        Assert.Equal(SocketError.OperationNotSupported, e.SocketErrorCode);
        // A refused call leaves the socket free to be secured correctly.
        s.SetSocketSecurity(_pki.Settings("client"));
    }

    [Fact]
    public void UnknownFlagsAndProtocolsAreRefused()
    {
        using Socket s = NewTcp();
        Fails(SecureSocketError.InvalidArgument, () => s.SetSocketSecurity(new SecuritySettings { Flags = (SecuritySettingsFlags)0x80 }));
        Fails(SecureSocketError.InvalidArgument, () => s.SetSocketSecurity(new SecuritySettings { Protocol = (SecurityProtocol)3 }));
    }

    [Fact]
    public void OnlyTcpSocketsAreSupported()
    {
        using var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Fails(SecureSocketError.UnsupportedSocket, () => unix.SetSocketSecurity(_pki.Settings("client")));
        Assert.False(unix.IsSecureSocket());
        // Datagram sockets: refused (DTLS is not in this release).
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var e = Assert.Throws<SecureSocketException>(() => udp.SetSocketSecurity(_pki.Settings("client")));
        Assert.Contains(e.Code, new[] { SecureSocketError.UnsupportedSocket, SecureSocketError.NotSupported });
    }

    [Fact]
    public void UnusableCredentialsAreReportedBySetSocketSecurity()
    {
        using Socket s = NewTcp();
        var missing = _pki.Settings("client");
        missing.CertificateFile = Path.Combine(_pki.Dir, "no-such.pem");
        var e = Assert.Throws<SecureSocketException>(() => s.SetSocketSecurity(missing));
        Assert.Contains(e.Code, new[] { SecureSocketError.Credentials, SecureSocketError.NoCredentials });
        Assert.Contains("no-such.pem", e.Message);

        var swapped = _pki.Settings("client");
        swapped.PrivateKeyFile = _pki.Key("server"); // not the certificate's key
        Fails(SecureSocketError.Credentials, () => s.SetSocketSecurity(swapped));
    }

    [Fact]
    public void ManagedArgumentsAreCheckedBeforeTheNativeCall()
    {
        using Socket s = NewTcp();
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetSocketSecurity(new SecuritySettings { HandshakeTimeout = TimeSpan.Zero }));
        var alpn = new SecuritySettings();
        alpn.ApplicationProtocols.Add("h2,http/1.1");
        Assert.Throws<ArgumentException>(() => s.SetSocketSecurity(alpn));
        Assert.False(s.IsSecureSocket());
        Assert.Throws<ArgumentNullException>(() => s.SetPeerTargetName(null!));
        Assert.Throws<ArgumentException>(() => s.SecureConnect(new DnsEndPoint("localhost", 1)));
    }

    [Fact]
    public void DisposedSocketsThrowObjectDisposed()
    {
        Socket s = NewTcp();
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.SetSocketSecurity());
        Assert.Throws<ObjectDisposedException>(() => s.QuerySocketSecurity());
        Socket secured = Client(_pki.Settings("client"));
        secured.SecureClose();
        secured.SecureClose(); // twice is fine
        Assert.Throws<ObjectDisposedException>(() => secured.SetPeerTargetName("x.test"));
    }

    [Fact]
    public void TargetNameNeedsSecurityFirst()
    {
        using Socket s = NewTcp();
        var e = Fails(SecureSocketError.NoSecurity, () => s.SetPeerTargetName("server.test"));
        Assert.Contains("ssx_set_socket_security", e.Message);
        Fails(SecureSocketError.NoSecurity, () => s.DeletePeerTargetName());
        Fails(SecureSocketError.NoSecurity, () => s.SecureConnect(new IPEndPoint(IPAddress.Loopback, 9)));
    }

    [Fact]
    public void MalformedTargetNamesAreRefused()
    {
        using Socket s = Client(_pki.Settings("client"), target: null);
        Fails(SecureSocketError.InvalidArgument, () => s.SetPeerTargetName(""));
        Fails(SecureSocketError.InvalidArgument, () => s.SetPeerTargetName("spiffe://"));
        // Text crosses as UTF-8: ssx received the 4 bytes of U+1F600 (its message escapes them).
        var e = Fails(SecureSocketError.InvalidArgument, () => s.SetPeerTargetName("db-\U0001F600 .corp"));
        Assert.Contains(@"'db-\xF0\x9F\x98\x80 .corp'", e.Message);
        // A NUL would end the string early in C: refused before it gets there.
        Assert.Throws<ArgumentException>(() => s.SetPeerTargetName("server.test\0.evil"));
        Assert.Throws<ArgumentException>(() => Client(new SecuritySettings { TrustFile = _pki.Ca + "\0x" }, target: null));
        s.SetPeerTargetName("spiffe://test/server");
        s.SetPeerTargetName("host/server.test:443/svc");
        s.SetPeerTargetName("db.corp", new IPEndPoint(IPAddress.Parse("192.0.2.7"), 0));
        s.SetPeerTargetName("db6.corp", new IPEndPoint(IPAddress.Parse("2001:db8::1"), 5000));
        s.DeletePeerTargetName(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 5000));
    }

    [Fact]
    public void TargetNamesAreForClientsOnly()
    {
        using Socket listener = Listener(_pki.Settings("server"), out _);
        Fails(SecureSocketError.Listening, () => listener.SetPeerTargetName("client.test"));
    }

    [Fact]
    public void AcceptNeedsASecuredListeningSocket()
    {
        using Socket plain = NewTcp();
        plain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        plain.Listen(1);
        Fails(SecureSocketError.NoSecurity, () => plain.SecureAccept());
        using Socket notListening = Client(_pki.Settings("server"), target: null);
        Fails(SecureSocketError.InvalidArgument, () => notListening.SecureAccept());
    }

    [Fact]
    public void QueryAndImpersonateNeedAConnection()
    {
        using Socket plain = NewTcp();
        Fails(SecureSocketError.NoSecurity, () => plain.QuerySocketSecurity());
        Fails(SecureSocketError.NoSecurity, () => plain.ImpersonatePeer());
        using Socket unconnected = Client(_pki.Settings("client"));
        Fails(SecureSocketError.NotConnected, () => unconnected.QuerySocketSecurity());
        Fails(SecureSocketError.NotConnected, () => unconnected.ImpersonatePeer());
        Assert.Throws<ArgumentException>(() => new SecureStream(plain));
    }

    [Fact]
    public void QueryRefusesIpsecTemplates()
    {
        using Socket unconnected = Client(_pki.Settings("client"));
        Fails(SecureSocketError.NotSupported, () => unconnected.QuerySocketSecurity(protocol: SecurityProtocol.IPsec));
    }

    [Fact]
    public void BadPolicyFileIsReportedWithItsProblems()
    {
        string policy = Path.Combine(_pki.Dir, "bad-policy.toml");
        File.WriteAllText(policy, "[tls]\nmin_version = \"1.1\"\n");
        string? previous = Environment.GetEnvironmentVariable("SSX_POLICY");
        NativeEnvironment.Set("SSX_POLICY", policy);
        try
        {
            using Socket s = NewTcp();
            var e = Fails(SecureSocketError.Policy, () => s.SetSocketSecurity());
            Assert.Contains("min_version", e.Message);
        }
        finally
        {
            NativeEnvironment.Set("SSX_POLICY", previous);
        }
    }

    [Fact]
    public void VersionAndErrorNamesComeFromTheNativeLibrary()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+", SecureSockets.NativeVersion);
        Assert.Equal("SSX_E_PEER_UNTRUSTED", SecureSockets.ErrorName(SecureSocketError.PeerUntrusted));
        Assert.Equal("SSX_E_UNKNOWN", SecureSockets.ErrorName((SecureSocketError)9999));
    }
}

/// <summary>
/// The process environment as native code sees it (.NET's Environment.SetEnvironmentVariable only
/// changes the runtime's copy on Linux).
/// </summary>
internal static class NativeEnvironment
{
    [DllImport("libc.so.6", EntryPoint = "setenv", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc.so.6", EntryPoint = "unsetenv", SetLastError = true)]
    private static extern int unsetenv(string name);

    public static void Set(string name, string? value)
    {
        int r = value == null ? unsetenv(name) : setenv(name, value, 1);
        if (r != 0) throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}");
        Environment.SetEnvironmentVariable(name, value);
    }
}
