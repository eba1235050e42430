namespace Ssx;

/// <summary>
/// Claim types of <see cref="PeerToken.ToClaimsIdentity"/> that <see cref="System.Security.Claims.ClaimTypes"/>
/// has no name for. Where a standard type fits it is used: <c>ClaimTypes.Name</c> (the principal's
/// name), <c>ClaimTypes.X500DistinguishedName</c> (the subject), <c>ClaimTypes.Dns</c>,
/// <c>ClaimTypes.Uri</c> and <c>ClaimTypes.Email</c> (one claim per subject alternative name),
/// <c>ClaimTypes.Thumbprint</c> (SHA-256 of the certificate, 64 uppercase hex digits).
/// </summary>
public static class SsxClaimTypes
{
    private const string Prefix = "urn:ssx:claims:";

    /// <summary>The SPIFFE ID ("spiffe://trust-domain/path"), when the certificate has one.</summary>
    public const string SpiffeId = Prefix + "spiffe-id";

    /// <summary>An IP address subject alternative name ("192.0.2.7", "2001:db8::1").</summary>
    public const string IPAddress = Prefix + "ip";

    /// <summary>The mapped local account's uid (decimal), when the policy maps the peer.</summary>
    public const string UnixUserId = Prefix + "uid";

    /// <summary>The mapped local account's primary gid (decimal).</summary>
    public const string UnixGroupId = Prefix + "gid";

    /// <summary>One claim per supplementary group id (decimal) of the mapped account.</summary>
    public const string UnixSupplementaryGroupId = Prefix + "group";

    /// <summary>The mapped account's user name, when it is mapped by name.</summary>
    public const string UnixUserName = Prefix + "user";

    /// <summary>The authentication type of the identity: mutual TLS with X.509 certificates, by ssx.</summary>
    public const string AuthenticationType = "ssx-x509";

    /// <summary>The issuer of every claim.</summary>
    public const string Issuer = "ssx";
}
