package org.ssx.tests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ssx.tests.Peers.*;

import java.io.File;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Test;
import org.ssx.PeerToken;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;
import org.ssx.SecurityInfo;
import org.ssx.TokenAccess;

/**
 * Sockets and tokens closed, or dropped for the garbage collector (the Cleaner releases them),
 * leave the process's descriptor count where it started.
 */
public class LeakTest {
    private final TestPki pki;

    public LeakTest() throws Exception {
        pki = new TestPki();
    }

    @After
    public void removePki() throws Exception {
        pki.close();
    }

    private static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    // Collects until the count is back at most to `limit` (the Cleaner runs on its own thread).
    private static int settle(int limit) throws InterruptedException {
        int n = openDescriptors();
        for (int i = 0; i < 100 && n > limit; i++) {
            System.gc();
            Thread.sleep(50);
            n = openDescriptors();
        }
        return n;
    }

    @Test
    public void closedAndDroppedConnectionsAndTokensReleaseEverything() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            run(listener, 3, true); // warm up: JVM and OpenSSL files opened once
            int start = settle(0);
            run(listener, 100, true);
            int afterClosed = settle(start);
            run(listener, 100, false);
            int afterDropped = settle(start);
            assertTrue("closed connections leaked descriptors: " + start + " -> " + afterClosed, afterClosed <= start);
            assertTrue("dropped connections leaked descriptors: " + start + " -> " + afterDropped, afterDropped <= start);
        }
    }

    private void run(SecureServerSocket listener, int count, boolean close) throws Exception {
        for (int i = 0; i < count; i++) {
            Future<Void> server = onThread(() -> {
                SecureSocket s = listener.accept();
                SecurityInfo info = s.querySecurity(TokenAccess.QUERY);
                for (int t = 0; t < 10; t++) {
                    PeerToken copy = info.peerApplicationToken().duplicate();
                    copy.name();
                    if (close) copy.close();
                }
                int b = s.getInputStream().read();
                s.getOutputStream().write(b);
                if (close) {
                    info.close();
                    s.close();
                } else {
                    s.shutdownOutput(); // the orderly end, with nothing closed
                }
                return null;
            });
            SecureSocket c = SecureSocket.connect(address(listener), "server.test", pki.settings("client"));
            SecurityInfo info = c.querySecurity(TokenAccess.QUERY);
            c.getOutputStream().write(42);
            assertEquals(42, c.getInputStream().read());
            // End this side before waiting for the server. When both sides close at once, either
            // may find the TCP connection already reset by the other: close() tolerates that,
            // shutdownOutput() would report it, so it is used only after the peer's orderly end.
            if (close) {
                info.close();
                c.close();
            } else {
                c.getInputStream().read(); // the server's close_notify: it shut its side first
                c.shutdownOutput();
            }
            within(server);
        }
    }
}
