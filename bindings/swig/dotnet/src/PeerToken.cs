using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>
/// An authenticated principal: the peer of a secured connection (from
/// <see cref="SecurityInfo.PeerApplicationToken"/>) or the principal the current thread impersonates
/// (<see cref="GetThreadToken"/>). Immutable; stays valid after its socket is closed. Dispose it when
/// done (a finalizer closes tokens that are dropped, but a disposed token frees its memory at once).
/// </summary>
/// <remarks>
/// Reading the contents needs <see cref="TokenAccessRights.Query"/> in <see cref="Access"/>; without
/// it every accessor throws <see cref="SecureSocketException"/> with
/// <see cref="SecureSocketError.AccessDenied"/>. After <see cref="Dispose"/> they throw
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class PeerToken : IDisposable
{
    private readonly TokenHandle _handle;

    private PeerToken(TokenHandle handle) => _handle = handle;

    // Takes ownership of a handle from the interop layer; null for "no token".
    internal static PeerToken? FromHandle(TokenHandle handle)
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            return null;
        }
        return new PeerToken(handle);
    }

    /// <summary>
    /// The principal the calling thread impersonates, or null when it impersonates nobody (see
    /// <see cref="SecureSocketExtensions.ImpersonatePeer"/>). The token has full access.
    /// </summary>
    public static PeerToken? GetThreadToken() => FromHandle(N.ssx_swig_thread_token());

    /// <summary>The access rights this token was opened with.</summary>
    public TokenAccessRights Access => (TokenAccessRights)N.ssx_token_access_mask(_handle);

    /// <summary>
    /// The principal's name: the SPIFFE ID if any, else the first DNS, URI, IP or email name, else the
    /// subject's common name.
    /// </summary>
    public string Name => N.ssx_token_name(_handle);

    /// <summary>The certificate subject in RFC 2253 form ("CN=db,O=corp").</summary>
    public string Subject => N.ssx_token_subject(_handle);

    /// <summary>The SPIFFE ID ("spiffe://td/path"), or null when the certificate has none.</summary>
    public string? SpiffeId => N.ssx_token_spiffe_id(_handle);

    /// <summary>SHA-256 of the peer's DER certificate as 64 uppercase hex digits.</summary>
    public string Fingerprint => N.ssx_token_fingerprint(_handle);

    /// <summary>
    /// The subject alternative names, each prefixed by its type: "DNS:db.corp", "IP:192.0.2.7",
    /// "URI:spiffe://corp/db", "email:a@corp".
    /// </summary>
    public IReadOnlyList<string> AlternativeNames
    {
        get
        {
            ulong count = N.ssx_token_name_count(_handle);
            var names = new string[checked((int)count)];
            for (int i = 0; i < names.Length; i++) names[i] = N.ssx_token_name_at(_handle, (ulong)i);
            return names;
        }
    }

    /// <summary>
    /// The peer's certificate chain, leaf first (on a resumed session only the leaf is known). The
    /// caller owns (and should dispose) the returned certificates.
    /// </summary>
    public X509Certificate2[] GetCertificateChain()
    {
        int length = checked((int)N.ssx_token_chain_length(_handle));
        var chain = new X509Certificate2[length];
        for (int i = 0; i < length; i++) chain[i] = X509CertificateLoader.LoadCertificate(CertificateDer(i));
        return chain;
    }

    /// <summary>The peer's own (leaf) certificate, as DER.</summary>
    public byte[] GetCertificateDer() => CertificateDer(0);

    private unsafe byte[] CertificateDer(int index)
    {
        long length = N.ssx_swig_token_certificate(_handle, (ulong)index, IntPtr.Zero, 0);
        var der = new byte[checked((int)length)];
        fixed (byte* p = der) N.ssx_swig_token_certificate(_handle, (ulong)index, (IntPtr)p, (ulong)der.Length);
        return der;
    }

    /// <summary>The local account the policy maps this principal to, or null when it is not mapped.</summary>
    public unsafe UnixAccount? UnixAccount
    {
        get
        {
            long ids = N.ssx_swig_token_unix_account(_handle);
            if (ids < 0) return null;
            long count = N.ssx_swig_token_unix_groups(_handle, IntPtr.Zero, 0);
            var groups = new uint[Math.Max(0, count)];
            if (groups.Length > 0)
            {
                fixed (uint* p = groups) N.ssx_swig_token_unix_groups(_handle, (IntPtr)p, (ulong)groups.Length * sizeof(uint));
            }
            return new UnixAccount((uint)((ulong)ids >> 32), (uint)(ids & 0xFFFFFFFF), N.ssx_token_unix_user(_handle), groups);
        }
    }

    /// <summary>A new, independent handle to the same principal with the same access.</summary>
    public PeerToken Duplicate() => FromHandle(N.ssx_swig_token_duplicate(_handle))!;

    /// <summary>
    /// The principal as a <see cref="ClaimsIdentity"/>, so the usual .NET authorization checks
    /// (<see cref="ClaimsPrincipal.HasClaim(string, string)"/>, policies) apply to ssx peers. Claims:
    /// <c>ClaimTypes.Name</c>, <c>ClaimTypes.X500DistinguishedName</c>, <c>ClaimTypes.Thumbprint</c>
    /// (SHA-256), one claim per alternative name (<c>ClaimTypes.Dns</c>, <c>ClaimTypes.Uri</c>,
    /// <c>ClaimTypes.Email</c>, <see cref="SsxClaimTypes.IPAddress"/>), <see cref="SsxClaimTypes.SpiffeId"/>,
    /// and for a mapped account <see cref="SsxClaimTypes.UnixUserId"/>, <see cref="SsxClaimTypes.UnixGroupId"/>,
    /// <see cref="SsxClaimTypes.UnixSupplementaryGroupId"/> and <see cref="SsxClaimTypes.UnixUserName"/>.
    /// The identity is a snapshot: it does not need the token afterwards.
    /// </summary>
    public ClaimsIdentity ToClaimsIdentity()
    {
        var claims = new List<Claim>
        {
            NewClaim(ClaimTypes.Name, Name),
            NewClaim(ClaimTypes.X500DistinguishedName, Subject),
            NewClaim(ClaimTypes.Thumbprint, Fingerprint),
        };
        foreach (string san in AlternativeNames)
        {
            int colon = san.IndexOf(':');
            string kind = colon < 0 ? "" : san.Substring(0, colon);
            string value = san.Substring(colon + 1);
            string? type = kind switch
            {
                "DNS" => ClaimTypes.Dns,
                "URI" => ClaimTypes.Uri,
                "email" => ClaimTypes.Email,
                "IP" => SsxClaimTypes.IPAddress,
                _ => null,
            };
            if (type != null) claims.Add(NewClaim(type, value));
        }
        if (SpiffeId is string spiffe) claims.Add(NewClaim(SsxClaimTypes.SpiffeId, spiffe));
        if (UnixAccount is UnixAccount account)
        {
            claims.Add(NewClaim(SsxClaimTypes.UnixUserId, account.UserId.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.UInteger32));
            claims.Add(NewClaim(SsxClaimTypes.UnixGroupId, account.GroupId.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.UInteger32));
            foreach (uint g in account.SupplementaryGroups)
            {
                claims.Add(NewClaim(SsxClaimTypes.UnixSupplementaryGroupId, g.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.UInteger32));
            }
            if (account.UserName != null) claims.Add(NewClaim(SsxClaimTypes.UnixUserName, account.UserName));
        }
        return new ClaimsIdentity(claims, SsxClaimTypes.AuthenticationType, ClaimTypes.Name, ClaimTypes.Role);
    }

    private static Claim NewClaim(string type, string value, string valueType = ClaimValueTypes.String) =>
        new(type, value, valueType, SsxClaimTypes.Issuer);

    /// <summary>Releases the native token (ssx_token_close).</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc />
    public override string ToString()
    {
        if (_handle.IsClosed) return "PeerToken (disposed)";
        try
        {
            return $"PeerToken {Name}";
        }
        catch (SecureSocketException e)
        {
            return $"PeerToken ({e.CodeName})"; // e.g. opened without query access
        }
        catch (ObjectDisposedException)
        {
            return "PeerToken (disposed)";
        }
    }
}
