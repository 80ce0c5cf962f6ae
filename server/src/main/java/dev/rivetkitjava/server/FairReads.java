package dev.rivetkitjava.server;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>It also tells a client that is gone from a quiet one: the server pings every socket, and one
 * from which nothing came, not even a pong, for a while is dropped ({@link #pingOrDrop}).
 *
 * <p>One per socket; Jetty delivers a socket's frames one at a time.
 */
final class FairReads {
    private static final Logger log = LoggerFactory.getLogger(FairReads.class);

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

    /**
     * Pings the client on {@code session} (null before it opened), or drops the connection if
     * nothing came from it, not even a pong, for {@code silenceNanos}. Browsers and WebSocket
     * libraries answer pings by themselves, so such a client is gone (a laptop closed, a network
     * dropped); TCP alone notices only once its retransmissions give up, some 15 minutes during
     * which its actor would count it connected.
     *
     * @param peer what the socket goes to, for the log
     */
    void pingOrDrop(
            @Nullable Session session,
            long silenceNanos,
            ServerMetrics metrics,
            @Nullable Object peer) {
        if (session == null || !session.isOpen()) {
            return;
        }
        long silent = System.nanoTime() - lastReadNanos;
        if (silent > silenceNanos) {
            log.debug(
                    "dropping a connection to {}: nothing from its client for {} ms",
                    peer,
                    TimeUnit.NANOSECONDS.toMillis(silent));
            metrics.silentClientDropped();
            session.disconnect();
            return;
        }
        session.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
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
