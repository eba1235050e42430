package org.ssx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What an application requires of a socket's security (ssx_security_settings). Everything left
 * unset comes from the administrator's policy (the file named by SSX_POLICY), which may also forbid
 * weakening what it requires. Setters return {@code this} for chaining.
 */
public final class SecuritySettings {
    /** Security protocols (SSX_PROTOCOL_*). */
    public enum Protocol {
        /** What the policy chooses: TLS today. */
        DEFAULT(SsxNativeConstants.SSX_PROTOCOL_DEFAULT),
        /** Not supported on Linux (fails with {@link SecureSocketError#NOT_SUPPORTED}). */
        IPSEC(SsxNativeConstants.SSX_PROTOCOL_IPSEC),
        /** Not supported on Linux. */
        IPSEC2(SsxNativeConstants.SSX_PROTOCOL_IPSEC2),
        /** TLS 1.3 (1.2 if the policy allows it). */
        TLS(SsxNativeConstants.SSX_PROTOCOL_TLS);

        final int value;

        Protocol(int value) {
            this.value = value;
        }
    }

    /** Requirements (SSX_SETTINGS_*). */
    public enum Flag {
        /** Refuse any cipher suite without encryption. */
        GUARANTEE_ENCRYPTION(SsxNativeConstants.SSX_SETTINGS_GUARANTEE_ENCRYPTION),
        /** Fall back to clear text when the peer does not speak TLS (never after a certificate or name failure). */
        ALLOW_INSECURE(SsxNativeConstants.SSX_SETTINGS_ALLOW_INSECURE);

        final long value;

        Flag(long value) {
            this.value = value;
        }
    }

    private Protocol protocol = Protocol.DEFAULT;
    private final EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
    private Duration handshakeTimeout;
    private Path certificateFile;
    private Path privateKeyFile;
    private Path trustFile;
    private final List<String> applicationProtocols = new ArrayList<>();

    public Protocol protocol() {
        return protocol;
    }

    public SecuritySettings protocol(Protocol protocol) {
        this.protocol = Objects.requireNonNull(protocol);
        return this;
    }

    public Set<Flag> flags() {
        return Collections.unmodifiableSet(flags);
    }

    public SecuritySettings flag(Flag flag) {
        flags.add(Objects.requireNonNull(flag));
        return this;
    }

    /** The handshake deadline of connect and accept; null = the policy's (10 s by default). */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    public SecuritySettings handshakeTimeout(Duration timeout) {
        if (timeout != null && (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > 0xFFFFFFFFL)) {
            throw new IllegalArgumentException("the handshake timeout must be positive and at most 2^32-1 ms; use null for the policy's");
        }
        this.handshakeTimeout = timeout;
        return this;
    }

    /** PEM certificate (chain, leaf first) for this socket instead of the policy's. */
    public SecuritySettings certificateFile(Path file) {
        this.certificateFile = file;
        return this;
    }

    /** PEM private key of the certificate. */
    public SecuritySettings privateKeyFile(Path file) {
        this.privateKeyFile = file;
        return this;
    }

    /** PEM bundle of trust anchors used to verify the peer, instead of the policy's. */
    public SecuritySettings trustFile(Path file) {
        this.trustFile = file;
        return this;
    }

    /** ALPN protocols, offered (client) or accepted (server) in order. */
    public SecuritySettings applicationProtocol(String protocol) {
        if (protocol == null || protocol.isEmpty() || protocol.indexOf(',') >= 0) {
            throw new IllegalArgumentException("ALPN protocol '" + protocol + "' is empty or contains a comma");
        }
        applicationProtocols.add(protocol);
        return this;
    }

    public List<String> applicationProtocols() {
        return Collections.unmodifiableList(applicationProtocols);
    }

    void applyTo(int fd) throws SecureSocketException {
        long flagBits = 0;
        for (Flag f : flags) flagBits |= f.value;
        long timeoutMs = handshakeTimeout == null ? 0 : handshakeTimeout.toMillis();
        SsxNative.ssx_swig_set_socket_security(fd, protocol.value, flagBits, timeoutMs, text(certificateFile),
                text(privateKeyFile), text(trustFile),
                applicationProtocols.isEmpty() ? null : String.join(",", applicationProtocols));
    }

    private static String text(Path p) {
        return p == null ? null : p.toString();
    }
}
