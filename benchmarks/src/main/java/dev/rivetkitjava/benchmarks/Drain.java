package dev.rivetkitjava.benchmarks;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The end of a measured run: waiting for what was sent to arrive, without waiting out the whole
 * timeout when it stopped arriving (what is still missing then counts as lost).
 */
public final class Drain {
    /** How long nothing may arrive before the rest counts as stalled. */
    private static final long STALL_NANOS = Duration.ofSeconds(5).toNanos();

    private Drain() {}

    /**
     * Waits until {@code allArrived}, or until {@code arrivedSoFar} (a figure that grows with every
     * arrival, e.g. the receivers' counts summed) stood still for 5 s, or {@code atMost}.
     */
    public static void await(BooleanSupplier allArrived, LongSupplier arrivedSoFar, Duration atMost)
            throws InterruptedException {
        long progress = -1;
        long stalledSince = System.nanoTime();
        long giveUp = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < giveUp) {
            if (allArrived.getAsBoolean()) {
                return;
            }
            long arrived = arrivedSoFar.getAsLong();
            if (arrived != progress) {
                progress = arrived;
                stalledSince = System.nanoTime();
            } else if (System.nanoTime() - stalledSince > STALL_NANOS) {
                return;
            }
            Thread.sleep(5);
        }
    }
}
