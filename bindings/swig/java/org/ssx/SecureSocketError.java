package org.ssx;

/** The stable ssx error codes (SSX_E_* of ssx.h; the values come from the header through SWIG). */
public enum SecureSocketError {
    INVALID_ARGUMENT(SsxNativeConstants.SSX_E_INVALID_ARGUMENT),
    NULL_POINTER(SsxNativeConstants.SSX_E_NULL_POINTER),
    BUFFER_TOO_SMALL(SsxNativeConstants.SSX_E_BUFFER_TOO_SMALL),
    NOT_SOCKET(SsxNativeConstants.SSX_E_NOT_SOCKET),
    BAD_DESCRIPTOR(SsxNativeConstants.SSX_E_BAD_DESCRIPTOR),
    UNSUPPORTED_SOCKET(SsxNativeConstants.SSX_E_UNSUPPORTED_SOCKET),
    ADDRESS_FAMILY(SsxNativeConstants.SSX_E_ADDRESS_FAMILY),
    NOT_SUPPORTED(SsxNativeConstants.SSX_E_NOT_SUPPORTED),
    ALREADY_CONNECTED(SsxNativeConstants.SSX_E_ALREADY_CONNECTED),
    ALREADY_BOUND(SsxNativeConstants.SSX_E_ALREADY_BOUND),
    ALREADY_SET(SsxNativeConstants.SSX_E_ALREADY_SET),
    NOT_CONNECTED(SsxNativeConstants.SSX_E_NOT_CONNECTED),
    NOT_SECURED(SsxNativeConstants.SSX_E_NOT_SECURED),
    NO_SECURITY(SsxNativeConstants.SSX_E_NO_SECURITY),
    NOT_FOUND(SsxNativeConstants.SSX_E_NOT_FOUND),
    LISTENING(SsxNativeConstants.SSX_E_LISTENING),
    ACCESS_DENIED(SsxNativeConstants.SSX_E_ACCESS_DENIED),
    POLICY(SsxNativeConstants.SSX_E_POLICY),
    NO_CREDENTIALS(SsxNativeConstants.SSX_E_NO_CREDENTIALS),
    CREDENTIALS(SsxNativeConstants.SSX_E_CREDENTIALS),
    POLICY_FORBIDS(SsxNativeConstants.SSX_E_POLICY_FORBIDS),
    HANDSHAKE(SsxNativeConstants.SSX_E_HANDSHAKE),
    PEER_UNTRUSTED(SsxNativeConstants.SSX_E_PEER_UNTRUSTED),
    NAME_MISMATCH(SsxNativeConstants.SSX_E_NAME_MISMATCH),
    CERT_EXPIRED(SsxNativeConstants.SSX_E_CERT_EXPIRED),
    NO_PEER_CERT(SsxNativeConstants.SSX_E_NO_PEER_CERT),
    NO_TARGET_NAME(SsxNativeConstants.SSX_E_NO_TARGET_NAME),
    PROTOCOL_VERSION(SsxNativeConstants.SSX_E_PROTOCOL_VERSION),
    PEER_NOT_TLS(SsxNativeConstants.SSX_E_PEER_NOT_TLS),
    TIMEOUT(SsxNativeConstants.SSX_E_TIMEOUT),
    PEER_CLOSED(SsxNativeConstants.SSX_E_PEER_CLOSED),
    PEER_REJECTED(SsxNativeConstants.SSX_E_PEER_REJECTED),
    CONNECT(SsxNativeConstants.SSX_E_CONNECT),
    CERT_NOT_YET_VALID(SsxNativeConstants.SSX_E_CERT_NOT_YET_VALID),
    WANT_READ(SsxNativeConstants.SSX_E_WANT_READ),
    WANT_WRITE(SsxNativeConstants.SSX_E_WANT_WRITE),
    IO(SsxNativeConstants.SSX_E_IO),
    SHUT_DOWN(SsxNativeConstants.SSX_E_SHUT_DOWN),
    PROTOCOL(SsxNativeConstants.SSX_E_PROTOCOL),
    IMPERSONATION_DENIED(SsxNativeConstants.SSX_E_IMPERSONATION_DENIED),
    OS_CREDENTIALS(SsxNativeConstants.SSX_E_OS_CREDENTIALS),
    NO_MEMORY(SsxNativeConstants.SSX_E_NO_MEMORY),
    INTERNAL(SsxNativeConstants.SSX_E_INTERNAL),
    /** A code this version of the binding does not know (a newer libssx). */
    UNKNOWN(-1);

    private final int code;

    SecureSocketError(int code) {
        this.code = code;
    }

    /** The numeric SSX_E_* code. */
    public int code() {
        return code;
    }

    /** The constant for a code; {@link #UNKNOWN} for codes this binding does not know. */
    public static SecureSocketError of(int code) {
        for (SecureSocketError e : values()) {
            if (e.code == code) return e;
        }
        return UNKNOWN;
    }
}
