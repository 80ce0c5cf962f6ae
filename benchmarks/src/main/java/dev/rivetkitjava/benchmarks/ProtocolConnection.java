package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.MessageListener;
import dev.rivetkitjava.protocol.OrderedSender;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.Subprotocols;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One {@code /connect} WebSocket speaking RivetKit's client protocol through the {@code protocol}
 * module, as the official client does it: subprotocols {@code rivet} and {@code rivet_encoding.*},
 * wait for {@code Init}, then {@code ActionRequest}s numbered from 0 and {@code
 * SubscriptionRequest}s. Replies carry the time their frame was complete, so a latency does not
 * include the wake-up of whoever waits for it.
 */
public final class ProtocolConnection extends MessageListener {
    /** Receives events on the WebSocket's reading thread, one at a time per connection. */
    public interface EventSink {
        void onEvent(ToClient.Event event, long receivedNanos);
    }

    /** An action's output and when its reply frame was complete. */
    public record Reply(JsonNode output, long receivedNanos) {}

    /** An {@code Error} frame answering an action. */
    public static final class RemoteError extends RuntimeException {
        RemoteError(ToClient.Error e) {
            super(e.group() + "." + e.code() + ": " + e.message());
        }
    }

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Encoding encoding;
    private final EventSink events;
    private final Map<Long, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final CompletableFuture<ToClient.Init> init = new CompletableFuture<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private volatile @Nullable WebSocket socket;
    private volatile @Nullable OrderedSender sender;
    private volatile ToClient.@Nullable Error connectionError;

    private ProtocolConnection(Encoding encoding, EventSink events) {
        this.encoding = encoding;
        this.events = events;
    }

    /**
     * Opens {@code /connect} to the counter-like actor {@code name}/{@code key} through the query
     * gateway (getOrCreate), as {@code client.getOrCreate(key).connect()} does. Completes once the
     * socket is open; wait for {@link #init()} before counting it connected.
     */
    public static CompletableFuture<ProtocolConnection> open(
            HttpClient http,
            String endpoint,
            String name,
            String key,
            Encoding encoding,
            @Nullable EventSink events) {
        return open(http, endpoint, name, key, encoding, events, null);
    }

    /**
     * As {@link #open(HttpClient, String, String, String, Encoding, EventSink)}, with connection
     * params (null for none) sent as the official client sends them: subprotocol {@code
     * rivet_conn_params.<encodeURIComponent(JSON)>}.
     */
    public static CompletableFuture<ProtocolConnection> open(
            HttpClient http,
            String endpoint,
            String name,
            String key,
            Encoding encoding,
            @Nullable EventSink events,
            @Nullable JsonNode params) {
        ProtocolConnection connection =
                new ProtocolConnection(encoding, events == null ? (e, t) -> {} : events);
        URI uri =
                URI.create(
                        GatewayUrl.query(endpoint.replaceFirst("^http", "ws"), name, "/connect")
                                .getOrCreate("default")
                                .key(List.of(key))
                                .build());
        List<String> protocols =
                Subprotocols.builder(encoding)
                        .connParams(params == null ? null : params.toString())
                        .build();
        return http.newWebSocketBuilder()
                .subprotocols(
                        protocols.getFirst(),
                        protocols.subList(1, protocols.size()).toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(30))
                .buildAsync(uri, connection)
                .thenApply(
                        s -> {
                            connection.opened(s);
                            return connection;
                        });
    }

    /** Completes with the server's {@code Init}, or fails if the connection fails first. */
    CompletableFuture<ToClient.Init> init() {
        return init;
    }

    /** The actor's id from the server's {@code Init} (the connection is open, so it came). */
    public String actorId() {
        return init.join().actorId();
    }

    /** Completes with "code reason" (or "error: …") once the socket has closed. */
    public CompletableFuture<String> closed() {
        return closed;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    /**
     * Sends an {@code ActionRequest}; completes with its reply, or fails with a {@link
     * RemoteError}.
     */
    public CompletableFuture<Reply> action(String name, JsonNode... args) {
        ArrayNode array = NODES.arrayNode();
        for (JsonNode arg : args) {
            array.add(arg);
        }
        long id = nextId.getAndIncrement();
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(id, reply);
        send(ClientProtocol.encode(encoding, new ToServer.ActionRequest(id, name, array)))
                .whenComplete(
                        (s, failure) -> {
                            if (failure != null) {
                                CompletableFuture<Reply> p = pending.remove(id);
                                if (p != null) {
                                    p.completeExceptionally(failure);
                                }
                            }
                        });
        if (!isOpen()) {
            failPending("closed: " + closed.getNow("?"));
        }
        return reply;
    }

    public CompletableFuture<Reply> increment(int amount) {
        return action("increment", NODES.numberNode(amount));
    }

    public CompletableFuture<?> subscribe(String event) {
        return send(ClientProtocol.encode(encoding, new ToServer.SubscriptionRequest(event, true)));
    }

    /** Actions sent and not yet answered. */
    int inFlight() {
        return pending.size();
    }

    /** Asks the server to close; the socket is dropped if it has not closed within a second. */
    public CompletableFuture<String> close() {
        WebSocket s = socket;
        OrderedSender out = sender;
        if (s != null && out != null && isOpen()) {
            out.close(WebSocket.NORMAL_CLOSURE, "done");
            closed.completeOnTimeout("timed out", 1, java.util.concurrent.TimeUnit.SECONDS)
                    .whenComplete((r, x) -> s.abort());
        }
        return closed;
    }

    /** Drops the TCP connection at once. */
    public void abort() {
        WebSocket s = socket;
        if (s != null) {
            s.abort();
        }
        closed.complete("aborted");
    }

    /** Frames go out one at a time (java.net.http allows one outstanding send), in call order. */
    private CompletableFuture<?> send(byte[] frame) {
        // Set once the socket is open, before open(...) completes.
        return Objects.requireNonNull(sender, "not open yet").send(frame);
    }

    /**
     * The socket is open (from {@code onOpen}, or once {@code buildAsync} completes: whichever is
     * first).
     */
    private synchronized void opened(WebSocket webSocket) {
        if (sender == null) {
            socket = webSocket;
            sender = new OrderedSender(webSocket, encoding);
        }
    }

    // ---------------------------------------------------------------- WebSocket.Listener

    @Override
    public void onOpen(WebSocket webSocket) {
        opened(webSocket);
        webSocket.request(
                Long.MAX_VALUE); // the tool handles every frame as it comes: no flow control needed
    }

    @Override
    protected void onMessage(WebSocket webSocket, byte[] message, boolean text) {
        handle(message, System.nanoTime());
    }

    /** Every frame was asked for at open. */
    @Override
    protected void next(WebSocket webSocket) {}

    /** A message over the assembler's bound: the connection is dropped. */
    @Override
    protected void onTooLarge(WebSocket webSocket, ProtocolException e) {
        webSocket.abort();
        onError(webSocket, e);
    }

    @Override
    public @Nullable CompletionStage<?> onClose(
            WebSocket webSocket, int statusCode, String reason) {
        ToClient.Error error = connectionError;
        String why =
                statusCode + " " + reason + (error == null ? "" : " (" + error.message() + ")");
        closed.complete(why);
        init.completeExceptionally(new IllegalStateException("closed before Init: " + why));
        failPending("closed: " + why);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete("error: " + error);
        init.completeExceptionally(error);
        failPending("error: " + error);
    }

    private void handle(byte[] frame, long receivedNanos) {
        ToClient.Event peeked = encoding == Encoding.BARE ? BareEventPeek.event(frame) : null;
        if (peeked != null) {
            events.onEvent(peeked, receivedNanos);
            return;
        }
        ToClient message = ClientProtocol.decodeToClient(encoding, frame);
        switch (message) {
            case ToClient.Event event -> events.onEvent(event, receivedNanos);
            case ToClient.ActionResponse response -> {
                CompletableFuture<Reply> reply = pending.remove(response.id());
                if (reply != null) {
                    reply.complete(new Reply(response.output(), receivedNanos));
                }
            }
            case ToClient.Init i -> init.complete(i);
            case ToClient.Error error -> {
                if (error.actionId() != null) {
                    CompletableFuture<Reply> reply = pending.remove(error.actionId());
                    if (reply != null) {
                        reply.completeExceptionally(new RemoteError(error));
                    }
                } else {
                    connectionError = error;
                    init.completeExceptionally(new RemoteError(error));
                }
            }
        }
    }

    private void failPending(String why) {
        for (Long id : pending.keySet()) {
            CompletableFuture<Reply> reply = pending.remove(id);
            if (reply != null) {
                reply.completeExceptionally(new IllegalStateException(why));
            }
        }
    }
}
