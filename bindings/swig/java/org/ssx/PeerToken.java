package org.ssx;

import java.io.ByteArrayInputStream;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An authenticated principal: the peer of a secured connection ({@link SecurityInfo#peerApplicationToken()})
 * or the principal the current thread impersonates ({@link #threadToken()}). Immutable; stays valid
 * after its socket is closed. Close it when done (a {@link Cleaner} releases tokens that are
 * dropped). Reading the contents needs {@link TokenAccess#QUERY}; without it the accessors throw
 * {@link SecureSocketException} with {@link SecureSocketError#ACCESS_DENIED}. After {@link #close()}
 * they throw {@link IllegalStateException}.
 */
public final class PeerToken implements AutoCloseable {
    static final Cleaner CLEANER = Cleaner.create();

    // The native handle and its release, apart from the PeerToken so the Cleaner can run it.
    private static final class Handle implements Runnable {
        private SWIGTYPE_p_ssx_token token;

        Handle(SWIGTYPE_p_ssx_token token) {
            this.token = token;
        }

        @Override
        public synchronized void run() {
            if (token != null) {
                SsxNative.ssx_swig_token_close(token);
                token = null;
            }
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    private PeerToken(SWIGTYPE_p_ssx_token token) {
        handle = new Handle(token);
        cleanable = CLEANER.register(this, handle);
    }

    // Takes ownership of a native token; null for "none".
    static PeerToken of(SWIGTYPE_p_ssx_token token) {
        return token == null || SWIGTYPE_p_ssx_token.getCPtr(token) == 0 ? null : new PeerToken(token);
    }

    /**
     * The principal the calling thread impersonates (full access), or null when it impersonates
     * nobody (see {@link SecureSocket#impersonatePeer()}).
     */
    public static PeerToken threadToken() throws SecureSocketException {
        return of(SsxNative.ssx_swig_thread_token());
    }

    // Every accessor holds the handle's lock, so close() on another thread waits for it: a token
    // is never freed under a running native call.
    private SWIGTYPE_p_ssx_token live() {
        if (handle.token == null) throw new IllegalStateException("the token is closed");
        return handle.token;
    }

    /** The access rights the token was opened with ({@link TokenAccess}). */
    public int accessMask() {
        synchronized (handle) {
            return (int) SsxNative.ssx_token_access_mask(live());
        }
    }

    /** The SPIFFE ID if any, else the first DNS, URI, IP or email name, else the subject's common name. */
    public String name() throws SecureSocketException {
        synchronized (handle) {
            return SsxNative.ssx_token_name(live());
        }
    }

    /** The certificate subject in RFC 2253 form ("CN=db,O=corp"). */
    public String subject() throws SecureSocketException {
        synchronized (handle) {
            return SsxNative.ssx_token_subject(live());
        }
    }

    /** The SPIFFE ID, or null when the certificate has none. */
    public String spiffeId() throws SecureSocketException {
        synchronized (handle) {
            return SsxNative.ssx_token_spiffe_id(live());
        }
    }

    /** SHA-256 of the peer's DER certificate as 64 uppercase hex digits. */
    public String fingerprint() throws SecureSocketException {
        synchronized (handle) {
            return SsxNative.ssx_token_fingerprint(live());
        }
    }

    /** The subject alternative names with their type: "DNS:db.corp", "IP:192.0.2.7", "URI:spiffe://corp/db". */
    public List<String> alternativeNames() throws SecureSocketException {
        synchronized (handle) {
            long count = SsxNative.ssx_token_name_count(live());
            List<String> names = new ArrayList<>();
            for (long i = 0; i < count; i++) names.add(SsxNative.ssx_token_name_at(live(), i));
            return Collections.unmodifiableList(names);
        }
    }

    /** The peer's certificate chain, leaf first (on a resumed session only the leaf is known). */
    public List<X509Certificate> certificateChain() throws SecureSocketException {
        synchronized (handle) {
            long length = SsxNative.ssx_token_chain_length(live());
            List<X509Certificate> chain = new ArrayList<>();
            try {
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                for (long i = 0; i < length; i++) {
                    byte[] der = new byte[(int) SsxNative.ssx_swig_token_certificate(live(), i, new byte[0])];
                    SsxNative.ssx_swig_token_certificate(live(), i, der);
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
            } catch (CertificateException e) {
                throw new IllegalStateException("ssx returned a certificate Java cannot parse", e);
            }
            return Collections.unmodifiableList(chain);
        }
    }

    /** The local account the policy maps this principal to, or null when it is not mapped. */
    public UnixAccount unixAccount() throws SecureSocketException {
        synchronized (handle) {
            long ids = SsxNative.ssx_swig_token_unix_account(live());
            if (ids < 0) return null;
            long count = SsxNative.ssx_swig_token_unix_groups(live(), new byte[0]);
            byte[] raw = new byte[(int) Math.max(0, count) * 4];
            if (raw.length > 0) SsxNative.ssx_swig_token_unix_groups(live(), raw);
            ByteBuffer buffer = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            List<Long> groups = new ArrayList<>();
            while (buffer.remaining() >= 4) groups.add(Integer.toUnsignedLong(buffer.getInt()));
            return new UnixAccount(ids >>> 32, ids & 0xFFFFFFFFL, SsxNative.ssx_token_unix_user(live()),
                    Collections.unmodifiableList(groups));
        }
    }

    /** A new, independent handle to the same principal with the same access. */
    public PeerToken duplicate() throws SecureSocketException {
        synchronized (handle) {
            return of(SsxNative.ssx_swig_token_duplicate(live()));
        }
    }

    /** Releases the native token (ssx_token_close). Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        synchronized (handle) {
            if (handle.token == null) return "PeerToken (closed)";
            try {
                return "PeerToken " + SsxNative.ssx_token_name(handle.token);
            } catch (SecureSocketException e) {
                return "PeerToken (" + e.codeName() + ")";
            }
        }
    }
}
