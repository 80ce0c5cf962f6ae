package dev.rivetkitjava.client;

/**
 * Undoes a registration ({@code on}, {@code onStatus}, {@code onError}); closing it twice does
 * nothing.
 */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
