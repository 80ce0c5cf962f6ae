package dev.rivetkitjava.actor;

/**
 * Time for the runtime's timers (sleep on idle, schedules); {@link ManualClock} makes them
 * testable.
 */
public interface ActorClock {

    long nowMillis();

    /**
     * Runs {@code task} at {@code epochMillis} (or soon, if that is past); the returned handle
     * cancels it.
     */
    Runnable schedule(long epochMillis, Runnable task);

    /** The wall clock; tasks run on virtual threads. */
    static ActorClock system() {
        return SystemClock.INSTANCE;
    }
}
