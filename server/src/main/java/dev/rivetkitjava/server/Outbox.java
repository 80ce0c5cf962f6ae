package dev.rivetkitjava.server;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.jspecify.annotations.Nullable;

/**
 * One connection's outbound frames, in order, written by one writer at a time. The writer hands
 * Jetty every frame queued so far in batch mode (copied into one buffer) but the last, which it
 * sends unbatched: Jetty then writes them all in one flusher cycle, so frames that pile up while
 * the previous write is under way leave in one write instead of one write each, and a lone frame
 * costs one cycle, not a batched send plus a flush. Nothing waits for more frames to come
 * (TCP_NODELAY stays on), so an idle connection's frame leaves at once. Bytes count from queueing
 * until their flush completes; {@link #offer} refuses past the budget, so a client that does not
 * read costs at most the budget, never an unbounded heap.
 */
final class Outbox {
    /**
     * A frame's payload, or null for an action that must run after every frame queued before it.
     */
    private record Entry(byte @Nullable [] payload, @Nullable Runnable then) {}

    private final CoreSession session;
    private final byte opCode;
    private final Executor executor;
    private final long budget;
    private final Queue<Entry> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicBoolean writing = new AtomicBoolean();

    /**
     * {@code opCode}: every data frame of a connection has the same one (text for JSON, binary
     * otherwise).
     */
    Outbox(CoreSession session, byte opCode, Executor executor, long budget) {
        this.session = session;
        this.opCode = opCode;
        this.executor = executor;
        this.budget = budget;
    }

    /**
     * Queues a frame; {@code then} (or null) runs once it is written or has failed. Returns false,
     * queueing nothing, if the frame would take the connection past its budget.
     *
     * @param writeHere whether the calling thread may do the write when none is under way (a reply:
     *     no hop to another thread); a broadcast passes false, or it would write to its viewers one
     *     by one itself, one write each, instead of leaving each viewer's writer to batch them
     */
    boolean offer(byte[] payload, @Nullable Runnable then, boolean writeHere) {
        if (pendingBytes.addAndGet(payload.length) > budget) {
            pendingBytes.addAndGet(-payload.length);
            return false;
        }
        queue.add(new Entry(payload, then));
        if (writeHere && writing.compareAndSet(false, true)) {
            write();
        } else {
            startWriter();
        }
        return true;
    }

    /**
     * Runs {@code action} once every frame queued before it has been written (a close that must
     * follow them).
     */
    void afterQueued(Runnable action) {
        queue.add(new Entry(null, action));
        startWriter();
    }

    /** Bytes queued or being written. */
    long pendingBytes() {
        return pendingBytes.get();
    }

    private void startWriter() {
        if (writing.compareAndSet(false, true)) {
            try {
                executor.execute(this::write);
            } catch (RejectedExecutionException e) {
                writing.set(false); // the server has stopped; its sockets are closed
            }
        }
    }

    private void write() {
        long bytes = 0;
        List<Runnable> after = new ArrayList<>(1);
        Frame last = null; // held back: it goes unbatched, which makes Jetty write it and the batch
        // before it
        for (Entry entry; (entry = queue.poll()) != null; ) {
            if (entry.payload() != null) {
                if (last != null) {
                    session.sendFrame(last, Callback.NOOP, true);
                }
                last = new Frame(opCode, ByteBuffer.wrap(entry.payload()));
                bytes += entry.payload().length;
            }
            if (entry.then() != null) {
                after.add(entry.then());
            }
            if (entry.payload() == null) {
                break; // what was queued after this action goes after it has run
            }
        }
        long written = bytes;
        Callback done =
                Callback.from(() -> written(written, after), failure -> written(written, after));
        // One flusher cycle: a batched frame and a flush would take two (the common case is a
        // single frame).
        if (last != null) {
            session.sendFrame(last, done, false);
        } else {
            session.flush(done);
        }
    }

    private void written(long bytes, List<Runnable> after) {
        pendingBytes.addAndGet(-bytes);
        after.forEach(Runnable::run);
        writing.set(false);
        if (!queue.isEmpty()) {
            startWriter();
        }
    }
}
