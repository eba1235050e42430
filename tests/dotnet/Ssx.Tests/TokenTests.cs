using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using Ssx;
using Xunit;
using static Ssx.Tests.Loopback;

namespace Ssx.Tests;

/// <summary>PeerToken: contents, the claims projection, the mapped account, lifetime.</summary>
public sealed class TokenTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    // The server's token for the client ("spiffe://test/client", mapped to "nobody" by test-policy.toml)
    // and the client's token for the server (not mapped).
    private (PeerToken ClientSeenByServer, PeerToken ServerSeenByClient) Tokens()
    {
        using Socket listener = Listener(_pki.Settings("server"), out IPEndPoint ep);
        Task<PeerToken> server = OnThread(() =>
        {
            using Socket s = listener.SecureAccept();
            using SecurityInfo info = s.QuerySocketSecurity(TokenAccessRights.AllAccess);
            PeerToken token = info.PeerApplicationToken!.Duplicate();
            s.SecureClose();
            return token;
        });
        using Socket client = Client(_pki.Settings("client"));
        client.SecureConnect(ep);
        PeerToken serverToken;
        using (SecurityInfo info = client.QuerySocketSecurity(TokenAccessRights.Query))
        {
            serverToken = info.PeerApplicationToken!.Duplicate();
        }
        client.SecureClose();
        return (Within(server), serverToken);
    }

    [Fact]
    public void TokensOutliveTheirSocketsAndDuplicates()
    {
        var (clientToken, serverToken) = Tokens();
        using (clientToken)
        using (serverToken)
        {
            Assert.Equal("spiffe://test/client", clientToken.Name); // both sockets are closed by now
            Assert.Equal(TokenAccessRights.AllAccess, clientToken.Access);
            PeerToken copy = clientToken.Duplicate();
            clientToken.Dispose();
            Assert.Throws<ObjectDisposedException>(() => clientToken.Name);
            Assert.Equal("spiffe://test/client", copy.Name);
            copy.Dispose();
            copy.Dispose(); // idempotent
        }
    }

    [Fact]
    public void CertificateChainMatchesTheFiles()
    {
        var (clientToken, serverToken) = Tokens();
        using (clientToken)
        using (serverToken)
        {
            X509Certificate2[] chain = clientToken.GetCertificateChain();
            try
            {
                Assert.NotEmpty(chain);
                using var expected = X509Certificate2.CreateFromPemFile(_pki.Cert("client"), _pki.Key("client"));
                Assert.Equal(expected.RawData, chain[0].RawData);
                Assert.Equal(expected.RawData, clientToken.GetCertificateDer());
                Assert.Equal(Convert.ToHexString(SHA256.HashData(expected.RawData)), clientToken.Fingerprint);
            }
            finally
            {
                foreach (var c in chain) c.Dispose();
            }
        }
    }

    [Fact]
    public void MappedAccountComesFromThePolicy()
    {
        var (clientToken, serverToken) = Tokens();
        using (clientToken)
        using (serverToken)
        {
            UnixAccount account = clientToken.UnixAccount!;
            Assert.Equal("nobody", account.UserName);
            Assert.Equal(65534u, account.UserId);
            Assert.Equal(65534u, account.GroupId);
            Assert.Null(serverToken.UnixAccount); // not mapped
            Assert.Null(serverToken.UnixAccount);
        }
    }

    [Fact]
    public void ClaimsIdentityCarriesTheNamesAndTheAccount()
    {
        var (clientToken, serverToken) = Tokens();
        using (clientToken)
        using (serverToken)
        {
            ClaimsIdentity identity = clientToken.ToClaimsIdentity();
            var principal = new ClaimsPrincipal(identity);
            Assert.True(identity.IsAuthenticated);
            Assert.Equal(SsxClaimTypes.AuthenticationType, identity.AuthenticationType);
            Assert.Equal("spiffe://test/client", identity.Name);
            Assert.True(principal.HasClaim(ClaimTypes.Dns, "client.test"));
            Assert.True(principal.HasClaim(ClaimTypes.Uri, "spiffe://test/client"));
            Assert.True(principal.HasClaim(SsxClaimTypes.SpiffeId, "spiffe://test/client"));
            Assert.True(principal.HasClaim(ClaimTypes.X500DistinguishedName, "CN=client"));
            Assert.True(principal.HasClaim(ClaimTypes.Thumbprint, clientToken.Fingerprint));
            Assert.True(principal.HasClaim(SsxClaimTypes.UnixUserId, "65534"));
            Assert.True(principal.HasClaim(SsxClaimTypes.UnixGroupId, "65534"));
            Assert.True(principal.HasClaim(SsxClaimTypes.UnixUserName, "nobody"));
            Assert.All(identity.Claims, c => Assert.Equal(SsxClaimTypes.Issuer, c.Issuer));
            Assert.False(principal.HasClaim(ClaimTypes.Dns, "server.test"));

            ClaimsIdentity server = serverToken.ToClaimsIdentity();
            Assert.True(server.HasClaim(SsxClaimTypes.IPAddress, "127.0.0.1"));
            Assert.DoesNotContain(server.Claims, c => c.Type == SsxClaimTypes.UnixUserId);

            // A snapshot: usable after the token is gone.
            clientToken.Dispose();
            Assert.Equal("spiffe://test/client", identity.Name);
        }
    }

    [Fact]
    public void NoThreadTokenOutsideImpersonation()
    {
        Assert.Null(PeerToken.GetThreadToken());
        Assert.False(ImpersonationScope.IsActive);
    }
}
