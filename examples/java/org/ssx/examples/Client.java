package org.ssx.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.ssx.SecureSocket;
import org.ssx.SecureSocketException;
import org.ssx.SecurityInfo;
import org.ssx.SecuritySettings;
import org.ssx.TokenAccess;

/**
 * The ssx Java client example (mirrors examples/c/client.c).
 *
 * <p>States the security it needs, names the server it expects, connects, sends a message, reads
 * the echo and prints what was negotiated and who the server proved to be.
 *
 * <pre>
 *   SSX_POLICY=client.toml java -cp ssx.jar:ssx-examples.jar org.ssx.examples.Client HOST PORT TARGET_NAME [MESSAGE]
 * </pre>
 */
public final class Client {
    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: Client HOST PORT TARGET_NAME [MESSAGE]");
            System.exit(2);
        }
        String message = args.length > 3 ? args[3] : "hello from Java";
        InetAddress address = InetAddress.getByName(args[0]);
        try {
            // 1. What this socket needs: TLS with encryption; credentials from the policy (SSX_POLICY).
            try (SecureSocket socket = new SecureSocket(address.getAddress().length == 16
                    ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET)) {
                socket.setSocketSecurity(new SecuritySettings().flag(SecuritySettings.Flag.GUARANTEE_ENCRYPTION));

                // 2. Who the server must prove to be (DNS name, IP, spiffe://...), for any peer address.
                socket.setPeerTargetName(args[2]);

                // 3. Connect: returns only once TLS is up and the server proved the target name.
                socket.connect(new InetSocketAddress(address, Integer.parseInt(args[1])));

                // 4. Send, end our side (the server then sees the end after every byte), read the echo.
                socket.getOutputStream().write(message.getBytes(StandardCharsets.UTF_8));
                socket.shutdownOutput();
                System.out.println("sent: " + message);
                System.out.println("received: " + new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8));

                // 5. What was negotiated, and who the server is.
                try (SecurityInfo info = socket.querySecurity(TokenAccess.QUERY)) {
                    System.out.println("secured: " + (info.isSecured() ? "yes" : "no") + ", encrypted: " + (info.isEncrypted() ? "yes" : "no"));
                    System.out.println("tls: " + Server.tlsVersionName(info.tlsVersion()) + ", " + info.cipherSuite() + ", "
                            + (info.isResumed() ? "resumed" : "new session"));
                    System.out.println("peer: " + info.peerApplicationToken().name());
                    System.out.println("sha256: " + info.peerApplicationToken().fingerprint());
                }
            }
        } catch (SecureSocketException e) {
            System.err.println("client: " + e.getMessage() + " (" + e.codeName() + ")");
            System.exit(1);
        }
    }
}
