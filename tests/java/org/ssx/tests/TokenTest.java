package org.ssx.tests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ssx.tests.Peers.*;

import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.After;
import org.junit.Test;
import org.ssx.PeerToken;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;
import org.ssx.SecureSocketError;
import org.ssx.SecurityInfo;
import org.ssx.TokenAccess;
import org.ssx.UnixAccount;

/** PeerToken: contents, the mapped account, access rights, lifetime. */
public class TokenTest {
    private final TestPki pki;
    private final PeerToken clientSeenByServer;
    private final PeerToken serverSeenByClient;

    public TokenTest() throws Exception {
        pki = new TestPki();
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            Future<PeerToken> server = onThread(() -> {
                try (SecureSocket s = listener.accept(); SecurityInfo info = s.querySecurity(TokenAccess.ALL_ACCESS)) {
                    return info.peerApplicationToken().duplicate();
                }
            });
            try (SecureSocket c = SecureSocket.connect(address(listener), "server.test", pki.settings("client"));
                 SecurityInfo info = c.querySecurity(TokenAccess.QUERY)) {
                serverSeenByClient = info.peerApplicationToken().duplicate();
            }
            clientSeenByServer = within(server);
        }
    }

    @After
    public void closeAll() throws Exception {
        clientSeenByServer.close();
        serverSeenByClient.close();
        pki.close();
    }

    @Test
    public void tokensOutliveTheirSockets() throws Exception {
        assertEquals("spiffe://test/client", clientSeenByServer.name());
        assertEquals(TokenAccess.ALL_ACCESS, clientSeenByServer.accessMask());
        PeerToken copy = clientSeenByServer.duplicate();
        copy.close();
        assertThrows(IllegalStateException.class, copy::name);
        copy.close();
        assertEquals("PeerToken (closed)", copy.toString());
        assertEquals("spiffe://test/client", clientSeenByServer.name());
    }

    @Test
    public void certificateChainMatchesTheFiles() throws Exception {
        List<X509Certificate> chain = clientSeenByServer.certificateChain();
        X509Certificate expected;
        try (InputStream in = Files.newInputStream(pki.cert("client"))) {
            expected = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        assertArrayEquals(expected.getEncoded(), chain.get(0).getEncoded());
        String sha = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(expected.getEncoded()));
        assertEquals(sha, clientSeenByServer.fingerprint());
        assertTrue(clientSeenByServer.alternativeNames().contains("URI:spiffe://test/client"));
    }

    @Test
    public void mappedAccountComesFromThePolicy() throws Exception {
        UnixAccount account = clientSeenByServer.unixAccount();
        assertEquals("nobody", account.userName());
        assertEquals(65534L, account.userId());
        assertEquals(65534L, account.groupId());
        assertNull(serverSeenByClient.unixAccount());
        assertEquals(null, serverSeenByClient.unixAccount());
    }

    @Test
    public void tokensWithoutQueryAccessRefuseToBeRead() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            Future<Void> server = echoOnce(listener);
            try (SecureSocket c = SecureSocket.connect(address(listener), "server.test", pki.settings("client"));
                 SecurityInfo info = c.querySecurity(TokenAccess.IMPERSONATE)) {
                PeerToken t = info.peerApplicationToken();
                assertEquals(TokenAccess.IMPERSONATE, t.accessMask());
                fails(SecureSocketError.ACCESS_DENIED, t::name);
                assertTrue(t.toString().contains("SSX_E_ACCESS_DENIED"));
                c.shutdownOutput();
            }
            within(server);
        }
    }

    @Test
    public void noThreadTokenOutsideImpersonation() throws Exception {
        assertNull(PeerToken.threadToken());
    }
}
