package dev.rivetkitjava.actor.spi;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The listeners an actor puts on a raw WebSocket ({@code RawWebSocket.onText} and the others), kept
 * by the transports that carry one: the server's socket, a cluster's forwarded one. Listeners may
 * be added from any thread while frames are handed out.
 */
public final class RawSocketListeners {
    private final List<Consumer<String>> text = new CopyOnWriteArrayList<>();
    private final List<Consumer<byte[]>> binary = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<Integer, String>> close = new CopyOnWriteArrayList<>();

    public void onText(Consumer<String> listener) {
        text.add(listener);
    }

    public void onBinary(Consumer<byte[]> listener) {
        binary.add(listener);
    }

    public void onClose(BiConsumer<Integer, String> listener) {
        close.add(listener);
    }

    public void text(String message) {
        text.forEach(l -> l.accept(message));
    }

    public void binary(byte[] bytes) {
        binary.forEach(l -> l.accept(bytes));
    }

    public void closed(int code, String reason) {
        close.forEach(l -> l.accept(code, reason));
    }
}
