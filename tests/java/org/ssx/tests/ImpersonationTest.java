package org.ssx.tests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ssx.tests.Peers.*;

import org.junit.Test;
import org.ssx.Impersonation;
import org.ssx.PeerToken;
import org.ssx.SecureSocket;
import org.ssx.SecurityInfo;

/** impersonatePeer: per thread, nested, reverted only by its own thread. */
public class ImpersonationTest extends ConnectedPair {
    public ImpersonationTest() throws Exception {}

    private static String threadPeer() throws Exception {
        try (PeerToken t = PeerToken.threadToken()) {
            return t == null ? null : t.name();
        }
    }

    @Test
    public void impersonatesUntilClosed() throws Exception {
        assertNull(threadPeer());
        try (Impersonation as = server.impersonatePeer()) {
            assertTrue(Impersonation.isActive());
            assertEquals("spiffe://test/client", threadPeer());
            try (SecurityInfo info = server.querySecurity()) {
                assertTrue(info.isImpersonated());
            }
        }
        assertNull(threadPeer());
        assertFalse(Impersonation.isActive());
    }

    @Test
    public void otherThreadsDoNotImpersonateAndCannotRevert() throws Exception {
        Impersonation as = server.impersonatePeer();
        try {
            assertNull(within(onThread(ImpersonationTest::threadPeer)));
            Exception e = within(onThread(() -> {
                try {
                    as.close();
                    return null;
                } catch (Exception x) {
                    return x;
                }
            }));
            assertTrue(String.valueOf(e), e instanceof IllegalStateException);
            assertEquals("spiffe://test/client", threadPeer());
        } finally {
            as.close();
        }
        assertNull(threadPeer());
    }

    @Test
    public void nestedImpersonationsRevertInnermostFirst() throws Exception {
        Impersonation outer = server.impersonatePeer();
        Impersonation inner = client.impersonatePeer();
        assertEquals("spiffe://test/server", threadPeer());
        assertThrows(IllegalStateException.class, outer::close);
        inner.close();
        assertEquals("spiffe://test/client", threadPeer());
        outer.close();
        outer.close(); // idempotent
        assertNull(threadPeer());
    }

    @Test
    public void closingTheSocketWaitsForTheImpersonation() throws Exception {
        try (Impersonation as = server.impersonatePeer()) {
            server.close(); // deferred: the impersonation keeps ssx's descriptor
            assertEquals("spiffe://test/client", threadPeer());
        }
        assertNull(threadPeer());
        assertEquals(-1, client.getInputStream().read()); // the close happened after the revert
    }
}
