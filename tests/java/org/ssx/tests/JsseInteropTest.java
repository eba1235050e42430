package org.ssx.tests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ssx.tests.Peers.*;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.concurrent.Future;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.After;
import org.junit.Test;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;
import org.ssx.SecurityInfo;
import org.ssx.TokenAccess;

/** ssx against Java's own TLS (JSSE), both ways, with mutual authentication. */
public class JsseInteropTest {
    private final TestPki pki;

    public JsseInteropTest() throws Exception {
        pki = new TestPki();
    }

    @After
    public void removePki() throws Exception {
        pki.close();
    }

    // A JSSE context presenting NAME (PEM chain + PKCS#8 key) and trusting the test CA only.
    private SSLContext context(String name) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        Collection<? extends Certificate> chain;
        try (InputStream in = Files.newInputStream(pki.cert(name))) {
            chain = cf.generateCertificates(in);
        }
        Certificate ca;
        try (InputStream in = Files.newInputStream(pki.ca())) {
            ca = cf.generateCertificate(in);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry(name, privateKey(pki.key(name)), new char[0], chain.toArray(new Certificate[0]));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static PrivateKey privateKey(Path pem) throws Exception {
        String text = Files.readString(pem);
        if (!text.contains("BEGIN PRIVATE KEY")) throw new IllegalStateException(pem + " is not PKCS#8 PEM");
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    @Test
    public void jsseClientWithCertificateAgainstSsxServer() throws Exception {
        try (SecureServerSocket listener = listener(pki.settings("server"))) {
            Future<String> server = onThread(() -> {
                try (SecureSocket s = listener.accept(); SecurityInfo info = s.querySecurity(TokenAccess.QUERY)) {
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                    s.getOutputStream().write(("ssx saw " + info.peerApplicationToken().name() + "\n").getBytes(StandardCharsets.UTF_8));
                    s.shutdownOutput();
                    return line;
                }
            });
            try (SSLSocket tls = (SSLSocket) context("client").getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                tls.setSoTimeout(20_000);
                tls.startHandshake();
                assertEquals("TLSv1.3", tls.getSession().getProtocol());
                tls.getOutputStream().write("hello from JSSE\n".getBytes(StandardCharsets.UTF_8));
                tls.getOutputStream().flush();
                String reply = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.UTF_8)).readLine();
                assertEquals("ssx saw spiffe://test/client", reply);
            }
            assertEquals("hello from JSSE", within(server));
        }
    }

    @Test
    public void ssxClientAgainstJsseServerRequiringClientCertificates() throws Exception {
        try (SSLServerSocket jsse = (SSLServerSocket) context("server").getServerSocketFactory()
                .createServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            jsse.setNeedClientAuth(true);
            Future<String> server = onThread(() -> {
                try (SSLSocket s = (SSLSocket) jsse.accept()) {
                    s.setSoTimeout(20_000);
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                    String peer = s.getSession().getPeerPrincipal().getName();
                    s.getOutputStream().write(("JSSE saw " + peer + "\n").getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                    s.shutdownOutput(); // close_notify
                    while (s.getInputStream().read() >= 0) { /* until ssx's close_notify */ }
                    return line;
                }
            });
            try (SecureSocket client = SecureSocket.connect(address(jsse.getLocalPort()), "server.test", pki.settings("client"));
                 SecurityInfo info = client.querySecurity(TokenAccess.QUERY)) {
                assertTrue(info.isSecured());
                assertEquals("spiffe://test/server", info.peerApplicationToken().name());
                client.getOutputStream().write("hello from ssx\n".getBytes(StandardCharsets.UTF_8));
                BufferedReader r = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                assertEquals("JSSE saw CN=client", r.readLine());
                assertEquals(null, r.readLine()); // JSSE's close_notify
            }
            assertEquals("hello from ssx", within(server));
        }
    }

    private static java.net.InetSocketAddress address(int port) {
        return new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }
}
