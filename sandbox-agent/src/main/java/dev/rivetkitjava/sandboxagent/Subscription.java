package dev.rivetkitjava.sandboxagent;

/**
 * Undoes a listener's registration ({@code onEvent}, {@code onError}, …); closing it twice does
 * nothing.
 */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
