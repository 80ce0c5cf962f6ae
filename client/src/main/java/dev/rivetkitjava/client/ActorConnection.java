package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rivetkitjava.protocol.ToServer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A realtime connection to one actor over WebSocket ({@code /connect}): events, actions, and
 * RivetKit's connection lifecycle ({@code onBeforeConnect}, conn params, conn state).
 *
 * <p>It reconnects by itself after any drop that is not {@link #close()}, with exponential back-off
 * (250 ms to 30 s, jittered), and re-subscribes to every event that has listeners once the server's
 * {@code Init} arrives. Actions called while it is not connected wait for {@code Init} (up to their
 * timeout). Unlike RivetKit's JS client, it keeps retrying when the server cannot be reached at all
 * (restarting, connection refused); it goes {@link Status#IDLE} only when the server refuses the
 * connection with a structured error (a {@code onBeforeConnect} veto, a missing actor, a bad
 * token), which it reports to {@link #onError} and to every waiting action.
 *
 * <p>Listeners run one at a time, in order, on a virtual thread of their own: they may block, even
 * on an action of this connection.
 */
public final class ActorConnection implements AutoCloseable {
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
    private final SerialExecutor callbacks;
    private final List<Consumer<Status>> statusListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<ClientError>> errorListeners = new CopyOnWriteArrayList<>();
    private final Reconnector connection;

    ActorConnection(RivetClient client, ActorHandle handle, @Nullable JsonNode params) {
        this.client = client;
        this.handle = handle;
        this.callbacks = new SerialExecutor(client.callbacks());
        this.connection =
                new Reconnector(
                        client,
                        handle,
                        params,
                        callbacks,
                        new Reconnector.Listeners() {
                            @Override
                            public void statusChanged(Status status) {
                                tell(statusListeners, status);
                            }

                            @Override
                            public void errorReported(ClientError error) {
                                tell(errorListeners, error);
                            }
                        });
    }

    void start() {
        client.opened(this);
        connection.start();
    }

    // ---------------------------------------------------------------- public API

    /**
     * Listens to an event, reading its first argument as {@code type} ({@code JsonNode} for the raw
     * value). The first listener of an event subscribes to it on the server; closing the last one
     * unsubscribes.
     */
    public <T> Subscription on(String event, Class<T> type, Consumer<? super T> listener) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(listener, "listener");
        return onArgs(
                event,
                args ->
                        listener.accept(
                                client.wire()
                                        .convert(
                                                args.isEmpty() ? null : args.get(0),
                                                type,
                                                "event `" + event + "`")));
    }

    /**
     * Listens to an event with all its arguments ({@code c.broadcast("e", a, b)} gives {@code [a,
     * b]}).
     */
    public Subscription onArgs(String event, Consumer<? super ArrayNode> listener) {
        Objects.requireNonNull(event, "event");
        return connection.listen(event, Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Calls an action on this connection and waits for its result (up to the client's action
     * timeout); while reconnecting it waits for the connection. Throws {@link RivetError} for what
     * the action raised.
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

    /**
     * The action's result as a future, failed with a {@link ClientError} (or {@link RivetError}) if
     * it fails.
     */
    public <R> CompletableFuture<R> actionAsync(String name, Class<R> type, Object... args) {
        return actionAsync(name, client.actionTimeout(), type, args);
    }

    /** As {@link #actionAsync(String, Class, Object...)}, failing after {@code timeout}. */
    public <R> CompletableFuture<R> actionAsync(
            String name, Duration timeout, Class<R> type, Object... args) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(timeout, "timeout");
        return connection
                .call(name, client.wire().args(args), timeout)
                .result
                .thenApplyAsync(
                        output ->
                                client.wire().convert(output, type, "the result of `" + name + "`"),
                        client.callbacks());
    }

    /** Called with every status change, in order. */
    public Subscription onStatus(Consumer<? super Status> listener) {
        Consumer<Status> entry = listener::accept;
        statusListeners.add(entry);
        return () -> statusListeners.remove(entry);
    }

    /**
     * Called with connection-level errors: a structured error the server sent or closed with, and
     * the error that made the connection give up (then the status is {@link Status#IDLE}).
     */
    public Subscription onError(Consumer<? super ClientError> listener) {
        Consumer<ClientError> entry = listener::accept;
        errorListeners.add(entry);
        return () -> errorListeners.remove(entry);
    }

    public Status status() {
        return connection.status();
    }

    /**
     * The server's id of the current connection (new after every reconnect), or null before the
     * first {@code Init}.
     */
    public @Nullable String connectionId() {
        return connection.connectionId();
    }

    /** The actor's id, from the last {@code Init}; null before the first. */
    public @Nullable String actorId() {
        return connection.actorId();
    }

    /**
     * Closes the WebSocket ({@code 1000 Disposed}) and stops reconnecting; waiting actions fail.
     */
    @Override
    public void close() {
        connection.close(() -> client.closed(this));
    }

    @Override
    public String toString() {
        return "ActorConnection[" + handle + " " + status() + "]";
    }

    void tap(Consumer<ToServer> tap) {
        connection.tap(tap);
    }

    /** Listeners run on the connection's serial executor, in the order of the changes. */
    private <T> void tell(List<Consumer<T>> listeners, T value) {
        callbacks.execute(
                () -> {
                    for (Consumer<T> listener : listeners) {
                        listener.accept(value);
                    }
                });
    }
}
