using System.Collections.Generic;

namespace Ssx;

/// <summary>The local account the administrator's policy maps a peer to ([[identity_map]]).</summary>
/// <param name="UserId">The account's uid.</param>
/// <param name="GroupId">The account's primary gid.</param>
/// <param name="UserName">The user name, or null when the account is mapped by number only.</param>
/// <param name="SupplementaryGroups">The supplementary group ids.</param>
public sealed record UnixAccount(uint UserId, uint GroupId, string? UserName, IReadOnlyList<uint> SupplementaryGroups);
