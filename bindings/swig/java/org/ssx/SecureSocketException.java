package org.ssx;

import java.io.IOException;

/**
 * A failure reported by ssx: the stable ssx code ({@link #error()}, {@link #code()}), the POSIX
 * errno ({@link #errno()}) and ssx's message, which says what happened and what to do.
 *
 * <p>The binding reads ssx's thread-local error state in the native wrapper, right after the
 * failing call on the same thread, so the code, errno and message always belong to that call.
 */
public class SecureSocketException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final int errno;

    /** An exception for an ssx code, errno and message (the native wrapper uses {@link #fromNative}). */
    public SecureSocketException(int code, int errno, String message) {
        super(message);
        this.code = code;
        this.errno = errno;
    }

    // Called by the JNI wrapper with ssx's message as UTF-8 (malformed bytes become U+FFFD).
    static SecureSocketException fromNative(int code, int errno, byte[] utf8Message) {
        return new SecureSocketException(code, errno, new String(utf8Message, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The ssx code as a constant. */
    public SecureSocketError error() {
        return SecureSocketError.of(code);
    }

    /** The numeric ssx code (SSX_E_*). */
    public int code() {
        return code;
    }

    /** The code's symbolic name, e.g. "SSX_E_NAME_MISMATCH". */
    public String codeName() {
        return SsxNative.ssx_error_name(code);
    }

    /** The POSIX errno that goes with the failure (e.g. 13 for EACCES). */
    public int errno() {
        return errno;
    }

    @Override
    public String toString() {
        return getClass().getName() + ": " + codeName() + " (errno " + errno + "): " + getMessage();
    }
}
