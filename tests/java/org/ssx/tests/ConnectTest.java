package org.ssx.tests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ssx.tests.Peers.*;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Test;
import org.ssx.PeerToken;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;
import org.ssx.SecureSocketError;
import org.ssx.SecureSocketException;
import org.ssx.SecurityInfo;
import org.ssx.SecuritySettings;
import org.ssx.TokenAccess;

/** connect / accept / query and their failures. */
public class ConnectTest {
    private final TestPki pki;

    public ConnectTest() throws Exception {
        pki = new TestPki();
    }

    @After
    public void removePki() throws Exception {
        pki.close();
    }

    @Test
    public void mutualAuthenticationRoundTripAndQuery() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            Future<String> server = onThread(() -> {
                try (SecureSocket s = listener.accept(); SecurityInfo info = s.querySecurity(TokenAccess.QUERY)) {
                    s.getInputStream().transferTo(s.getOutputStream());
                    return info.peerApplicationToken().name();
                }
            });
            try (SecureSocket client = client(pki.settings("client"), "server.test")) {
                client.connect(address(listener));
                try (SecurityInfo info = client.querySecurity(TokenAccess.READ)) {
                    assertTrue(info.isSecured());
                    assertTrue(info.isEncrypted());
                    assertFalse(info.isImpersonated());
                    assertEquals(SecuritySettings.Protocol.TLS, info.protocol());
                    assertEquals(0x0304, info.tlsVersion());
                    assertEquals("TLSv1.3", info.tlsProtocolName());
                    assertTrue(info.cipherSuite().startsWith("TLS_"));
                    assertEquals(0, info.verifyResult());
                    assertNull(info.applicationProtocol());
                    assertNull(info.peerMachineToken());
                    PeerToken peer = info.peerApplicationToken();
                    assertEquals("spiffe://test/server", peer.name());
                    assertEquals("spiffe://test/server", peer.spiffeId());
                    assertEquals("CN=server", peer.subject());
                    assertTrue(peer.alternativeNames().contains("DNS:server.test"));
                    assertTrue(peer.fingerprint().matches("[0-9A-F]{64}"));
                    assertEquals(TokenAccess.READ, peer.accessMask());
                }
                byte[] hello = "hello over TLS 1.3".getBytes(StandardCharsets.UTF_8);
                client.getOutputStream().write(hello);
                client.shutdownOutput();
                assertArrayEquals(hello, readAll(client.getInputStream()));
            }
            assertEquals("spiffe://test/client", within(server));
        }
    }

    @Test
    public void convenienceConnectAndAlpn() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server").applicationProtocol("ssx-test/2").applicationProtocol("ssx-test/1"))) {
            Future<Void> server = echoOnce(listener);
            try (SecureSocket client = SecureSocket.connect(address(listener), "spiffe://test/server",
                    pki.settings("client").applicationProtocol("ssx-test/1"));
                 SecurityInfo info = client.querySecurity()) {
                assertEquals("ssx-test/1", info.applicationProtocol());
                assertNull(info.peerApplicationToken()); // no access mask: no token
            }
            within(server);
        }
    }

    @Test
    public void ipv6Loopback() throws Exception {
        try (SecureServerSocket listener = new SecureServerSocket(pki.settings("server"), new InetSocketAddress(InetAddress.getByName("::1"), 0), 4)) {
            Future<Void> server = echoOnce(listener);
            try (SecureSocket client = SecureSocket.connect(new InetSocketAddress(InetAddress.getByName("::1"), listener.getLocalPort()), "::1",
                    pki.settings("client"));
                 SecurityInfo info = client.querySecurity(TokenAccess.QUERY)) {
                assertEquals("spiffe://test/server", info.peerApplicationToken().name());
            }
            within(server);
        }
    }

    @Test
    public void nameMismatchFailsAndTheListenerKeepsAccepting() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            Future<Exception> first = onThread(() -> {
                try (SecureSocket s = listener.accept()) {
                    return null;
                } catch (SecureSocketException e) {
                    return e;
                }
            });
            try (SecureSocket client = client(pki.settings("client"), "db.corp")) {
                SecureSocketException e = fails(SecureSocketError.NAME_MISMATCH, () -> client.connect(address(listener)));
                assertTrue(e.getMessage().contains("db.corp"));
                assertEquals(13, e.errno());
                assertEquals("SSX_E_NAME_MISMATCH", e.codeName());
            }
            within(first);
            Future<Void> server = echoOnce(listener);
            try (SecureSocket good = SecureSocket.connect(address(listener), "server.test", pki.settings("client"))) {
                good.shutdownOutput();
                assertEquals(-1, good.getInputStream().read());
            }
            within(server);
        }
    }

    @Test
    public void serverFromAnotherCaIsUntrusted() throws Exception {
        try (TestPki other = new TestPki("another CA"); SecureServerSocket listener = listener(other.settings("server"))) {
            Future<Exception> server = onThread(() -> {
                try (SecureSocket s = listener.accept()) {
                    return null;
                } catch (SecureSocketException e) {
                    return e;
                }
            });
            try (SecureSocket client = client(pki.settings("client"), "server.test")) {
                fails(SecureSocketError.PEER_UNTRUSTED, () -> client.connect(address(listener)));
            }
            assertNotNull(within(server));
        }
    }

    @Test
    public void connectWithoutTargetNameFailsClosed() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server")); SecureSocket client = client(pki.settings("client"), null)) {
            fails(SecureSocketError.NO_TARGET_NAME, () -> client.connect(address(listener)));
        }
    }

    @Test
    public void deletedTargetNameNoLongerApplies() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server")); SecureSocket client = client(pki.settings("client"), "server.test")) {
            client.deletePeerTargetName(null);
            fails(SecureSocketError.NOT_FOUND, () -> client.deletePeerTargetName(null));
            client.setPeerTargetName("spiffe://test/server", new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 0));
            fails(SecureSocketError.NO_TARGET_NAME, () -> client.connect(address(listener)));
        }
    }

    @Test
    public void connectionRefusedCarriesTheErrno() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        try (SecureSocket client = client(pki.settings("client"), "server.test")) {
            SecureSocketException e = fails(SecureSocketError.CONNECT,
                    () -> client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            assertEquals(111, e.errno());
        }
    }

    @Test
    public void silentServerHitsTheHandshakeDeadline() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             SecureSocket client = client(pki.settings("client").handshakeTimeout(Duration.ofMillis(300)), "server.test")) {
            long start = System.nanoTime();
            fails(SecureSocketError.TIMEOUT, () -> client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort())));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue("took " + ms + " ms", ms >= 250 && ms < 10_000);
        }
    }

    @Test
    public void settingsErrors() throws Exception {
        try (SecureSocket s = new SecureSocket()) {
            fails(SecureSocketError.NOT_SUPPORTED, () -> s.setSocketSecurity(pki.settings("client").protocol(SecuritySettings.Protocol.IPSEC)));
            fails(SecureSocketError.CREDENTIALS, () -> s.setSocketSecurity(pki.settings("client").privateKeyFile(pki.key("server"))));
            s.setSocketSecurity(pki.settings("client"));
            fails(SecureSocketError.ALREADY_SET, () -> s.setSocketSecurity(pki.settings("client")));
            fails(SecureSocketError.INVALID_ARGUMENT, () -> s.setPeerTargetName(""));
            // Text crosses JNI as UTF-8, not "modified UTF-8": ssx received the 4 bytes of U+1F600
            // (its message escapes them; modified UTF-8 would have been ED A0 BD ED B8 80).
            SecureSocketException bad = fails(SecureSocketError.INVALID_ARGUMENT, () -> s.setPeerTargetName("db-\uD83D\uDE00 .corp"));
            assertTrue(bad.getMessage(), bad.getMessage().contains("'db-\\xF0\\x9F\\x98\\x80 .corp'"));
            // A NUL would end the string early in C: refused before it gets there.
            assertThrows(IllegalArgumentException.class, () -> s.setPeerTargetName("server.test\0.evil"));
            fails(SecureSocketError.NOT_CONNECTED, () -> s.querySecurity());
            fails(SecureSocketError.NOT_CONNECTED, () -> s.impersonatePeer());
        }
        try (SecureSocket s = new SecureSocket()) {
            fails(SecureSocketError.NO_SECURITY, () -> s.setPeerTargetName("server.test"));
            fails(SecureSocketError.NO_SECURITY, () -> s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)));
        }
        assertThrows(IllegalArgumentException.class, () -> new SecuritySettings().applicationProtocol("h2,http/1.1"));
        assertThrows(IllegalArgumentException.class, () -> new SecuritySettings().handshakeTimeout(Duration.ZERO));
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            // The listener is a server socket: no target names.
            assertTrue(listener.getLocalPort() > 0);
        }
    }

    @Test
    public void acceptTimesOutAndCloseWakesABlockedAccept() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            listener.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, listener::accept);
        }
        SecureServerSocket listener = listener(pki.settings("server"));
        Future<Exception> blocked = onThread(() -> {
            try {
                listener.accept().close();
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(100);
        listener.close();
        Exception e = within(blocked);
        assertTrue(String.valueOf(e), e instanceof SocketException);
        assertTrue(listener.isClosed());
        assertThrows(SocketException.class, listener::accept);
    }
}
