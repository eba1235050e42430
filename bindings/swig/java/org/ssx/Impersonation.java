package org.ssx;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * An impersonation of a connection's peer by the current thread, from
 * {@link SecureSocket#impersonatePeer()}; {@link #close()} reverts it. Use try-with-resources.
 *
 * <p>ssx impersonates per thread: only the thread that called {@code impersonatePeer()} acts as the
 * peer, and only it can revert. Work handed to other threads (executors, {@code CompletableFuture}
 * stages, parallel streams) does <em>not</em> run as the peer; do the work that must run as the peer
 * on this thread, inside the try block. Do not use it from virtual threads (Java 21+): they move
 * between carrier threads. Closing on another thread, or out of nesting order, throws
 * {@link IllegalStateException} and leaves the impersonation in place.
 */
public final class Impersonation implements AutoCloseable {
    private static final ThreadLocal<Deque<Impersonation>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final Thread owner = Thread.currentThread();
    private final Descriptor descriptor;
    private boolean closed;

    private Impersonation(Descriptor descriptor) {
        this.descriptor = descriptor;
    }

    static Impersonation begin(Descriptor descriptor) throws SecureSocketException {
        descriptor.impersonate();
        Impersonation i = new Impersonation(descriptor);
        STACK.get().push(i);
        return i;
    }

    /** Whether the current thread impersonates through this binding. */
    public static boolean isActive() {
        return !STACK.get().isEmpty();
    }

    /**
     * Reverts (ssx_revert_impersonation). Idempotent on the owning thread.
     *
     * @throws IllegalStateException called on another thread, or not the innermost impersonation
     * @throws SecureSocketException restoring the thread's credentials failed ({@link SecureSocketError#OS_CREDENTIALS});
     *     the thread still partly acts as the peer and the process should be terminated
     */
    @Override
    public void close() throws SecureSocketException {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an impersonation can only be reverted on the thread that started it (" + owner.getName() + ")");
        }
        if (closed) return;
        if (STACK.get().peek() != this) {
            throw new IllegalStateException("revert impersonations innermost first");
        }
        SsxNative.ssx_revert_impersonation();
        STACK.get().pop();
        closed = true;
        descriptor.release();
    }
}
