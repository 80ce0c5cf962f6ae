package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rivetkitjava.client.ActorConnection.Status;
import dev.rivetkitjava.client.PendingActions.Pending;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.Subprotocols;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine behind an {@link ActorConnection}: one {@link ConnectionSocket} at a time, the
 * status ({@code CONNECTING → CONNECTED → DISCONNECTED → …}, {@code IDLE} when closed or refused
 * for good), the back-off between attempts, the messages the server sends, the event subscriptions
 * (renewed on every {@code Init}) and where the waiting actions ({@link PendingActions}) go on each
 * change.
 */
final class Reconnector implements ConnectionSocket.Owner {
    private static final Logger log = LoggerFactory.getLogger(Reconnector.class);

    /**
     * A connection that lasted this long reconnects at once when dropped; a shorter one backs off.
     */
    private static final Duration STABLE = Duration.ofSeconds(5);

    /** Where the machine reports to: the facade's status and error listeners. */
    interface Listeners {
        void statusChanged(Status status);

        void errorReported(ClientError error);
    }

    private final RivetClient client;
    private final ActorHandle handle;
    private final @Nullable JsonNode params;
    private final Encoding encoding;
    private final SerialExecutor callbacks;
    private final Listeners out;
    private final PendingActions pending;

    private final Object lock = new Object();
    // Everything below is guarded by lock.
    private final Map<String, List<Listener>> listeners = new LinkedHashMap<>();
    private Status status = Status.IDLE;
    private boolean disposed;
    private @Nullable ClientError fatal;
    private @Nullable ConnectionSocket socket;
    private int failures;
    private long connectedAt;
    private @Nullable ScheduledFuture<?> retry;
    private @Nullable String actorId;
    private @Nullable String connectionId;

    /** Sees every frame this connection sends (tests only). */
    private volatile @Nullable Consumer<ToServer> tap;

    Reconnector(
            RivetClient client,
            ActorHandle handle,
            @Nullable JsonNode params,
            SerialExecutor callbacks,
            Listeners out) {
        this.client = client;
        this.handle = handle;
        this.params = params;
        this.encoding = client.engine().encoding();
        this.callbacks = callbacks;
        this.out = out;
        this.pending = new PendingActions(encoding);
    }

    void start() {
        synchronized (lock) {
            setStatus(Status.CONNECTING);
        }
        runAttempt();
    }

    // ---------------------------------------------------------------- what the facade asks

    Status status() {
        synchronized (lock) {
            return status;
        }
    }

    @Nullable String connectionId() {
        synchronized (lock) {
            return connectionId;
        }
    }

    @Nullable String actorId() {
        synchronized (lock) {
            return actorId;
        }
    }

    void tap(Consumer<ToServer> tap) {
        this.tap = tap;
    }

    /** Adds a listener; the first of an event subscribes to it on the server. */
    Subscription listen(String event, Consumer<? super ArrayNode> consumer) {
        Listener entry = new Listener(event, consumer);
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
     * Sends the action now, or queues it for the next {@code Init}, or fails it when there is none
     * to wait for.
     */
    PendingActions.Pending call(String name, ArrayNode args, Duration timeout) {
        Pending action = pending.create(name, args);
        ClientError refused = null;
        synchronized (lock) {
            if (disposed) {
                refused = new ClientError("the connection to " + handle + " is closed");
            } else if (status == Status.IDLE) {
                refused =
                        fatal != null
                                ? fatal
                                : new ClientError("the connection to " + handle + " is not open");
            } else if (status == Status.CONNECTED && socket != null) {
                pending.sending(action);
                socket.send(action.request, action.frame);
            } else {
                pending.queue(action);
            }
        }
        if (refused != null) {
            action.result.completeExceptionally(refused);
        } else if (!pending.expireAfter(action, timeout, client.timer(), handle.toString())) {
            PendingActions.fail(List.of(action), new ClientError("the client is closed"));
        }
        return action;
    }

    /**
     * Stops reconnecting, runs {@code disposed} (once, when this call closed it), fails what waits,
     * and closes the socket.
     */
    void close(Runnable disposed) {
        ConnectionSocket current;
        List<Pending> abandoned;
        synchronized (lock) {
            if (this.disposed) {
                return;
            }
            this.disposed = true;
            if (retry != null) {
                retry.cancel(false);
            }
            current = socket;
            socket = null;
            abandoned = pending.takeAll();
            setStatus(Status.IDLE);
        }
        disposed.run();
        PendingActions.fail(
                abandoned, new ClientError("the connection to " + handle + " was closed"));
        if (current != null) {
            current.close();
        }
    }

    // ---------------------------------------------------------------- connecting

    private void runAttempt() {
        try {
            client.callbacks().execute(this::attempt);
        } catch (RejectedExecutionException e) {
            log.debug("client closed; not connecting {}", handle);
        }
    }

    /**
     * One attempt: resolve where to go, open the WebSocket; the rest happens in the socket's
     * callbacks.
     */
    private void attempt() {
        ConnectionSocket attempt;
        synchronized (lock) {
            if (disposed || socket != null) {
                return;
            }
            retry = null;
            attempt = new ConnectionSocket(this, encoding);
            socket = attempt;
            setStatus(Status.CONNECTING);
        }
        try {
            Engine engine = client.engine();
            Engine.Settings settings = engine.settings();
            String url = engine.gatewayUrl(settings, handle.route(true), "/connect");
            Subprotocols.Builder protocols = Subprotocols.builder(encoding);
            if (params != null) {
                protocols.connParams(client.wire().asciiJson(params));
            }
            if (Subprotocols.isToken(settings.token())) {
                protocols.token(settings.token());
            }
            log.debug("connecting to {}", Engine.redact(url));
            attempt.dial(engine.http(), url, protocols.build(), client.connectTimeout());
        } catch (ClientError e) {
            ended(attempt, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ended(attempt, new ClientError("interrupted while connecting to " + handle, e));
        } catch (RuntimeException e) {
            ended(attempt, new ClientError("cannot connect to " + handle + ": " + e, e));
        }
    }

    @Override
    public boolean isCurrent(ConnectionSocket candidate) {
        synchronized (lock) {
            return socket == candidate && !disposed;
        }
    }

    /**
     * An attempt or an open socket ended (or could not start) with {@code error}: reconnect, retry
     * or give up.
     */
    @Override
    public void ended(ConnectionSocket ended, ClientError error) {
        List<Pending> lost;
        boolean report;
        synchronized (lock) {
            if (ended != socket || disposed) {
                return;
            }
            socket = null;
            boolean wasConnected = status == Status.CONNECTED;
            // Sent actions may or may not have run: they fail. Queued ones wait for the next
            // connection.
            lost = pending.takeInFlight();
            report = error instanceof RivetError && error != ended.reported();
            Target target = handle.target();
            boolean byKey = target instanceof Target.ByKey;
            boolean create = byKey && ((Target.ByKey) target).create();
            if (wasConnected) {
                // At once after a stable connection (as the JS client); backing off if it keeps
                // dropping.
                boolean stable = System.nanoTime() - connectedAt >= STABLE.toNanos();
                failures = stable ? 0 : failures + 1;
                Duration delay = stable ? Duration.ZERO : Retry.reconnectDelay(failures);
                log.info(
                        "connection to {} dropped ({}); reconnecting in {} ms",
                        handle,
                        error.getMessage(),
                        delay.toMillis());
                setStatus(Status.DISCONNECTED);
                scheduleAttempt(delay);
            } else if (Retry.connect(error, byKey, create)) {
                failures++;
                Duration delay = Retry.reconnectDelay(failures);
                log.debug(
                        "connecting to {} failed ({}); next attempt in {} ms",
                        handle,
                        error.getMessage(),
                        delay.toMillis());
                setStatus(Status.DISCONNECTED);
                scheduleAttempt(delay);
            } else {
                log.warn("connection to {} refused: {}", handle, error.getMessage());
                fatal = error;
                lost.addAll(pending.takeQueued());
                report = error != ended.reported();
                setStatus(Status.IDLE);
            }
        }
        PendingActions.fail(lost, error);
        if (report) {
            out.errorReported(error);
        }
    }

    private void scheduleAttempt(Duration delay) {
        if (delay.isZero()) {
            runAttempt();
            return;
        }
        try {
            retry =
                    client.timer()
                            .schedule(this::runAttempt, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("client closed; not reconnecting {}", handle);
        }
    }

    // ---------------------------------------------------------------- messages

    @Override
    public void sending(ToServer message) {
        Consumer<ToServer> spy = tap;
        if (spy != null) {
            spy.accept(message);
        }
    }

    @Override
    public void received(ConnectionSocket from, byte[] bytes) {
        ToClient message;
        try {
            message = ClientProtocol.decodeToClient(encoding, bytes);
        } catch (ProtocolException e) {
            log.warn("ignoring an undecodable message from {}: {}", from.url(), e.getMessage());
            return;
        }
        switch (message) {
            case ToClient.Init init -> initialized(from, init);
            case ToClient.ActionResponse response ->
                    completed(from, response.id(), response.output(), null);
            case ToClient.Event event -> dispatch(from, event);
            case ToClient.Error error -> {
                RivetError rivet =
                        new RivetError(
                                error.group(),
                                error.code(),
                                error.message(),
                                error.metadata(),
                                error.actor() != null ? error.actor().actorId() : null);
                if (error.actionId() != null) {
                    completed(from, error.actionId(), null, rivet);
                } else {
                    connectionError(from, rivet);
                }
            }
        }
    }

    private void initialized(ConnectionSocket from, ToClient.Init init) {
        synchronized (lock) {
            if (from != socket || disposed) {
                return;
            }
            actorId = init.actorId();
            connectionId = init.connectionId();
            connectedAt = System.nanoTime();
            fatal = null;
            setStatus(Status.CONNECTED);
            // As the JS client: subscriptions for every event with listeners, then the actions that
            // waited.
            for (String event : listeners.keySet()) {
                from.send(new ToServer.SubscriptionRequest(event, true));
            }
            for (Pending action : pending.sendQueued()) {
                from.send(action.request, action.frame);
            }
        }
        log.debug("connected to {} as {}", init.actorId(), init.connectionId());
    }

    private void completed(
            ConnectionSocket from, long id, @Nullable JsonNode output, @Nullable RivetError error) {
        Pending action = pending.answered(id);
        if (action == null) {
            log.debug(
                    "an answer to action {} from {} that nobody waits for (timed out?)",
                    id,
                    from.url());
        } else if (error != null) {
            action.result.completeExceptionally(error);
        } else {
            action.result.complete(output);
        }
    }

    /** An Error without an action id: the connection failed; the close follows. */
    private void connectionError(ConnectionSocket from, RivetError error) {
        List<Pending> lost;
        synchronized (lock) {
            if (from != socket || disposed) {
                return;
            }
            from.reported(error);
            lost = pending.takeInFlight();
        }
        PendingActions.fail(lost, error);
        out.errorReported(error);
    }

    private void dispatch(ConnectionSocket from, ToClient.Event event) {
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
        ArrayNode args =
                event.args() instanceof ArrayNode array
                        ? array
                        : client.wire().mapper().createArrayNode();
        callbacks.execute(
                () -> {
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
        out.statusChanged(next);
    }

    /** One registration of {@link #listen}. */
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
}
