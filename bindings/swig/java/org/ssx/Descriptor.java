package org.ssx;

import java.net.SocketException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A socket descriptor owned by the binding, closed with ssx_close() exactly once: by
 * {@link #close()}, or by the {@link java.lang.ref.Cleaner} when its socket object is dropped.
 *
 * <p>Every native call runs under the read lock; closing takes the write lock, so the descriptor
 * is never closed (and its number never reused) under a running call. A call blocked on the socket
 * is woken first (its receiving side is shut). Impersonations hold the descriptor open until they
 * are reverted.
 */
final class Descriptor implements Runnable {
    interface Call<T> {
        T run(int fd) throws SecureSocketException;
    }

    private final int fd;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closing;
    private boolean closed;   // guarded by the write lock
    private int holds;        // impersonations in progress; guarded by this

    Descriptor(int fd) {
        this.fd = fd;
    }

    <T> T use(Call<T> call) throws SocketException, SecureSocketException {
        lock.readLock().lock();
        active.incrementAndGet();
        try {
            if (closing) throw new SocketException("Socket is closed");
            return call.run(fd);
        } catch (SecureSocketException e) {
            if (closing) {
                SocketException closed = new SocketException("Socket closed");
                closed.initCause(e);
                throw closed;
            }
            throw e;
        } finally {
            active.decrementAndGet();
            lock.readLock().unlock();
        }
    }

    boolean isClosed() {
        return closing;
    }

    void impersonate() throws SecureSocketException {
        synchronized (this) {
            if (closing) throw new SecureSocketException(SsxNativeConstants.SSX_E_BAD_DESCRIPTOR, 9, "the socket is closed");
            SsxNative.ssx_swig_impersonate(fd);
            holds++;
        }
    }

    void release() {
        boolean closeNow;
        synchronized (this) {
            closeNow = --holds == 0 && closing;
        }
        if (closeNow) finish();
    }

    /** Closes the descriptor (idempotent); deferred while an impersonation of its peer is in progress. */
    void close() {
        closing = true;
        if (active.get() > 0) SsxNative.ssx_swig_wake(fd);
        synchronized (this) {
            if (holds > 0) return;
        }
        finish();
    }

    private void finish() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            try {
                SsxNative.ssx_close(fd); // close_notify, a bounded drain, close, forget the state
            } catch (SecureSocketException ignored) {
                // The descriptor is closed in every case; nothing is left to clean up.
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The Cleaner's action for a dropped socket object. */
    @Override
    public void run() {
        close();
    }
}
