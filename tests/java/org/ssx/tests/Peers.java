package org.ssx.tests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;
import org.ssx.SecureSocketError;
import org.ssx.SecureSocketException;
import org.ssx.SecuritySettings;

/** Loopback peers through the binding, and bounded waits. */
final class Peers {
    static final long LIMIT_SECONDS = 20;
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ssx-test-peer");
        t.setDaemon(true);
        return t;
    });

    private Peers() {}

    static SecureServerSocket listener(SecuritySettings settings) throws IOException {
        return new SecureServerSocket(settings, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    }

    static InetSocketAddress address(SecureServerSocket listener) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
    }

    static SecureSocket client(SecuritySettings settings, String target) throws IOException {
        SecureSocket s = new SecureSocket();
        s.setSocketSecurity(settings);
        if (target != null) s.setPeerTargetName(target);
        return s;
    }

    static <T> Future<T> onThread(Callable<T> body) {
        return POOL.submit(body);
    }

    /** The result; a peer that does not finish within the limit fails the test. */
    static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError("a peer did not finish within " + LIMIT_SECONDS + " s", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) throw (Exception) e.getCause();
            throw e;
        }
    }

    /** Accepts one connection and echoes until the peer's end. */
    static Future<Void> echoOnce(SecureServerSocket listener) {
        return onThread(() -> {
            try (SecureSocket s = listener.accept()) {
                s.getInputStream().transferTo(s.getOutputStream());
            }
            return null;
        });
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toByteArray();
    }

    interface Action {
        void run() throws Exception;
    }

    /** The ssx failure of {@code action}; fails the test if there is none or another. */
    static SecureSocketException fails(SecureSocketError expected, Action action) throws Exception {
        try {
            action.run();
        } catch (SecureSocketException e) {
            assertEquals(e.toString(), expected, e.error());
            assertFalse(e.getMessage().isBlank());
            return e;
        }
        fail("expected " + expected);
        return null;
    }
}
