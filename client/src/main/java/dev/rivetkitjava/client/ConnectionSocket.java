package dev.rivetkitjava.client;

import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.MessageListener;
import dev.rivetkitjava.protocol.OrderedSender;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.ToServer;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One WebSocket of a connection (one attempt): dialled, its messages reassembled ({@link
 * MessageListener}) and handed to its owner whole, frames sent one after another ({@link
 * OrderedSender}), and closed with {@code 1000 Disposed}. How it ended goes to the owner as a
 * {@link ClientError}; the owner ignores callbacks of a socket that is no longer its current one.
 */
final class ConnectionSocket extends MessageListener {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    /** What a socket tells the connection it belongs to. */
    interface Owner {
        /**
         * Whether this is still the socket the connection wants; one that opens too late is closed
         * at once.
         */
        boolean isCurrent(ConnectionSocket socket);

        /** A whole message arrived. */
        void received(ConnectionSocket socket, byte[] message);

        /** The socket closed, failed, or could not open. */
        void ended(ConnectionSocket socket, ClientError error);

        /** A frame is about to be sent (a test's tap sees it). */
        void sending(ToServer message);
    }

    private final Owner owner;
    private final Encoding encoding;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile String url = "?";
    private volatile @Nullable OrderedSender sender;

    /** The connection-level error the server sent on this socket, already reported. */
    private volatile @Nullable RivetError reported;

    ConnectionSocket(Owner owner, Encoding encoding) {
        this.owner = owner;
        this.encoding = encoding;
    }

    /**
     * Opens the WebSocket to {@code url} (http or https), waiting for the handshake; failures go to
     * the owner.
     */
    void dial(HttpClient http, String url, List<String> protocols, Duration connectTimeout)
            throws InterruptedException {
        this.url = Engine.redact(url);
        try {
            http.newWebSocketBuilder()
                    .connectTimeout(connectTimeout)
                    .subprotocols(
                            protocols.getFirst(),
                            protocols.subList(1, protocols.size()).toArray(String[]::new))
                    .buildAsync(Engine.uri(url.replaceFirst("^http", "ws")), this)
                    .get();
        } catch (ExecutionException e) {
            // the ExecutionException of a failed CompletableFuture always carries its cause
            owner.ended(this, openFailure(Objects.requireNonNull(e.getCause())));
        }
    }

    String url() {
        return url;
    }

    @Nullable RivetError reported() {
        return reported;
    }

    /**
     * The server sent {@code error} for the whole connection; its close repeats it and is not
     * reported again.
     */
    void reported(RivetError error) {
        this.reported = error;
    }

    private ClientError openFailure(Throwable cause) {
        if (cause instanceof WebSocketHandshakeException handshake
                && handshake.getResponse() != null) {
            int status = handshake.getResponse().statusCode();
            String message = "WebSocket " + url + " was refused with HTTP " + status;
            return status / 100 == 4 && status != 408 && status != 429
                    ? new Retry.HandshakeRefused(message, cause)
                    : new ClientError(message, cause);
        }
        return new ClientError("WebSocket " + url + " failed: " + Engine.describe(cause), cause);
    }

    // ---------------------------------------------------------------- sending

    /** Queues a frame behind the ones before it; the caller keeps the order of its calls. */
    void send(ToServer message) {
        send(message, ClientProtocol.encode(encoding, message));
    }

    void send(ToServer message, byte[] bytes) {
        owner.sending(message);
        // the owner sends only once connected, which is after onOpen set the sender
        Objects.requireNonNull(sender).send(bytes);
    }

    /**
     * Sends {@code 1000 Disposed} after what is queued, and waits a moment for the server's close.
     */
    void close() {
        OrderedSender out = sender;
        if (out == null) {
            return; // still opening: onOpen closes it
        }
        try {
            out.close(1000, "Disposed")
                    .thenCompose(v -> closed)
                    .get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.socket().abort();
        } catch (ExecutionException | TimeoutException | CancellationException e) {
            out.socket().abort();
        }
    }

    // ---------------------------------------------------------------- WebSocket.Listener

    @Override
    public void onOpen(WebSocket ws) {
        OrderedSender out = new OrderedSender(ws, encoding);
        sender = out;
        if (!owner.isCurrent(this)) {
            out.close(1000, "Disposed");
        }
        ws.request(1);
    }

    @Override
    protected void onMessage(WebSocket ws, byte[] message, boolean text) {
        owner.received(this, message);
    }

    /**
     * A message over the assembler's bound: the socket is dropped, and the connection reconnects.
     */
    @Override
    protected void onTooLarge(WebSocket ws, ProtocolException e) {
        ws.abort();
        closed.complete(null);
        owner.ended(this, new ClientError("WebSocket " + url + " failed: " + e.getMessage(), e));
    }

    @Override
    public @Nullable CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
        closed.complete(null);
        // After a connection-level Error frame, the close only repeats its group and code.
        owner.ended(this, reported != null ? reported : closeError(code, reason));
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        closed.complete(null);
        owner.ended(
                this,
                reported != null
                        ? reported
                        : new ClientError("WebSocket " + url + " failed: " + error, error));
    }

    /**
     * As the JS client: a {@code group.code[#rayId]} reason is a structured error; anything else is
     * not.
     */
    private ClientError closeError(int code, String reason) {
        String text = reason == null ? "" : reason;
        String main = text.contains("#") ? text.substring(0, text.indexOf('#')) : text;
        int dot = main.indexOf('.');
        if (dot > 0 && dot < main.length() - 1 && !main.contains(" ")) {
            return new RivetError(
                    main.substring(0, dot),
                    main.substring(dot + 1),
                    "Connection closed: " + text,
                    null,
                    null);
        }
        return new ClientError(
                "WebSocket " + url + " closed (" + code + (text.isEmpty() ? "" : " " + text) + ")");
    }
}
