package dev.rivetkitjava.sandboxagent;

/** A registered listener; {@link #close()} is {@link #unsubscribe()}. */
public interface Subscription extends AutoCloseable {

    /** Stops delivery to the listener. Idempotent. */
    void unsubscribe();

    @Override
    default void close() {
        unsubscribe();
    }
}
