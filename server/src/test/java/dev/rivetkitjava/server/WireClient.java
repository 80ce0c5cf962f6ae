package dev.rivetkitjava.server;

import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.MessageListener;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.Subprotocols;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A raw WebSocket to the server for tests: records every frame (text as String, binary as byte[])
 * and the close. {@link #pause} stops reading (the server's writes then pile up), {@link #resume}
 * reads on. URLs and subprotocols come from the protocol module's {@link GatewayUrl} and {@link
 * Subprotocols}.
 */
final class WireClient extends MessageListener {
    final List<Object> frames = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    private volatile boolean paused;
    private boolean
            waiting; // guarded by this: a frame came in while paused and its successor was not
    // requested
    WebSocket socket;

    /** {@code /connect} to the counter {@code key} (getOrCreate), in JSON. */
    static WireClient connect(RivetServer server, String key) throws Exception {
        return connectTo(server, "counter", key);
    }

    static WireClient connect(RivetServer server, String key, Encoding encoding) throws Exception {
        return connect(server, key, Subprotocols.builder(encoding).build());
    }

    /**
     * {@code /connect} to the counter {@code key} (getOrCreate), offering exactly {@code
     * subprotocols}.
     */
    static WireClient connect(RivetServer server, String key, List<String> subprotocols)
            throws Exception {
        return open(ws(server) + getOrCreate("counter", key, "/connect"), subprotocols);
    }

    /** {@code /connect} to the actor {@code actorName}/{@code key} (getOrCreate), in JSON. */
    static WireClient connectTo(RivetServer server, String actorName, String key) throws Exception {
        return open(
                ws(server) + getOrCreate(actorName, key, "/connect"),
                Subprotocols.builder(Encoding.JSON).build());
    }

    /** A WebSocket to {@code url} offering {@code subprotocols} (none when empty). */
    static WireClient open(String url, List<String> subprotocols) throws Exception {
        return open(HttpClient.newHttpClient().newWebSocketBuilder(), url, subprotocols);
    }

    static WireClient open(WebSocket.Builder builder, String url, List<String> subprotocols)
            throws Exception {
        WireClient client = new WireClient();
        if (!subprotocols.isEmpty()) {
            builder.subprotocols(
                    subprotocols.getFirst(),
                    subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
        }
        client.socket = builder.buildAsync(URI.create(url), client).get();
        return client;
    }

    /**
     * A WebSocket upgrade request to write by hand (java.net.http sets its own {@code Host} and
     * waits for each send): {@code target} (path and query) at {@code host}, offering {@code
     * subprotocols} (none when empty), with an {@code Origin} unless it is null.
     */
    static String upgradeRequest(
            String target, String host, List<String> subprotocols, @Nullable String origin) {
        return "GET "
                + target
                + " HTTP/1.1\r\nHost: "
                + host
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (subprotocols.isEmpty()
                        ? ""
                        : "Sec-WebSocket-Protocol: " + String.join(", ", subprotocols) + "\r\n")
                + (origin == null ? "" : "Origin: " + origin + "\r\n")
                + "\r\n";
    }

    /** The server's endpoint as a WebSocket URL. */
    static String ws(RivetServer server) {
        return server.endpoint().replaceFirst("^http", "ws");
    }

    /**
     * The query gateway's path and query to {@code actorPath} of {@code actorName}/{@code key},
     * getOrCreate.
     */
    static String getOrCreate(String actorName, String key, String actorPath) {
        return GatewayUrl.query("", actorName, actorPath)
                .getOrCreate("default")
                .key(List.of(key))
                .build();
    }

    /**
     * The query gateway's path and query to {@code actorPath} of an existing {@code
     * actorName}/{@code key}.
     */
    static String get(String actorName, String key, String actorPath) {
        return GatewayUrl.query("", actorName, actorPath).get().key(List.of(key)).build();
    }

    @Override
    protected void onMessage(WebSocket webSocket, byte[] message, boolean text) {
        frames.add(text ? new String(message, StandardCharsets.UTF_8) : message);
    }

    @Override
    protected void onTooLarge(WebSocket webSocket, ProtocolException error) {
        webSocket.abort();
        closed.complete("error " + error);
    }

    void pause() {
        paused = true;
    }

    synchronized void resume() {
        paused = false;
        if (waiting) {
            waiting = false;
            socket.request(1);
        }
    }

    @Override
    protected synchronized void next(WebSocket webSocket) {
        if (paused) {
            waiting = true;
        } else {
            webSocket.request(1);
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode + " " + reason);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete("error " + error);
    }
}
