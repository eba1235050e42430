using System;
using System.Security.Authentication;
using Ssx.Interop;

namespace Ssx;

/// <summary>
/// What a connection's security is (ssx_query_info), from
/// <see cref="SecureSocketExtensions.QuerySocketSecurity"/>. Owns the peer tokens it carries:
/// dispose it, or take the tokens and dispose them.
/// </summary>
public sealed class SecurityInfo : IDisposable
{
    internal SecurityInfo(QueryInfo info)
    {
        Protocol = (SecurityProtocol)info.protocol;
        Flags = (ConnectionSecurityFlags)info.flags;
        TlsVersion = (int)info.tls_version;
        TlsFlags = (TlsSessionFlags)info.tls_flags;
        VerifyResult = info.verify_result;
        CipherSuite = info.cipher_suite();
        string alpn = info.application_protocol();
        ApplicationProtocol = alpn.Length == 0 ? null : alpn;
        PeerApplicationToken = PeerToken.FromHandle(info.take_peer_application_token());
        PeerMachineToken = PeerToken.FromHandle(info.take_peer_machine_token());
    }

    /// <summary><see cref="SecurityProtocol.Tls"/> when secured, <see cref="SecurityProtocol.Default"/> for clear text.</summary>
    public SecurityProtocol Protocol { get; }

    /// <summary>Secured / encrypted / impersonated by the calling thread.</summary>
    public ConnectionSecurityFlags Flags { get; }

    /// <summary>TLS protects the traffic.</summary>
    public bool IsSecured => (Flags & ConnectionSecurityFlags.Secured) != 0;

    /// <summary>The traffic is encrypted.</summary>
    public bool IsEncrypted => (Flags & ConnectionSecurityFlags.Encrypted) != 0;

    /// <summary>The calling thread impersonates this connection's peer.</summary>
    public bool IsImpersonated => (Flags & ConnectionSecurityFlags.Impersonated) != 0;

    /// <summary>The TLS version as on the wire: 0x0304 (TLS 1.3), 0x0303 (TLS 1.2), 0 when not secured.</summary>
    public int TlsVersion { get; }

    /// <summary>The TLS version as .NET names it (<see cref="SslProtocols.None"/> when not secured).</summary>
    public SslProtocols SslProtocol => TlsVersion switch
    {
        0x0304 => SslProtocols.Tls13,
        0x0303 => SslProtocols.Tls12,
        _ => SslProtocols.None,
    };

    /// <summary>Session details (resumed or not).</summary>
    public TlsSessionFlags TlsFlags { get; }

    /// <summary>The session was resumed (the peer was re-authorized).</summary>
    public bool IsResumed => (TlsFlags & TlsSessionFlags.Resumed) != 0;

    /// <summary>OpenSSL's X509_V_* result of the peer verification; 0 = verified.</summary>
    public int VerifyResult { get; }

    /// <summary>The IANA cipher suite name ("TLS_AES_128_GCM_SHA256"); "" when not secured.</summary>
    public string CipherSuite { get; }

    /// <summary>The negotiated ALPN protocol, or null.</summary>
    public string? ApplicationProtocol { get; }

    /// <summary>
    /// The identity the peer's certificate proves, when tokens were asked for (a non-zero access
    /// mask) and the connection is secured; otherwise null.
    /// </summary>
    public PeerToken? PeerApplicationToken { get; }

    /// <summary>The peer host's separate identity; TLS proves one identity per connection, so null in this release.</summary>
    public PeerToken? PeerMachineToken { get; }

    /// <summary>Disposes the tokens.</summary>
    public void Dispose()
    {
        PeerApplicationToken?.Dispose();
        PeerMachineToken?.Dispose();
    }
}
