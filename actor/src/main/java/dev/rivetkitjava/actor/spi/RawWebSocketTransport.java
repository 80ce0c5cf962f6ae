package dev.rivetkitjava.actor.spi;

import dev.rivetkitjava.actor.RawWebSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A raw WebSocket as a transport carries it to an actor (the server's socket, a cluster's forwarded
 * one): it keeps the listeners the actor puts on it and hands them what the client sends. Listeners
 * may be added from any thread while frames are handed out.
 */
public abstract class RawWebSocketTransport implements RawWebSocket {
    private final List<Consumer<String>> textListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<byte[]>> binaryListeners = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<Integer, String>> closeListeners = new CopyOnWriteArrayList<>();

    @Override
    public final void onText(Consumer<String> listener) {
        textListeners.add(listener);
    }

    @Override
    public final void onBinary(Consumer<byte[]> listener) {
        binaryListeners.add(listener);
    }

    @Override
    public final void onClose(BiConsumer<Integer, String> listener) {
        closeListeners.add(listener);
    }

    /** Hands the client's text frame to the listeners. */
    protected final void receivedText(String text) {
        textListeners.forEach(l -> l.accept(text));
    }

    /** Hands the client's binary frame to the listeners. */
    protected final void receivedBinary(byte[] bytes) {
        binaryListeners.forEach(l -> l.accept(bytes));
    }

    /** Tells the listeners the socket closed: the last thing they get. */
    protected final void closed(int code, String reason) {
        closeListeners.forEach(l -> l.accept(code, reason));
    }
}
