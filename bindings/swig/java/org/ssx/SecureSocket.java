package org.ssx;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.util.Objects;

/**
 * A TCP socket secured by ssx: the Secure Socket Extensions workflow in Java.
 *
 * <pre>{@code
 * try (SecureSocket s = new SecureSocket()) {
 *     s.setSocketSecurity(new SecuritySettings().trustFile(ca).certificateFile(cert).privateKeyFile(key));
 *     s.setPeerTargetName("spiffe://corp/db");        // who the server must prove to be
 *     s.connect(new InetSocketAddress("127.0.0.1", 5000));
 *     s.getOutputStream().write(request);
 *     try (SecurityInfo info = s.querySecurity(TokenAccess.QUERY)) { ... }
 * }
 * }</pre>
 *
 * Java does not expose the descriptor of its own sockets, so this class makes the socket itself
 * (socket(2) through the JNI library). Blocking I/O; {@link #setSoTimeout} bounds reads.
 * Thread-safe: one thread may read while another writes.
 */
public final class SecureSocket implements Closeable {
    private final Descriptor descriptor;
    private final Cleaner.Cleanable cleanable;
    private final boolean ipv6;
    private final InputStream in = new SecureInputStream();
    private final OutputStream out = new SecureOutputStream();
    private int soTimeout;

    /** An IPv4 TCP socket. */
    public SecureSocket() throws IOException {
        this(StandardProtocolFamily.INET);
    }

    /** A TCP socket of the family (INET or INET6; an INET6 socket reaches IPv4 peers through mapped addresses). */
    public SecureSocket(ProtocolFamily family) throws IOException {
        if (family != StandardProtocolFamily.INET && family != StandardProtocolFamily.INET6) {
            throw new UnsupportedOperationException("ssx secures INET and INET6 TCP sockets, not " + family);
        }
        ipv6 = family == StandardProtocolFamily.INET6;
        this.descriptor = new Descriptor(SsxNative.ssx_swig_socket(ipv6 ? 16 : 4));
        this.cleanable = PeerToken.CLEANER.register(this, descriptor);
    }

    // An accepted connection: ssx made the descriptor.
    SecureSocket(int fd, boolean ipv6) {
        this.ipv6 = ipv6;
        this.descriptor = new Descriptor(fd);
        this.cleanable = PeerToken.CLEANER.register(this, descriptor);
    }

    /** Connects a new socket: security, target name, connect in one call. */
    public static SecureSocket connect(InetSocketAddress server, String targetName, SecuritySettings settings) throws IOException {
        InetAddress address = resolved(server).getAddress();
        SecureSocket s = new SecureSocket(address instanceof Inet6Address ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            s.setSocketSecurity(settings);
            s.setPeerTargetName(targetName);
            s.connect(server);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * Turns on security (ssx_set_socket_security); before {@link #connect}. Once per socket. The
     * policy and the credentials are read and checked here.
     */
    public void setSocketSecurity(SecuritySettings settings) throws IOException {
        SecuritySettings s = settings == null ? new SecuritySettings() : settings;
        descriptor.use(fd -> {
            s.applyTo(fd);
            return null;
        });
    }

    /** {@link #setSocketSecurity(SecuritySettings)} with the policy's defaults. */
    public void setSocketSecurity() throws IOException {
        setSocketSecurity(null);
    }

    /** Names the identity the peer must prove, for any peer (ssx_set_peer_target_name). */
    public void setPeerTargetName(String targetName) throws IOException {
        setPeerTargetName(targetName, null);
    }

    /** Names the identity the peer at {@code peer} must prove (port 0 = any port; null = any peer). */
    public void setPeerTargetName(String targetName, InetSocketAddress peer) throws IOException {
        Objects.requireNonNull(targetName, "targetName");
        Endpoint e = Endpoint.of(peer, ipv6);
        descriptor.use(fd -> SsxNative.ssx_swig_set_peer_target_name(fd, e.address, e.port, e.scope, targetName));
    }

    /** Removes the target name of a peer address (null = the any-peer entry). */
    public void deletePeerTargetName(InetSocketAddress peer) throws IOException {
        Endpoint e = Endpoint.of(peer, ipv6);
        descriptor.use(fd -> SsxNative.ssx_swig_delete_peer_target_name(fd, e.address, e.port, e.scope));
    }

    /**
     * Connects and secures (ssx_connect): returns only when TCP is connected, TLS is negotiated, the
     * peer's chain verifies, the peer proves the target name and the policy is satisfied. After a
     * failure the socket is unusable: close it.
     */
    public void connect(InetSocketAddress server) throws IOException {
        Endpoint e = Endpoint.of(resolved(server), ipv6);
        int r = descriptor.use(fd -> SsxNative.ssx_swig_connect(fd, e.address, e.port, e.scope));
        if (r < 0) throw new SocketException("ssx_connect asked to wait on a blocking socket (" + r + ")");
    }

    /** The data path (ssx_recv). Reads return -1 at the peer's orderly end (TLS close_notify). */
    public InputStream getInputStream() {
        return in;
    }

    /** The data path (ssx_send). */
    public OutputStream getOutputStream() {
        return out;
    }

    /** Sends TLS close_notify and TCP FIN (ssx_shutdown SHUT_WR): the peer reads the end after every byte. */
    public void shutdownOutput() throws IOException {
        descriptor.use(fd -> SsxNative.ssx_shutdown(fd, 1));
    }

    /** Shuts the receiving direction (ssx_shutdown SHUT_RD). */
    public void shutdownInput() throws IOException {
        descriptor.use(fd -> SsxNative.ssx_shutdown(fd, 0));
    }

    /** Reports the security of the connection, with no tokens. */
    public SecurityInfo querySecurity() throws IOException {
        return querySecurity(TokenAccess.NONE);
    }

    /**
     * Reports the security of the connection (ssx_query_socket_security); with a non-zero
     * {@code tokenAccess} ({@link TokenAccess}) the peer's token too, which the result owns.
     */
    public SecurityInfo querySecurity(int tokenAccess) throws IOException {
        QueryInfo info = new QueryInfo();
        try {
            descriptor.use(fd -> SsxNative.ssx_swig_query(fd, SsxNativeConstants.SSX_PROTOCOL_DEFAULT, tokenAccess, info));
            return new SecurityInfo(info);
        } finally {
            info.delete();
        }
    }

    /**
     * The calling thread acts as the connection's authenticated peer until the returned object is
     * closed (ssx_impersonate_socket_peer / ssx_revert_impersonation). Per thread: see
     * {@link Impersonation}.
     */
    public Impersonation impersonatePeer() throws IOException {
        if (descriptor.isClosed()) throw new SocketException("Socket is closed");
        return Impersonation.begin(descriptor);
    }

    /** Bounds every read (and the wait of a blocked write) to {@code millis}; 0 = no limit (SO_RCVTIMEO/SO_SNDTIMEO). */
    public void setSoTimeout(int millis) throws IOException {
        if (millis < 0) throw new IllegalArgumentException("timeout < 0");
        descriptor.use(fd -> SsxNative.ssx_swig_set_timeouts(fd, millis, millis));
        soTimeout = millis;
    }

    public int getSoTimeout() {
        return soTimeout;
    }

    public boolean isClosed() {
        return descriptor.isClosed();
    }

    /**
     * Ends the TLS session (close_notify) and closes the socket (ssx_close). A read blocked on
     * another thread is woken and fails with {@link SocketException}. Idempotent.
     */
    @Override
    public void close() {
        cleanable.clean();
    }

    static InetSocketAddress resolved(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) throw new IllegalArgumentException("unresolved address " + address + "; resolve the host first");
        return address;
    }

    // An InetSocketAddress as raw IP bytes for the native layer; an IPv6 socket talks to IPv4 peers
    // through IPv4-mapped addresses.
    static final class Endpoint {
        final byte[] address;
        final int port;
        final long scope;

        private Endpoint(byte[] address, int port, long scope) {
            this.address = address;
            this.port = port;
            this.scope = scope;
        }

        static Endpoint of(InetSocketAddress a, boolean ipv6Socket) {
            if (a == null) return new Endpoint(null, 0, 0);
            InetAddress ip = resolved(a).getAddress();
            byte[] bytes = ip.getAddress();
            if (ipv6Socket && ip instanceof Inet4Address) {
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(bytes, 0, mapped, 12, 4);
                bytes = mapped;
            }
            long scope = ip instanceof Inet6Address ? ((Inet6Address) ip).getScopeId() : 0;
            return new Endpoint(bytes, a.getPort(), scope);
        }
    }

    private final class SecureInputStream extends InputStream {
        private static final int CHUNK = 16384;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) <= 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) return 0;
            // The native layer reads into a whole array: read into b itself when it is exactly
            // the range asked for, else into a chunk and copy.
            int want = Math.min(len, CHUNK);
            byte[] chunk = off == 0 && want == b.length ? b : new byte[want];
            long n = descriptor.use(fd -> SsxNative.ssx_recv(fd, chunk, 0));
            if (n < 0) throw new SocketException("ssx_recv asked to wait on a blocking socket (" + n + ")");
            if (n == 0) return -1;
            if (chunk != b) System.arraycopy(chunk, 0, b, off, (int) n);
            return (int) n;
        }

        @Override
        public void close() {
            SecureSocket.this.close();
        }
    }

    private final class SecureOutputStream extends OutputStream {
        private static final int CHUNK = 65536;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            for (int sent = 0; sent < len;) {
                int n = Math.min(len - sent, CHUNK);
                byte[] chunk = off + sent == 0 && n == b.length ? b : java.util.Arrays.copyOfRange(b, off + sent, off + sent + n);
                long r = descriptor.use(fd -> SsxNative.ssx_send(fd, chunk, 0));
                if (r < 0) throw new SocketException("ssx_send asked to wait on a blocking socket (" + r + ")");
                sent += (int) r;
            }
        }

        @Override
        public void close() {
            SecureSocket.this.close();
        }
    }
}
