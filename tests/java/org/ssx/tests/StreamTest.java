package org.ssx.tests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ssx.tests.Peers.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.Future;
import org.junit.Test;
import org.ssx.SecureSocket;
import org.ssx.SecureSocketError;

/** The streams of SecureSocket: readers and writers, large data, ends, timeouts, close. */
public class StreamTest extends ConnectedPair {
    public StreamTest() throws Exception {}

    @Test
    public void readerAndWriterLineByLine() throws Exception {
        Future<Void> echo = onThread(() -> {
            BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter w = new PrintWriter(new OutputStreamWriter(server.getOutputStream(), StandardCharsets.UTF_8), true);
            String line;
            while ((line = r.readLine()) != null) w.println(line.length() + ":" + line);
            server.shutdownOutput();
            return null;
        });
        PrintWriter w = new PrintWriter(new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8), true);
        BufferedReader r = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        w.println("héllo wörld");
        assertEquals("11:héllo wörld", r.readLine());
        client.shutdownOutput();
        within(echo);
        assertEquals(null, r.readLine());
    }

    @Test
    public void largePayloadBothWays() throws Exception {
        byte[] payload = new byte[3 << 20];
        new Random(42).nextBytes(payload);
        Future<Void> echo = onThread(() -> {
            server.getInputStream().transferTo(server.getOutputStream());
            server.shutdownOutput();
            return null;
        });
        Future<Void> writer = onThread(() -> {
            for (int off = 0; off < payload.length; off += 7919) {
                client.getOutputStream().write(payload, off, Math.min(7919, payload.length - off));
            }
            client.shutdownOutput();
            return null;
        });
        byte[] back = readAll(client.getInputStream());
        within(writer);
        within(echo);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertArrayEquals(sha.digest(payload), sha.digest(back));
    }

    @Test
    public void readTimeout() throws Exception {
        client.setSoTimeout(200);
        assertEquals(200, client.getSoTimeout());
        fails(SecureSocketError.TIMEOUT, () -> client.getInputStream().read());
    }

    @Test
    public void writingAfterShutdownFails() throws Exception {
        client.shutdownOutput();
        fails(SecureSocketError.SHUT_DOWN, () -> client.getOutputStream().write(1));
    }

    @Test
    public void closeWakesABlockedReader() throws Exception {
        Future<Exception> reader = onThread(() -> {
            try {
                client.getInputStream().read(new byte[16]);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(100);
        assertFalse(reader.isDone());
        client.close();
        Exception e = within(reader);
        assertTrue(String.valueOf(e), e instanceof SocketException);
        assertTrue(client.isClosed());
        assertThrows(SocketException.class, () -> client.getInputStream().read());
        client.close(); // idempotent
        // The server sees the orderly end (close_notify), not a truncation.
        assertEquals(-1, server.getInputStream().read());
    }

    @Test
    public void streamArgumentsAreChecked() {
        assertThrows(IndexOutOfBoundsException.class, () -> client.getInputStream().read(new byte[4], 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> client.getOutputStream().write(new byte[4], -1, 1));
    }
}
