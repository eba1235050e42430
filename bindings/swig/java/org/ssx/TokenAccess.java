package org.ssx;

/** Access rights a peer token is opened with (SSX_TOKEN_*; the Windows TOKEN_* values). Combine with |. */
public final class TokenAccess {
    private TokenAccess() {}

    /** No token is returned by a query. */
    public static final int NONE = 0;
    public static final int ASSIGN_PRIMARY = (int) SsxNativeConstants.SSX_TOKEN_ASSIGN_PRIMARY;
    public static final int DUPLICATE = (int) SsxNativeConstants.SSX_TOKEN_DUPLICATE;
    public static final int IMPERSONATE = (int) SsxNativeConstants.SSX_TOKEN_IMPERSONATE;
    /** Needed to read a token's contents. */
    public static final int QUERY = (int) SsxNativeConstants.SSX_TOKEN_QUERY;
    public static final int QUERY_SOURCE = (int) SsxNativeConstants.SSX_TOKEN_QUERY_SOURCE;
    /** TOKEN_READ (includes {@link #QUERY}). */
    public static final int READ = (int) SsxNativeConstants.SSX_TOKEN_READ;
    /** TOKEN_ALL_ACCESS. */
    public static final int ALL_ACCESS = (int) SsxNativeConstants.SSX_TOKEN_ALL_ACCESS;
}
