using System;
using N = Ssx.Interop.SsxNative;

namespace Ssx;

/// <summary>Security protocols (SSX_PROTOCOL_*; 0..2 match Windows' SOCKET_SECURITY_PROTOCOL).</summary>
public enum SecurityProtocol
{
    /// <summary>What the administrator's policy chooses: TLS today.</summary>
    Default = N.SSX_PROTOCOL_DEFAULT,
    /// <summary>Not supported on Linux (fails with <see cref="SecureSocketError.NotSupported"/>).</summary>
    IPsec = N.SSX_PROTOCOL_IPSEC,
    /// <summary>Not supported on Linux (fails with <see cref="SecureSocketError.NotSupported"/>).</summary>
    IPsec2 = N.SSX_PROTOCOL_IPSEC2,
    /// <summary>TLS 1.3 (1.2 if the policy allows it).</summary>
    Tls = N.SSX_PROTOCOL_TLS,
}

/// <summary>Requirements of <see cref="SecuritySettings"/> (SSX_SETTINGS_*; Windows' SOCKET_SETTINGS_*).</summary>
[Flags]
public enum SecuritySettingsFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>Refuse any cipher suite without encryption.</summary>
    GuaranteeEncryption = N.SSX_SETTINGS_GUARANTEE_ENCRYPTION,
    /// <summary>Fall back to clear text when the peer does not speak TLS (never after a certificate or name failure).</summary>
    AllowInsecure = N.SSX_SETTINGS_ALLOW_INSECURE,
}

/// <summary>What a connection's security is (SSX_INFO_CONNECTION_*; Windows' SOCKET_INFO_CONNECTION_*).</summary>
[Flags]
public enum ConnectionSecurityFlags : uint
{
    /// <summary>Clear text.</summary>
    None = 0,
    /// <summary>TLS protects the traffic.</summary>
    Secured = N.SSX_INFO_CONNECTION_SECURED,
    /// <summary>... and encrypts it.</summary>
    Encrypted = N.SSX_INFO_CONNECTION_ENCRYPTED,
    /// <summary>The calling thread impersonates this connection's peer.</summary>
    Impersonated = N.SSX_INFO_CONNECTION_IMPERSONATED,
}

/// <summary>Details of the TLS session (SSX_TLS_*).</summary>
[Flags]
public enum TlsSessionFlags : uint
{
    /// <summary>A full handshake.</summary>
    None = 0,
    /// <summary>The session was resumed (the peer was re-authorized).</summary>
    Resumed = N.SSX_TLS_RESUMED,
}

/// <summary>Access rights a peer token is opened with (SSX_TOKEN_*; Windows' TOKEN_* values).</summary>
[Flags]
public enum TokenAccessRights : uint
{
    /// <summary>No token is returned.</summary>
    None = 0,
    /// <summary>TOKEN_ASSIGN_PRIMARY.</summary>
    AssignPrimary = N.SSX_TOKEN_ASSIGN_PRIMARY,
    /// <summary>TOKEN_DUPLICATE.</summary>
    Duplicate = N.SSX_TOKEN_DUPLICATE,
    /// <summary>TOKEN_IMPERSONATE.</summary>
    Impersonate = N.SSX_TOKEN_IMPERSONATE,
    /// <summary>TOKEN_QUERY: needed to read the token's contents.</summary>
    Query = N.SSX_TOKEN_QUERY,
    /// <summary>TOKEN_QUERY_SOURCE.</summary>
    QuerySource = N.SSX_TOKEN_QUERY_SOURCE,
    /// <summary>TOKEN_ADJUST_PRIVILEGES.</summary>
    AdjustPrivileges = N.SSX_TOKEN_ADJUST_PRIVILEGES,
    /// <summary>TOKEN_ADJUST_GROUPS.</summary>
    AdjustGroups = N.SSX_TOKEN_ADJUST_GROUPS,
    /// <summary>TOKEN_ADJUST_DEFAULT.</summary>
    AdjustDefault = N.SSX_TOKEN_ADJUST_DEFAULT,
    /// <summary>TOKEN_ADJUST_SESSIONID.</summary>
    AdjustSessionId = N.SSX_TOKEN_ADJUST_SESSIONID,
    /// <summary>TOKEN_READ (includes <see cref="Query"/>).</summary>
    Read = N.SSX_TOKEN_READ,
    /// <summary>TOKEN_ALL_ACCESS.</summary>
    AllAccess = N.SSX_TOKEN_ALL_ACCESS,
}
