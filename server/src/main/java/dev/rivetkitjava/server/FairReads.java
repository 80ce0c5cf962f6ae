package dev.rivetkitjava.server;

import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Makes a socket's reading thread give way to the others now and then. Jetty reads a socket's
 * frames on a virtual thread, on and on while more arrive, and virtual threads are not preempted: a
 * client that sends without pause keeps its reading thread on a carrier thread, and as many such
 * clients as carriers (two on a two-core machine) leave every other connection unread. So after
 * {@value #FRAMES_PER_TURN} frames read by one thread, it steps off its carrier for a moment.
 *
 * <p>It parks (for a nanosecond) rather than {@link Thread#yield()}: a yielding virtual thread goes
 * back into a queue that its carrier, and only it, takes from next, so the others still waited.
 *
 * <p>One per socket; Jetty delivers a socket's frames one at a time.
 */
final class FairReads {
    static final int FRAMES_PER_TURN = 64;

    /** The thread that read the last frame: Jetty starts a new one for each run of reads. */
    private @Nullable Thread reader;

    private int frames;

    /** Called for each frame read, before it is handled. */
    void frameRead() {
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
}
