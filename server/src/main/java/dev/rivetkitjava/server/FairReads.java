package dev.rivetkitjava.server;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.jspecify.annotations.Nullable;

/**
 * Keeps what one socket's client sends from holding the server. Jetty reads a socket's frames on a
 * virtual thread, on and on while more arrive, and virtual threads are not preempted: a client that
 * sends without pause (data, pings or pongs) keeps its reading thread on a carrier thread, and as
 * many such clients as carriers (two on a two-core machine) leave every other connection unread. So
 * after {@value #FRAMES_PER_TURN} frames read by one thread, it steps off its carrier for a moment.
 * It parks (for a nanosecond) rather than {@link Thread#yield()}: a yielding virtual thread is
 * queued where its carrier looks first for its next task, and the others still waited (tried).
 *
 * <p>Pings are answered one pong at a time: a client that pings without reading would otherwise
 * queue pongs without bound (RFC 6455 lets a peer answer only the latest ping while a pong is
 * pending).
 *
 * <p>One per socket; Jetty delivers a socket's frames one at a time.
 */
final class FairReads {
    static final int FRAMES_PER_TURN = 64;

    /** The thread that read the last frame: Jetty starts a new one for each run of reads. */
    private @Nullable Thread reader;

    private int frames;
    private final AtomicBoolean pongPending = new AtomicBoolean();
    private volatile long lastReadNanos = System.nanoTime();

    /** Called for each frame read, before it is handled. */
    void frameRead() {
        lastReadNanos = System.nanoTime();
        Thread current = Thread.currentThread();
        if (current != reader) {
            reader = current;
            frames = 0;
        }
        if (++frames >= FRAMES_PER_TURN) {
            frames = 0;
            if (current.isVirtual()) {
                LockSupport.parkNanos(this, 1);
            }
        }
    }

    /** When the last frame was read ({@link System#nanoTime()}), or the socket opened. */
    long lastReadNanos() {
        return lastReadNanos;
    }

    /**
     * A ping read on {@code session} (null before it opened): answered with a pong of its payload
     * (Jetty's copy) unless one is pending.
     */
    void pingRead(@Nullable Session session, ByteBuffer payload) {
        frameRead();
        if (session != null && pongPending.compareAndSet(false, true)) {
            session.sendPong(
                    payload,
                    Callback.from(() -> pongPending.set(false), failed -> pongPending.set(false)));
        }
    }
}
