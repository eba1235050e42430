package org.ssx;

/**
 * What a connection's security is (ssx_query_info), from {@link SecureSocket#querySecurity(int)}.
 * Owns the peer tokens it carries: close it (or close the tokens).
 */
public final class SecurityInfo implements AutoCloseable {
    private final SecuritySettings.Protocol protocol;
    private final long flags;
    private final int tlsVersion;
    private final long tlsFlags;
    private final int verifyResult;
    private final String cipherSuite;
    private final String applicationProtocol;
    private final PeerToken peerApplicationToken;
    private final PeerToken peerMachineToken;

    SecurityInfo(QueryInfo info) {
        int p = info.getProtocol();
        protocol = p == SsxNativeConstants.SSX_PROTOCOL_TLS ? SecuritySettings.Protocol.TLS : SecuritySettings.Protocol.DEFAULT;
        flags = info.getFlags();
        tlsVersion = (int) info.getTls_version();
        tlsFlags = info.getTls_flags();
        verifyResult = info.getVerify_result();
        cipherSuite = info.cipher_suite();
        String alpn = info.application_protocol();
        applicationProtocol = alpn.isEmpty() ? null : alpn;
        peerApplicationToken = PeerToken.of(info.take_peer_application_token());
        peerMachineToken = PeerToken.of(info.take_peer_machine_token());
    }

    /** TLS when secured, DEFAULT for clear text. */
    public SecuritySettings.Protocol protocol() {
        return protocol;
    }

    /** TLS protects the traffic. */
    public boolean isSecured() {
        return (flags & SsxNativeConstants.SSX_INFO_CONNECTION_SECURED) != 0;
    }

    /** The traffic is encrypted. */
    public boolean isEncrypted() {
        return (flags & SsxNativeConstants.SSX_INFO_CONNECTION_ENCRYPTED) != 0;
    }

    /** The calling thread impersonates this connection's peer. */
    public boolean isImpersonated() {
        return (flags & SsxNativeConstants.SSX_INFO_CONNECTION_IMPERSONATED) != 0;
    }

    /** The TLS version as on the wire: 0x0304 (TLS 1.3), 0x0303 (TLS 1.2), 0 when not secured. */
    public int tlsVersion() {
        return tlsVersion;
    }

    /** The TLS version as Java names it ("TLSv1.3"), or null when not secured. */
    public String tlsProtocolName() {
        return tlsVersion == 0x0304 ? "TLSv1.3" : tlsVersion == 0x0303 ? "TLSv1.2" : null;
    }

    /** The session was resumed (the peer was re-authorized). */
    public boolean isResumed() {
        return (tlsFlags & SsxNativeConstants.SSX_TLS_RESUMED) != 0;
    }

    /** OpenSSL's X509_V_* result of the peer verification; 0 = verified. */
    public int verifyResult() {
        return verifyResult;
    }

    /** The IANA cipher suite name ("TLS_AES_128_GCM_SHA256"); "" when not secured. */
    public String cipherSuite() {
        return cipherSuite;
    }

    /** The negotiated ALPN protocol, or null. */
    public String applicationProtocol() {
        return applicationProtocol;
    }

    /** The identity the peer's certificate proves, when tokens were asked for; otherwise null. */
    public PeerToken peerApplicationToken() {
        return peerApplicationToken;
    }

    /** The peer host's separate identity; null in this release (TLS proves one identity). */
    public PeerToken peerMachineToken() {
        return peerMachineToken;
    }

    /** Closes the tokens. */
    @Override
    public void close() {
        if (peerApplicationToken != null) peerApplicationToken.close();
        if (peerMachineToken != null) peerMachineToken.close();
    }
}
