package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A realtime connection to one actor over WebSocket ({@code /connect}): events, actions, and RivetKit's
 * connection lifecycle ({@code onBeforeConnect}, conn params, conn state).
 *
 * <p>It reconnects by itself after any drop that is not {@link #close()}, with exponential back-off (250 ms to
 * 30 s, jittered), and re-subscribes to every event that has listeners once the server's {@code Init} arrives.
 * Actions called while it is not connected wait for {@code Init} (up to their timeout). Unlike RivetKit's JS
 * client, it keeps retrying when the server cannot be reached at all (restarting, connection refused); it goes
 * {@link Status#IDLE} only when the server refuses the connection with a structured error (a
 * {@code onBeforeConnect} veto, a missing actor, a bad token), which it reports to {@link #onError} and to every
 * waiting action.
 *
 * <p>Listeners run one at a time, in order, on a virtual thread of their own: they may block, even on an action
 * of this connection.
 */
public final class ActorConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ActorConnection.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /** A connection that lasted this long reconnects at once when dropped; a shorter one backs off. */
    private static final Duration STABLE = Duration.ofSeconds(5);

    /** As the JS client's {@code connStatus}. */
    public enum Status {
        /** Closed, or refused for good (see {@link #onError}); no reconnecting. */
        IDLE,
        /** Opening a WebSocket and waiting for the server's {@code Init}. */
        CONNECTING,
        /** {@code Init} received: actions and events flow. */
        CONNECTED,
        /** Dropped or not reachable; the next attempt is scheduled. */
        DISCONNECTED
    }

    private final RivetClient client;
    private final ActorHandle handle;
    private final JsonNode params;
    private final Encoding encoding;
    private final SerialExecutor callbacks;
    private final AtomicLong nextActionId = new AtomicLong();
    private final List<Consumer<Status>> statusListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<ClientError>> errorListeners = new CopyOnWriteArrayList<>();

    private final Object lock = new Object();
    // Everything below is guarded by lock.
    private final Map<String, List<Listener>> listeners = new LinkedHashMap<>();
    private final Map<Long, Pending> queued = new LinkedHashMap<>();
    private final Map<Long, Pending> inFlight = new HashMap<>();
    private Status status = Status.IDLE;
    private boolean disposed;
    private ClientError fatal;
    private Socket socket;
    private int failures;
    private long connectedAt;
    private ScheduledFuture<?> retry;
    private String actorId;
    private String connectionId;
    /** Sees every frame this connection sends (tests only). */
    private volatile Consumer<ToServer> tap;

    ActorConnection(RivetClient client, ActorHandle handle, JsonNode params) {
        this.client = client;
        this.handle = handle;
        this.params = params;
        this.encoding = client.engine().encoding();
        this.callbacks = new SerialExecutor(client.callbacks());
    }

    void start() {
        client.opened(this);
        synchronized (lock) {
            setStatus(Status.CONNECTING);
        }
        runAttempt();
    }

    // ---------------------------------------------------------------- public API

    /**
     * Listens to an event, reading its first argument as {@code type} ({@code JsonNode} for the raw value). The
     * first listener of an event subscribes to it on the server; closing the last one unsubscribes.
     */
    public <T> Subscription on(String event, Class<T> type, Consumer<? super T> listener) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(listener, "listener");
        return onArgs(event, args -> listener.accept(
                client.wire().convert(args.isEmpty() ? null : args.get(0), type, "event `" + event + "`")));
    }

    /** Listens to an event with all its arguments ({@code c.broadcast("e", a, b)} gives {@code [a, b]}). */
    public Subscription onArgs(String event, Consumer<? super ArrayNode> listener) {
        Objects.requireNonNull(event, "event");
        Listener entry = new Listener(event, Objects.requireNonNull(listener, "listener"));
        synchronized (lock) {
            List<Listener> list = listeners.computeIfAbsent(event, e -> new ArrayList<>());
            list.add(entry);
            if (list.size() == 1) {
                sendIfConnected(new ToServer.SubscriptionRequest(event, true));
            }
        }
        return entry::remove;
    }

    /**
     * Calls an action on this connection and waits for its result (up to the client's action timeout); while
     * reconnecting it waits for the connection. Throws {@link RivetError} for what the action raised.
     */
    public <R> R action(String name, Class<R> type, Object... args) {
        return action(name, client.actionTimeout(), type, args);
    }

    /** As {@link #action(String, Class, Object...)}, waiting up to {@code timeout}. */
    public <R> R action(String name, Duration timeout, Class<R> type, Object... args) {
        try {
            return actionAsync(name, timeout, type, args).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof ClientError error) {
                throw error;
            }
            throw e;
        }
    }

    /** The action's result as a future, failed with a {@link ClientError} (or {@link RivetError}) if it fails. */
    public <R> CompletableFuture<R> actionAsync(String name, Class<R> type, Object... args) {
        return actionAsync(name, client.actionTimeout(), type, args);
    }

    /** As {@link #actionAsync(String, Class, Object...)}, failing after {@code timeout}. */
    public <R> CompletableFuture<R> actionAsync(String name, Duration timeout, Class<R> type, Object... args) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(timeout, "timeout");
        Pending pending = new Pending(nextActionId.getAndIncrement(), name, client.wire().args(args), encoding);
        ClientError refused = null;
        synchronized (lock) {
            if (disposed) {
                refused = new ClientError("the connection to " + handle + " is closed");
            } else if (status == Status.IDLE) {
                refused = fatal != null ? fatal : new ClientError("the connection to " + handle + " is not open");
            } else if (status == Status.CONNECTED && socket != null) {
                inFlight.put(pending.id, pending);
                socket.send(pending.request, pending.frame);
            } else {
                queued.put(pending.id, pending);
            }
        }
        if (refused != null) {
            pending.result.completeExceptionally(refused);
        } else {
            try {
                ScheduledFuture<?> timer = client.timer().schedule(() -> timedOut(pending, timeout),
                        timeout.toNanos(), TimeUnit.NANOSECONDS);
                pending.result.whenComplete((v, e) -> timer.cancel(false));
            } catch (RejectedExecutionException e) {
                fail(List.of(pending), new ClientError("the client is closed"));
            }
        }
        return pending.result.thenApplyAsync(
                output -> client.wire().convert(output, type, "the result of `" + name + "`"), client.callbacks());
    }

    /** Called with every status change, in order. */
    public Subscription onStatus(Consumer<? super Status> listener) {
        Consumer<Status> entry = listener::accept;
        statusListeners.add(entry);
        return () -> statusListeners.remove(entry);
    }

    /**
     * Called with connection-level errors: a structured error the server sent or closed with, and the error that
     * made the connection give up (then the status is {@link Status#IDLE}).
     */
    public Subscription onError(Consumer<? super ClientError> listener) {
        Consumer<ClientError> entry = listener::accept;
        errorListeners.add(entry);
        return () -> errorListeners.remove(entry);
    }

    public Status status() {
        synchronized (lock) {
            return status;
        }
    }

    /** The server's id of the current connection (new after every reconnect), or null before the first {@code Init}. */
    public String connectionId() {
        synchronized (lock) {
            return connectionId;
        }
    }

    /** The actor's id, from the last {@code Init}; null before the first. */
    public String actorId() {
        synchronized (lock) {
            return actorId;
        }
    }

    /** Closes the WebSocket ({@code 1000 Disposed}) and stops reconnecting; waiting actions fail. */
    @Override
    public void close() {
        Socket current;
        List<Pending> abandoned;
        synchronized (lock) {
            if (disposed) {
                return;
            }
            disposed = true;
            if (retry != null) {
                retry.cancel(false);
            }
            current = socket;
            socket = null;
            abandoned = takeAll();
            setStatus(Status.IDLE);
        }
        client.closed(this);
        fail(abandoned, new ClientError("the connection to " + handle + " was closed"));
        if (current != null) {
            current.close();
        }
    }

    @Override
    public String toString() {
        return "ActorConnection[" + handle + " " + status() + "]";
    }

    void tap(Consumer<ToServer> tap) {
        this.tap = tap;
    }

    // ---------------------------------------------------------------- connecting

    private void runAttempt() {
        try {
            client.callbacks().execute(this::attempt);
        } catch (RejectedExecutionException e) {
            log.debug("client closed; not connecting {}", handle);
        }
    }

    /** One attempt: resolve where to go, open the WebSocket; the rest happens in the socket's callbacks. */
    private void attempt() {
        Socket attempt;
        synchronized (lock) {
            if (disposed || socket != null) {
                return;
            }
            retry = null;
            attempt = new Socket();
            socket = attempt;
            setStatus(Status.CONNECTING);
        }
        String url = null;
        try {
            Engine engine = client.engine();
            Engine.Settings settings = engine.settings();
            url = engine.gatewayUrl(settings, handle.route(true), "/connect");
            attempt.url = Engine.redact(url);
            List<String> protocols = new ArrayList<>(List.of("rivet_encoding." + encoding.wireName()));
            if (params != null) {
                protocols.add("rivet_conn_params." + Wire.component(client.wire().asciiJson(params)));
            }
            if (settings.token() != null && Wire.isToken(settings.token())) {
                protocols.add("rivet_token." + settings.token());
            }
            WebSocket.Builder builder = engine.http().newWebSocketBuilder()
                    .connectTimeout(client.connectTimeout())
                    .subprotocols("rivet", protocols.toArray(String[]::new));
            log.debug("connecting to {}", attempt.url);
            builder.buildAsync(Engine.uri(url.replaceFirst("^http", "ws")), attempt).get();
        } catch (ClientError e) {
            failed(attempt, e);
        } catch (ExecutionException e) {
            failed(attempt, openFailure(url, e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed(attempt, new ClientError("interrupted while connecting to " + handle, e));
        } catch (RuntimeException e) {
            failed(attempt, new ClientError("cannot connect to " + handle + ": " + e, e));
        }
    }

    private static ClientError openFailure(String url, Throwable cause) {
        String where = url == null ? "?" : Engine.redact(url);
        if (cause instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null) {
            int status = handshake.getResponse().statusCode();
            String message = "WebSocket " + where + " was refused with HTTP " + status;
            return status / 100 == 4 && status != 408 && status != 429
                    ? new Retry.HandshakeRefused(message, cause) : new ClientError(message, cause);
        }
        return new ClientError("WebSocket " + where + " failed: " + Engine.describe(cause), cause);
    }

    /** An attempt or an open socket ended (or could not start) with {@code error}: reconnect, retry or give up. */
    private void failed(Socket ended, ClientError error) {
        List<Pending> lost;
        boolean report;
        synchronized (lock) {
            if (ended != socket || disposed) {
                return;
            }
            socket = null;
            boolean wasConnected = status == Status.CONNECTED;
            // Sent actions may or may not have run: they fail. Queued ones wait for the next connection.
            lost = new ArrayList<>(inFlight.values());
            inFlight.clear();
            report = error instanceof RivetError && error != ended.reported;
            Target target = handle.target();
            boolean byKey = target instanceof Target.ByKey;
            boolean create = byKey && ((Target.ByKey) target).create();
            if (wasConnected) {
                // At once after a stable connection (as the JS client); backing off if it keeps dropping.
                boolean stable = System.nanoTime() - connectedAt >= STABLE.toNanos();
                failures = stable ? 0 : failures + 1;
                Duration delay = stable ? Duration.ZERO : Retry.reconnectDelay(failures);
                log.info("connection to {} dropped ({}); reconnecting in {} ms", handle, error.getMessage(), delay.toMillis());
                setStatus(Status.DISCONNECTED);
                scheduleAttempt(delay);
            } else if (Retry.connect(error, byKey, create)) {
                failures++;
                Duration delay = Retry.reconnectDelay(failures);
                log.debug("connecting to {} failed ({}); next attempt in {} ms", handle, error.getMessage(), delay.toMillis());
                setStatus(Status.DISCONNECTED);
                scheduleAttempt(delay);
            } else {
                log.warn("connection to {} refused: {}", handle, error.getMessage());
                fatal = error;
                lost.addAll(queued.values());
                queued.clear();
                report = error != ended.reported;
                setStatus(Status.IDLE);
            }
        }
        fail(lost, error);
        if (report) {
            reportError(error);
        }
    }

    private void scheduleAttempt(Duration delay) {
        if (delay.isZero()) {
            runAttempt();
            return;
        }
        try {
            retry = client.timer().schedule(this::runAttempt, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("client closed; not reconnecting {}", handle);
        }
    }

    // ---------------------------------------------------------------- messages

    private void received(Socket from, byte[] bytes) {
        ToClient message;
        try {
            message = ClientProtocol.decodeToClient(encoding, bytes);
        } catch (ProtocolException e) {
            log.warn("ignoring an undecodable message from {}: {}", from.url, e.getMessage());
            return;
        }
        switch (message) {
            case ToClient.Init init -> initialized(from, init);
            case ToClient.ActionResponse response -> completed(from, response.id(), response.output(), null);
            case ToClient.Event event -> dispatch(from, event);
            case ToClient.Error error -> {
                RivetError rivet = new RivetError(error.group(), error.code(), error.message(), error.metadata(),
                        error.actor() != null ? error.actor().actorId() : null);
                if (error.actionId() != null) {
                    completed(from, error.actionId(), null, rivet);
                } else {
                    connectionError(from, rivet);
                }
            }
        }
    }

    private void initialized(Socket from, ToClient.Init init) {
        synchronized (lock) {
            if (from != socket || disposed) {
                return;
            }
            actorId = init.actorId();
            connectionId = init.connectionId();
            connectedAt = System.nanoTime();
            fatal = null;
            setStatus(Status.CONNECTED);
            // As the JS client: subscriptions for every event with listeners, then the actions that waited.
            for (String event : listeners.keySet()) {
                from.send(new ToServer.SubscriptionRequest(event, true));
            }
            for (Pending pending : queued.values()) {
                inFlight.put(pending.id, pending);
                from.send(pending.request, pending.frame);
            }
            queued.clear();
        }
        log.debug("connected to {} as {}", init.actorId(), init.connectionId());
    }

    private void completed(Socket from, long id, JsonNode output, RivetError error) {
        Pending pending;
        synchronized (lock) {
            pending = inFlight.remove(id);
        }
        if (pending == null) {
            log.debug("an answer to action {} from {} that nobody waits for (timed out?)", id, from.url);
        } else if (error != null) {
            pending.result.completeExceptionally(error);
        } else {
            pending.result.complete(output);
        }
    }

    /** An Error without an action id: the connection failed; the close follows. */
    private void connectionError(Socket from, RivetError error) {
        List<Pending> lost;
        synchronized (lock) {
            if (from != socket || disposed) {
                return;
            }
            from.reported = error;
            lost = new ArrayList<>(inFlight.values());
            inFlight.clear();
        }
        fail(lost, error);
        reportError(error);
    }

    private void dispatch(Socket from, ToClient.Event event) {
        List<Listener> targets;
        synchronized (lock) {
            if (from != socket) {
                return;
            }
            List<Listener> list = listeners.get(event.name());
            if (list == null) {
                return;
            }
            targets = List.copyOf(list);
        }
        ArrayNode args = event.args() instanceof ArrayNode array ? array : client.wire().mapper().createArrayNode();
        callbacks.execute(() -> {
            for (Listener listener : targets) {
                if (listener.active) {
                    try {
                        listener.consumer.accept(args);
                    } catch (RuntimeException e) {
                        log.warn("a listener of event `{}` threw", event.name(), e);
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- plumbing

    private void sendIfConnected(ToServer message) {
        if (status == Status.CONNECTED && socket != null) {
            socket.send(message);
        }
    }

    private void setStatus(Status next) {
        if (status == next) {
            return;
        }
        status = next;
        callbacks.execute(() -> {
            for (Consumer<Status> listener : statusListeners) {
                listener.accept(next);
            }
        });
    }

    private void reportError(ClientError error) {
        callbacks.execute(() -> {
            for (Consumer<ClientError> listener : errorListeners) {
                listener.accept(error);
            }
        });
    }

    private List<Pending> takeAll() {
        List<Pending> all = new ArrayList<>(inFlight.values());
        all.addAll(queued.values());
        inFlight.clear();
        queued.clear();
        return all;
    }

    private void timedOut(Pending pending, Duration timeout) {
        synchronized (lock) {
            inFlight.remove(pending.id);
            queued.remove(pending.id);
        }
        pending.result.completeExceptionally(new ClientError("action `" + pending.name + "` on " + handle
                + " got no answer within " + timeout.toMillis() + " ms", new TimeoutException()));
    }

    private static void fail(List<Pending> pending, ClientError error) {
        for (Pending p : pending) {
            p.result.completeExceptionally(error);
        }
    }

    /** An action waiting for its connection or its answer; encoded at once, so a bad argument fails the call. */
    private static final class Pending {
        final long id;
        final String name;
        final ToServer request;
        final byte[] frame;
        final CompletableFuture<JsonNode> result = new CompletableFuture<>();

        Pending(long id, String name, ArrayNode args, Encoding encoding) {
            this.id = id;
            this.name = name;
            this.request = new ToServer.ActionRequest(id, name, args);
            try {
                this.frame = ClientProtocol.encode(encoding, request);
            } catch (ProtocolException e) {
                throw new IllegalArgumentException("cannot send the arguments of `" + name + "`: " + e.getMessage(), e);
            }
        }
    }

    /** One registration of {@link #onArgs}. */
    private final class Listener {
        final String event;
        final Consumer<? super ArrayNode> consumer;
        volatile boolean active = true;

        Listener(String event, Consumer<? super ArrayNode> consumer) {
            this.event = event;
            this.consumer = consumer;
        }

        void remove() {
            synchronized (lock) {
                if (!active) {
                    return;
                }
                active = false;
                List<Listener> list = listeners.get(event);
                if (list != null && list.remove(this) && list.isEmpty()) {
                    listeners.remove(event);
                    sendIfConnected(new ToServer.SubscriptionRequest(event, false));
                }
            }
        }
    }

    /**
     * One WebSocket (one attempt). Frames are sent one after another (java.net.http allows one outstanding send),
     * and received ones reassembled; callbacks from a socket that is no longer the current one are ignored.
     */
    private final class Socket implements WebSocket.Listener {
        volatile String url = "?";
        volatile WebSocket webSocket;
        /** The connection-level error the server sent on this socket, already reported. */
        volatile RivetError reported;
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
        private CompletableFuture<?> outbox = CompletableFuture.completedFuture(null);

        @Override
        public void onOpen(WebSocket ws) {
            webSocket = ws;
            boolean current;
            synchronized (lock) {
                current = socket == this && !disposed;
            }
            if (!current) {
                ws.sendClose(1000, "Disposed");
            }
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
                text.setLength(0);
                received(this, bytes);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            binary.writeBytes(chunk);
            if (last) {
                byte[] bytes = binary.toByteArray();
                binary.reset();
                received(this, bytes);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            closed.complete(null);
            // After a connection-level Error frame, the close only repeats its group and code.
            failed(this, reported != null ? reported : closeError(code, reason));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(null);
            failed(this, reported != null ? reported : new ClientError("WebSocket " + url + " failed: " + error, error));
        }

        /** As the JS client: a {@code group.code[#rayId]} reason is a structured error; anything else is not. */
        private ClientError closeError(int code, String reason) {
            String text = reason == null ? "" : reason;
            String main = text.contains("#") ? text.substring(0, text.indexOf('#')) : text;
            int dot = main.indexOf('.');
            if (dot > 0 && dot < main.length() - 1 && !main.contains(" ")) {
                return new RivetError(main.substring(0, dot), main.substring(dot + 1), "Connection closed: " + text,
                        null, null);
            }
            return new ClientError("WebSocket " + url + " closed (" + code + (text.isEmpty() ? "" : " " + text) + ")");
        }

        /** Queues a frame behind the ones before it; must be called under the connection's lock (to keep order). */
        void send(ToServer message) {
            send(message, ClientProtocol.encode(encoding, message));
        }

        void send(ToServer message, byte[] bytes) {
            WebSocket ws = webSocket;
            Consumer<ToServer> spy = tap;
            if (spy != null) {
                spy.accept(message);
            }
            outbox = outbox.handle((v, e) -> null).thenCompose(v -> encoding.binary()
                    ? ws.sendBinary(ByteBuffer.wrap(bytes), true)
                    : ws.sendText(new String(bytes, StandardCharsets.UTF_8), true));
        }

        /** Sends {@code 1000 Disposed} after what is queued, and waits a moment for the server's close. */
        void close() {
            WebSocket ws = webSocket;
            if (ws == null) {
                return; // still opening: onOpen closes it
            }
            CompletableFuture<?> done;
            synchronized (lock) {
                done = outbox.handle((v, e) -> null).thenCompose(v -> ws.sendClose(1000, "Disposed"));
            }
            try {
                done.thenCompose(v -> closed).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ws.abort();
            } catch (ExecutionException | TimeoutException | CancellationException e) {
                ws.abort();
            }
        }
    }
}
