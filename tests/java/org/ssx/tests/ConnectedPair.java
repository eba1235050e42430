package org.ssx.tests;

import static org.ssx.tests.Peers.*;

import java.util.concurrent.Future;
import org.junit.After;
import org.ssx.SecureServerSocket;
import org.ssx.SecureSocket;

/** A test class's fixture: a fresh development PKI and one secured client/server pair on loopback
 * (the client proved "server.test"), closed after each test. */
public abstract class ConnectedPair {
    protected final TestPki pki;
    protected final SecureServerSocket listener;
    protected final SecureSocket client;
    protected final SecureSocket server;

    protected ConnectedPair() throws Exception {
        pki = new TestPki();
        listener = listener(pki.settings("server"));
        Future<SecureSocket> accept = onThread(listener::accept);
        client = SecureSocket.connect(address(listener), "server.test", pki.settings("client"));
        server = within(accept);
    }

    @After
    public void closeAll() throws Exception {
        client.close();
        server.close();
        listener.close();
        pki.close();
    }
}
