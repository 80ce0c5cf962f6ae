package dev.rivetkitjava.actor;

/** Undoes a listener's registration ({@link ActorConnection#on}); closing it twice does nothing. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
