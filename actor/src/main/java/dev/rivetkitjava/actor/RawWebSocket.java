package dev.rivetkitjava.actor;

import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A raw WebSocket handed to an actor's {@code onWebSocket} (RivetKit's {@code
 * handle.webSocket(path)}). Listeners run holding the actor's turn, like actions; the socket keeps
 * the actor awake while open.
 */
public interface RawWebSocket {

    /** The path below {@code /websocket}, with its query string. */
    String path();

    void send(String text);

    void send(byte[] bytes);

    void close(int code, String reason);

    void onText(Consumer<String> listener);

    void onBinary(Consumer<byte[]> listener);

    void onClose(BiConsumer<Integer, String> listener);
}
