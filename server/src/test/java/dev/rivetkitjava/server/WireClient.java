package dev.rivetkitjava.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A raw WebSocket to the server for tests: records every frame (text as String, binary as byte[]) and the close.
 * {@link #pause} stops reading (the server's writes then pile up), {@link #resume} reads on.
 */
final class WireClient implements WebSocket.Listener {
    static final String GET_OR_CREATE = "rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep";

    final List<Object> frames = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private ByteBuffer binary = ByteBuffer.allocate(0);
    private volatile boolean paused;
    private boolean waiting; // guarded by this: a frame came in while paused and its successor was not requested
    WebSocket socket;

    static WireClient connect(RivetServer server, String key, String... subprotocols) throws Exception {
        return connectTo(server, "counter", key, subprotocols);
    }

    static WireClient connectTo(RivetServer server, String actorName, String key, String... subprotocols)
            throws Exception {
        WireClient client = new WireClient();
        String url = server.endpoint().replace("http", "ws") + "/gateway/" + actorName + "/connect?rvt-key=" + key + "&"
                + GET_OR_CREATE;
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        client.socket = builder.buildAsync(URI.create(url), client).get();
        return client;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            frames.add(text.toString());
            text.setLength(0);
        }
        next(webSocket);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        ByteBuffer joined = ByteBuffer.allocate(binary.remaining() + data.remaining());
        joined.put(binary).put(data).flip();
        binary = joined;
        if (last) {
            byte[] bytes = new byte[binary.remaining()];
            binary.get(bytes);
            frames.add(bytes);
            binary = ByteBuffer.allocate(0);
        }
        next(webSocket);
        return null;
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

    private synchronized void next(WebSocket webSocket) {
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
