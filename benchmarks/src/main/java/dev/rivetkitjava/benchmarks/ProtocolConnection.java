package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code /connect} WebSocket speaking RivetKit's client protocol through the {@code protocol} module, as the
 * official client does it: subprotocols {@code rivet} and {@code rivet_encoding.*}, wait for {@code Init}, then
 * {@code ActionRequest}s numbered from 0 and {@code SubscriptionRequest}s. Replies carry the time their frame
 * was complete, so a latency does not include the wake-up of whoever waits for it.
 */
final class ProtocolConnection implements WebSocket.Listener {
    /** Receives events on the WebSocket's reading thread, one at a time per connection. */
    interface EventSink {
        void onEvent(ToClient.Event event, long receivedNanos);
    }

    /** An action's output and when its reply frame was complete. */
    record Reply(JsonNode output, long receivedNanos) {
    }

    /** An {@code Error} frame answering an action. */
    static final class RemoteError extends RuntimeException {
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
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final StringBuilder partialText = new StringBuilder();
    private CompletableFuture<?> sendTail = CompletableFuture.completedFuture(null); // guarded by this
    private volatile WebSocket socket;
    private volatile ToClient.Error connectionError;

    private ProtocolConnection(Encoding encoding, EventSink events) {
        this.encoding = encoding;
        this.events = events;
    }

    /**
     * Opens {@code /connect} to the counter-like actor {@code name}/{@code key} through the query gateway
     * (getOrCreate), as {@code client.getOrCreate(key).connect()} does. Completes once the socket is open; wait
     * for {@link #init()} before counting it connected.
     */
    static CompletableFuture<ProtocolConnection> open(HttpClient http, String endpoint, String name, String key,
            Encoding encoding, EventSink events) {
        return open(http, endpoint, name, key, encoding, events, null);
    }

    /**
     * As {@link #open(HttpClient, String, String, String, Encoding, EventSink)}, with connection params (null for
     * none) sent as the official client sends them: subprotocol {@code rivet_conn_params.<encodeURIComponent(JSON)>}.
     */
    static CompletableFuture<ProtocolConnection> open(HttpClient http, String endpoint, String name, String key,
            Encoding encoding, EventSink events, JsonNode params) {
        ProtocolConnection connection = new ProtocolConnection(encoding, events == null ? (e, t) -> { } : events);
        String ws = endpoint.replaceFirst("^http", "ws");
        URI uri = URI.create(ws + "/gateway/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20")
                + "/connect?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-key="
                + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&rvt-crash-policy=sleep");
        String[] more = params == null ? new String[] {"rivet_encoding." + encoding.wireName()}
                : new String[] {"rivet_encoding." + encoding.wireName(), "rivet_conn_params." + encodeUriComponent(
                        params.toString())};
        return http.newWebSocketBuilder()
                .subprotocols("rivet", more)
                .connectTimeout(Duration.ofSeconds(30))
                .buildAsync(uri, connection)
                .thenApply(s -> {
                    connection.socket = s;
                    return connection;
                });
    }

    /** JavaScript's {@code encodeURIComponent}: everything but {@code A-Z a-z 0-9 - _ . ! ~ * ' ( )} escaped. */
    static String encodeUriComponent(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%21", "!")
                .replace("%27", "'").replace("%28", "(").replace("%29", ")").replace("%7E", "~");
    }

    /** Completes with the server's {@code Init}, or fails if the connection fails first. */
    CompletableFuture<ToClient.Init> init() {
        return init;
    }

    /** Completes with "code reason" (or "error: …") once the socket has closed. */
    CompletableFuture<String> closed() {
        return closed;
    }

    boolean isOpen() {
        return !closed.isDone();
    }

    /** Sends an {@code ActionRequest}; completes with its reply, or fails with a {@link RemoteError}. */
    CompletableFuture<Reply> action(String name, JsonNode... args) {
        ArrayNode array = NODES.arrayNode();
        for (JsonNode arg : args) {
            array.add(arg);
        }
        long id = nextId.getAndIncrement();
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(id, reply);
        send(ClientProtocol.encode(encoding, new ToServer.ActionRequest(id, name, array))).whenComplete((s, failure) -> {
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

    CompletableFuture<Reply> increment(int amount) {
        return action("increment", NODES.numberNode(amount));
    }

    CompletableFuture<?> subscribe(String event) {
        return send(ClientProtocol.encode(encoding, new ToServer.SubscriptionRequest(event, true)));
    }

    /** Actions sent and not yet answered. */
    int inFlight() {
        return pending.size();
    }

    /** Asks the server to close; the socket is dropped if it has not closed within a second. */
    CompletableFuture<String> close() {
        WebSocket s = socket;
        if (s != null && isOpen()) {
            synchronized (this) {
                sendTail = sendTail.exceptionally(x -> null).thenCompose(x -> s.sendClose(WebSocket.NORMAL_CLOSURE, "done"));
            }
            closed.completeOnTimeout("timed out", 1, java.util.concurrent.TimeUnit.SECONDS)
                    .whenComplete((r, x) -> s.abort());
        }
        return closed;
    }

    /** Drops the TCP connection at once. */
    void abort() {
        WebSocket s = socket;
        if (s != null) {
            s.abort();
        }
        closed.complete("aborted");
    }

    /** Frames go out one at a time (java.net.http allows one outstanding send), in call order. */
    private CompletableFuture<?> send(byte[] frame) {
        WebSocket s = socket;
        synchronized (this) {
            sendTail = sendTail.exceptionally(x -> null).thenCompose(x -> encoding.binary()
                    ? s.sendBinary(ByteBuffer.wrap(frame), true)
                    : s.sendText(new String(frame, StandardCharsets.UTF_8), true));
            return sendTail;
        }
    }

    // ---------------------------------------------------------------- WebSocket.Listener

    @Override
    public void onOpen(WebSocket webSocket) {
        socket = webSocket;
        webSocket.request(Long.MAX_VALUE); // the tool handles every frame as it comes: no flow control needed
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        if (last && partial.size() == 0) {
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            handle(bytes, System.nanoTime());
            return null;
        }
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        partial.writeBytes(chunk);
        if (last) {
            byte[] bytes = partial.toByteArray();
            partial.reset();
            handle(bytes, System.nanoTime());
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partialText.append(data);
        if (last) {
            byte[] bytes = partialText.toString().getBytes(StandardCharsets.UTF_8);
            partialText.setLength(0);
            handle(bytes, System.nanoTime());
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        ToClient.Error error = connectionError;
        String why = statusCode + " " + reason + (error == null ? "" : " (" + error.message() + ")");
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
