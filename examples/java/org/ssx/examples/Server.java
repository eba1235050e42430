package org.ssx.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.ssx.Impersonation;
import org.ssx.PeerToken;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;
import org.ssx.SecureSocketException;
import org.ssx.SecurityInfo;
import org.ssx.TokenAccess;

/**
 * The ssx Java server example (mirrors examples/c/server.c).
 *
 * <p>Listens on 127.0.0.1:PORT, accepts one secured connection, asks what was negotiated and who the
 * client is, impersonates the client and reverts, then echoes everything until the client's end.
 *
 * <p>Credentials come from the administrator's policy:
 * {@code SSX_POLICY=server.toml java -cp ssx.jar:ssx-examples.jar org.ssx.examples.Server 4433}
 * (make a development one with: ssx pki init pki && ssx pki issue pki server --dns server.example)
 */
public final class Server {
    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 4433;
        try {
            // 1. Security before bind (the constructor does it in that order): accepted sockets inherit it.
            try (SecureServerSocket listener = new SecureServerSocket(null, new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16)) {
                System.out.println("listening on 127.0.0.1:" + listener.getLocalPort());

                // 2. Accept: TCP accept plus the TLS handshake, bounded by the handshake deadline.
                try (SecureSocket client = listener.accept()) {
                    // 3. Who is it, and how are we talking? (Query access: we want to read the peer's token.)
                    try (SecurityInfo info = client.querySecurity(TokenAccess.QUERY)) {
                        System.out.println("peer: " + info.peerApplicationToken().name());
                        System.out.println("tls: " + tlsVersionName(info.tlsVersion()) + ", " + info.cipherSuite() + ", "
                                + (info.isResumed() ? "resumed" : "new session"));
                    }

                    // 4. Act as the client on this thread, then be ourselves again.
                    try (Impersonation as = client.impersonatePeer(); PeerToken token = PeerToken.threadToken()) {
                        System.out.println("impersonating: " + token.name());
                    }
                    boolean stillImpersonating;
                    try (PeerToken after = PeerToken.threadToken()) { // null: the thread impersonates nobody
                        stillImpersonating = after != null;
                    }
                    System.out.println("reverted: " + (stillImpersonating ? "STILL IMPERSONATING" : "the thread is itself again"));

                    // 5. Echo until the client's end, then close our side (close_notify).
                    InputStream in = client.getInputStream();
                    OutputStream out = client.getOutputStream();
                    byte[] buffer = new byte[4096];
                    long total = 0;
                    for (int n; (n = in.read(buffer)) > 0;) {
                        out.write(buffer, 0, n);
                        total += n;
                    }
                    System.out.println("echoed " + total + " bytes");
                    if (stillImpersonating) System.exit(1);
                }
            }
        } catch (SecureSocketException e) {
            // Every ssx failure comes with a message that says what to do.
            System.err.println("server: " + e.getMessage() + " (" + e.codeName() + ")");
            System.exit(1);
        }
    }

    static String tlsVersionName(int v) {
        return v == 0x0304 ? "TLS 1.3" : v == 0x0303 ? "TLS 1.2" : "none";
    }
}
