package org.ssx;

import java.util.List;

/**
 * The local account the administrator's policy maps a peer to ([[identity_map]]).
 *
 * @param userId the uid (unsigned 32-bit)
 * @param groupId the primary gid (unsigned 32-bit)
 * @param userName the user name, or null when the account is mapped by number only
 * @param supplementaryGroups the supplementary group ids
 */
public record UnixAccount(long userId, long groupId, String userName, List<Long> supplementaryGroups) {}
