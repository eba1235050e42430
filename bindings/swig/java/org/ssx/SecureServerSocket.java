package org.ssx;

import java.io.Closeable;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * A listening TCP socket secured by ssx: security is set before bind, as ssx requires, and every
 * accepted connection inherits it.
 *
 * <pre>{@code
 * try (SecureServerSocket listener = new SecureServerSocket(settings, new InetSocketAddress("127.0.0.1", 0), 16);
 *      SecureSocket client = listener.accept()) {
 *     try (Impersonation as = client.impersonatePeer()) { ... }
 * }
 * }</pre>
 */
public final class SecureServerSocket implements Closeable {
    private final Descriptor descriptor;
    private final Cleaner.Cleanable cleanable;
    private final boolean ipv6;
    private final int port;

    /** Creates the socket, secures it with {@code settings} (null = the policy's), binds and listens. */
    public SecureServerSocket(SecuritySettings settings, InetSocketAddress address, int backlog) throws IOException {
        SecureSocket.resolved(address);
        ipv6 = address.getAddress() instanceof Inet6Address;
        descriptor = new Descriptor(SsxNative.ssx_swig_socket(ipv6 ? 16 : 4));
        cleanable = PeerToken.CLEANER.register(this, descriptor);
        try {
            SecuritySettings s = settings == null ? new SecuritySettings() : settings;
            SecureSocket.Endpoint e = SecureSocket.Endpoint.of(address, ipv6);
            port = descriptor.use(fd -> {
                s.applyTo(fd);
                SsxNative.ssx_swig_bind_listen(fd, e.address, e.port, backlog);
                return SsxNative.ssx_swig_local_port(fd);
            });
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The port the socket listens on (the one the system chose for port 0). */
    public int getLocalPort() {
        return port;
    }

    /**
     * Accepts a connection and runs the server side of the handshake with the listener's deadline
     * (ssx_accept). A client that fails the handshake makes this throw {@link SecureSocketException}
     * (that connection is closed; the listener is unaffected: call again).
     *
     * @throws SocketTimeoutException no connection arrived within {@link #setSoTimeout}
     */
    public SecureSocket accept() throws IOException {
        int fd = descriptor.use(SsxNative::ssx_swig_accept);
        if (fd < 0) throw new SocketTimeoutException("Accept timed out");
        return new SecureSocket(fd, ipv6);
    }

    /** Bounds {@link #accept()}'s wait for a connection; 0 = no limit. */
    public void setSoTimeout(int millis) throws IOException {
        if (millis < 0) throw new IllegalArgumentException("timeout < 0");
        descriptor.use(fd -> SsxNative.ssx_swig_set_timeouts(fd, millis, millis));
    }

    public boolean isClosed() {
        return descriptor.isClosed();
    }

    /** Closes the listener; an accept blocked on another thread is woken and fails with {@link SocketException}. */
    @Override
    public void close() {
        cleanable.clean();
    }
}
