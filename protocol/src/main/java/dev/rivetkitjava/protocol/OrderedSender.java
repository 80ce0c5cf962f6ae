package dev.rivetkitjava.protocol;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Sends encoded messages over one java.net.http {@link WebSocket} in call order. java.net.http
 * allows one outstanding {@code sendText}/{@code sendBinary} at a time, so each send waits for the
 * one before it (a failed one does not stop those after it); the close is queued the same way.
 * Binary encodings go in binary frames, JSON in text frames. Thread-safe: the order is that of the
 * calls.
 */
public final class OrderedSender {
    private final WebSocket socket;
    private final boolean binary;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null); // guarded by this

    public OrderedSender(WebSocket socket, Encoding encoding) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.binary = encoding.binary();
    }

    /**
     * Queues one whole message (as {@link ClientProtocol#encode} made it); completes once it is
     * sent.
     */
    public synchronized CompletableFuture<WebSocket> send(byte[] message) {
        return queue(
                () ->
                        binary
                                ? socket.sendBinary(ByteBuffer.wrap(message), true)
                                : socket.sendText(
                                        new String(message, StandardCharsets.UTF_8), true));
    }

    /** Queues the close frame behind what is already queued; completes once it is sent. */
    public synchronized CompletableFuture<WebSocket> close(int code, String reason) {
        return queue(() -> socket.sendClose(code, reason));
    }

    public WebSocket socket() {
        return socket;
    }

    private CompletableFuture<WebSocket> queue(
            java.util.function.Supplier<CompletableFuture<WebSocket>> send) {
        CompletableFuture<WebSocket> sent =
                tail.handle((v, e) -> null).thenCompose(v -> send.get());
        tail = sent;
        return sent;
    }
}
