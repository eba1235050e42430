using System;
using System.Collections.Generic;

namespace Ssx;

/// <summary>
/// What an application requires of a socket's security (ssx_security_settings). Everything left
/// unset comes from the administrator's policy (the file named by SSX_POLICY), which may also
/// forbid weakening what it requires.
/// </summary>
public sealed class SecuritySettings
{
    /// <summary>The security protocol; <see cref="SecurityProtocol.Default"/> lets the policy choose (TLS).</summary>
    public SecurityProtocol Protocol { get; set; } = SecurityProtocol.Default;

    /// <summary>Requirements such as <see cref="SecuritySettingsFlags.GuaranteeEncryption"/>.</summary>
    public SecuritySettingsFlags Flags { get; set; }

    /// <summary>
    /// The handshake deadline of connect and accept; null = the policy's (10 s by default). A value
    /// larger than the policy's is allowed; it never removes the deadline.
    /// </summary>
    public TimeSpan? HandshakeTimeout { get; set; }

    /// <summary>PEM certificate (chain, leaf first) for this socket instead of the policy's.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>PEM bundle of trust anchors used to verify the peer, instead of the policy's.</summary>
    public string? TrustFile { get; set; }

    /// <summary>
    /// ALPN protocols ("h2", "http/1.1"). A client offers them in order; a server selects the first
    /// of its own list that the client offers.
    /// </summary>
    public IList<string> ApplicationProtocols { get; } = new List<string>();

    internal uint HandshakeTimeoutMilliseconds
    {
        get
        {
            if (HandshakeTimeout is not TimeSpan t) return 0;
            if (t <= TimeSpan.Zero || t.TotalMilliseconds > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), t,
                    "the handshake timeout must be positive and at most 2^32-1 ms; use null for the policy's");
            }
            return (uint)Math.Ceiling(t.TotalMilliseconds);
        }
    }

    // The ABI takes ALPN as one comma-separated list.
    internal string? AlpnList
    {
        get
        {
            if (ApplicationProtocols.Count == 0) return null;
            foreach (string p in ApplicationProtocols)
            {
                if (string.IsNullOrEmpty(p) || p.Contains(',') || p.Contains('\0'))
                {
                    throw new ArgumentException($"ALPN protocol '{p}' is empty or contains a comma or NUL", nameof(ApplicationProtocols));
                }
            }
            return string.Join(",", ApplicationProtocols);
        }
    }
}
