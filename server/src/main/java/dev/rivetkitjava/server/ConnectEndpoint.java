package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActionCall;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.OpCode;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code /connect} WebSocket: RivetKit's actor-connect protocol. {@code Init} once the actor
 * accepted the connection; actions run concurrently (replies may come out of order, as in
 * RivetKit); events arrive encoded once per broadcast. Frames go out through an {@link Outbox},
 * which writes what piles up together; a client that lets more than the outbound budget pile up is
 * closed ({@code ws.slow_consumer}) rather than allowed to grow the heap.
 *
 * <p>Public only because Jetty calls the listener methods reflectively; it is made by the server
 * alone.
 */
public final class ConnectEndpoint implements Session.Listener.AutoDemanding, ConnectionSink {
    private static final Logger log = LoggerFactory.getLogger(ConnectEndpoint.class);
    private static final int MAX_CONCURRENT_ACTIONS = 256;

    /**
     * Subscription changes that may wait for the actor to accept the connection (each holds a
     * little memory).
     */
    private static final int MAX_QUEUED_SUBSCRIPTION_CHANGES = 1024;

    static final int CLOSE_NORMAL = 1000;
    static final int CLOSE_UNSUPPORTED = 1003;
    static final int CLOSE_ERROR = 1011;
    private static final Executor CLOSE_LATER =
            java.util.concurrent.CompletableFuture.delayedExecutor(
                    300, java.util.concurrent.TimeUnit.MILLISECONDS);

    /**
     * Set when the upgrade request itself was bad: the socket opens, says why, and closes (as the
     * engine does); the frames the client sends meanwhile are dropped unread.
     */
    record Rejection(ActorError error, int closeCode) {}

    private final Placement placement;
    private final WireValues values;
    private final ServerConfig config;
    private final Executor executor;
    private final OpenSockets sockets;
    private final ServerMetrics metrics;

    /** Null when the connection is rejected (see {@link #rejection}). */
    private final @Nullable ActorQuery query;

    private final @Nullable JsonNode params;
    private final Encoding encoding;
    private final @Nullable Rejection rejection;

    /**
     * The connection once the actor accepted it; failed if it refused, if the upgrade was refused,
     * or on close.
     */
    private final CompletableFuture<Placement.ConnectionHandle> opened = new CompletableFuture<>();

    /**
     * What a received frame's work waits for: {@link #opened}, then every subscription change
     * received before it. Nothing ever blocks on it (a frame that arrives before the actor accepted
     * the connection is queued behind it; a change for an actor on another node of a cluster holds
     * the reading thread until its owner applied it); only the reading thread, one frame at a time,
     * replaces it.
     */
    private volatile CompletableFuture<Placement.ConnectionHandle> ready = opened;

    /**
     * The events this connection subscribed to, as received (applied in order through {@link
     * #ready}).
     */
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();

    private final AtomicInteger queuedSubscriptionChanges = new AtomicInteger();
    private final Semaphore actionSlots = new Semaphore(MAX_CONCURRENT_ACTIONS);
    private final AtomicBoolean slowConsumer = new AtomicBoolean();
    private final FairReads fairReads = new FairReads();

    /**
     * Set by a connection-level error: the connection is closing, and further frames are dropped
     * unread.
     */
    private final AtomicBoolean failed = new AtomicBoolean();

    private volatile @Nullable Session session;
    private volatile @Nullable Outbox outbox;

    ConnectEndpoint(
            ServerContext server,
            @Nullable ActorQuery query,
            @Nullable JsonNode params,
            @Nullable Encoding encoding,
            @Nullable Rejection rejection) {
        this.placement = server.placement();
        this.values = server.values();
        this.config = server.config();
        this.executor = server.executor();
        this.sockets = server.sockets();
        this.metrics = server.metrics();
        this.query = query;
        this.params = params;
        this.encoding = encoding == null ? Encoding.JSON : encoding;
        this.rejection = rejection;
        if (rejection != null) {
            opened.completeExceptionally(rejection.error());
        }
    }

    @Override
    public void onWebSocketOpen(Session session) {
        // Jetty's API session has no batch mode; its core session (the one that writes) has.
        this.outbox =
                new Outbox(
                        ((WebSocketSession) session).getCoreSession(),
                        encoding.binary() ? OpCode.BINARY : OpCode.TEXT,
                        executor,
                        config.maxPendingOutboundBytes());
        this.session = session;
        if (rejection != null) {
            fail(rejection.error(), rejection.closeCode());
            return;
        }
        sockets.add(this);
        try {
            executor.execute(this::open);
        } catch (RejectedExecutionException e) {
            opened.completeExceptionally(e); // the server has stopped
            fail(Guard.serviceUnavailable(), CLOSE_ERROR);
        }
    }

    private void open() {
        try {
            // Only an accepted socket opens, and an accepted one has its query.
            Placement.ConnectionHandle handle =
                    placement.connect(Objects.requireNonNull(query), params, this);
            // Init first: completing runs the work of the frames that came before it, whose replies
            // follow Init.
            send(new ToClient.Init(handle.actorId(), handle.connectionId()));
            if (!opened.complete(handle)) {
                handle.close(); // the socket closed while the actor was accepting it
            }
        } catch (ActorError e) {
            opened.completeExceptionally(e);
            fail(e, CLOSE_ERROR);
        } catch (RuntimeException e) {
            log.error("opening a connection to {} failed", query, e);
            opened.completeExceptionally(e);
            fail(
                    new ActorError("rivetkit", "internal_error", "An internal error occurred"),
                    CLOSE_ERROR);
        } finally {
            if (!opened.isDone()) {
                opened.completeExceptionally(
                        new IllegalStateException("opening the connection failed"));
            }
        }
    }

    @Override
    public void onWebSocketText(String message) {
        receive(message.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        callback.succeed();
        receive(bytes);
    }

    private void receive(byte[] bytes) {
        fairReads.frameRead();
        if (rejection != null || failed.get()) {
            // Nothing was opened, or it is closing: no work, no thread, no waiting.
            metrics.frameIgnored();
            return;
        }
        if (bytes.length > config.maxIncomingMessageBytes()) {
            fail(
                    new ActorError(
                            "message",
                            "incoming_too_long",
                            "A message is larger than "
                                    + config.maxIncomingMessageBytes()
                                    + " bytes."),
                    CLOSE_ERROR);
            return;
        }
        ToServer message;
        try {
            message = ClientProtocol.decodeToServer(encoding, bytes);
        } catch (ProtocolException e) {
            fail(
                    new ActorError(
                            "actor", "invalid_request", "Undecodable message: " + e.getMessage()),
                    CLOSE_ERROR);
            return;
        }
        switch (message) {
            case ToServer.SubscriptionRequest s -> subscription(s);
            case ToServer.ActionRequest a -> {
                if (!actionSlots.tryAcquire()) {
                    send(
                            new ToClient.Error(
                                    "actor",
                                    "overloaded",
                                    "Too many actions in flight on this connection.",
                                    null,
                                    a.id(),
                                    null));
                    return;
                }
                // Once open and after the subscriptions received before it; not at all if the
                // connection failed.
                ready.whenComplete(
                        (handle, failure) -> {
                            if (failure != null) {
                                actionSlots.release();
                                return;
                            }
                            try {
                                executor.execute(
                                        () -> {
                                            try {
                                                runAction(handle, a);
                                            } finally {
                                                actionSlots.release();
                                            }
                                        });
                            } catch (RejectedExecutionException e) {
                                actionSlots.release(); // the server has stopped
                            }
                        });
            }
        }
    }

    /**
     * Applied in arrival order (at once when the connection is open, the common case), so that an
     * action sent right after it already sees the subscription. Past {@code
     * maxSubscriptionsPerConnection} distinct events the connection fails with {@code
     * actor.too_many_subscriptions}; subscribing again to an event costs nothing.
     */
    private void subscription(ToServer.SubscriptionRequest request) {
        String name = request.eventName();
        boolean subscribe = request.subscribe();
        if (subscribe) {
            int max = config.maxSubscriptionsPerConnection();
            if (!subscriptions.contains(name) && subscriptions.size() >= max) {
                fail(
                        new ActorError(
                                "actor",
                                "too_many_subscriptions",
                                "A connection may subscribe to at most "
                                        + max
                                        + " events (maxSubscriptionsPerConnection)"),
                        CLOSE_ERROR);
                return;
            }
            subscriptions.add(name);
        } else {
            subscriptions.remove(name);
        }
        boolean queued = !ready.isDone();
        if (queued
                && queuedSubscriptionChanges.incrementAndGet() > MAX_QUEUED_SUBSCRIPTION_CHANGES) {
            fail(
                    new ActorError(
                            "actor",
                            "overloaded",
                            "Too many subscription changes before the connection was accepted."),
                    CLOSE_ERROR);
            return;
        }
        ready =
                ready.thenApply(
                        handle -> {
                            if (queued) {
                                queuedSubscriptionChanges.decrementAndGet();
                            }
                            try {
                                if (subscribe) {
                                    handle.subscribe(name);
                                } else {
                                    handle.unsubscribe(name);
                                }
                            } catch (ActorError e) {
                                // On a cluster, the actor's owner could not be reached
                                // (actor.moving): its client reconnects and subscribes again.
                                fail(e, CLOSE_ERROR);
                            } catch (RuntimeException e) {
                                log.error("subscribing a connection to {} failed", query, e);
                                fail(
                                        new ActorError(
                                                "rivetkit",
                                                "internal_error",
                                                "An internal error occurred"),
                                        CLOSE_ERROR);
                            }
                            return handle;
                        });
    }

    private void runAction(Placement.ConnectionHandle handle, ToServer.ActionRequest request) {
        long start = System.nanoTime();
        boolean ok = false;
        try {
            Object result =
                    handle.invoke(
                            new ActionCall(
                                    request.name(), WireValues.arguments(request.args()), null));
            send(new ToClient.ActionResponse(request.id(), values.tree(result)));
            ok = true;
        } catch (ActorError e) {
            send(
                    new ToClient.Error(
                            e.group(),
                            e.code(),
                            e.message(),
                            e.metadata().isEmpty() ? null : values.tree(e.metadata()),
                            request.id(),
                            HttpRoutes.specifier(handle)));
        } catch (RuntimeException e) {
            log.error("action {} failed outside the actor", request.name(), e);
            send(
                    new ToClient.Error(
                            "rivetkit",
                            "internal_error",
                            "An internal error occurred",
                            null,
                            request.id(),
                            HttpRoutes.specifier(handle)));
        } finally {
            metrics.action(true, ok, start);
        }
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        fairReads.pingRead(session, payload);
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        fairReads.frameRead();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        sockets.remove(this);
        // Work still waiting for the connection to open is dropped; a connection that opens now is
        // closed at once.
        opened.completeExceptionally(new CancellationException("the WebSocket closed"));
        opened.thenAccept(Placement.ConnectionHandle::close);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        log.debug("connection to {} failed", query, cause);
    }

    // ---------------------------------------------------------------- ConnectionSink

    @Override
    public void send(ActorEvent event) {
        sendFrame(
                event.encoded(
                        encoding, e -> frame(new ToClient.Event(e.name(), values.array(e.args())))),
                null,
                false);
    }

    @Override
    public void close(String reason, @Nullable ActorError error) {
        if (error == null) {
            closeAfterQueued(CLOSE_NORMAL, reason);
        } else {
            closeAfterQueued(CLOSE_ERROR, error.qualifiedCode());
        }
    }

    /**
     * As RivetKit's actor-connect sockets: open across the actor's sleep; the next frame wakes it.
     */
    @Override
    public boolean hibernatable() {
        return true;
    }

    /** Closes with a lifecycle signal that the official client answers by reconnecting. */
    void goAway() {
        closeAfterQueued(CLOSE_ERROR, "ws.going_away");
    }

    /** Closes once the frames sent before are written, so that none is lost to the close. */
    private void closeAfterQueued(int code, String reason) {
        Session current = session;
        Outbox queue = outbox;
        if (current != null && queue != null) { // both are set together when the socket opens
            queue.afterQueued(() -> current.close(code, reason, Callback.NOOP));
        }
    }

    /** See {@link FairReads#pingOrDrop}. */
    void ping(long silenceNanos) {
        fairReads.pingOrDrop(session, silenceNanos, metrics, query);
    }

    // ---------------------------------------------------------------- frames

    private void send(ToClient message) {
        sendFrame(frame(message), null, true);
    }

    /** A frame's payload in this connection's encoding (UTF-8 text for JSON). */
    private byte[] frame(ToClient message) {
        return ClientProtocol.encode(encoding, message);
    }

    /**
     * Queues a frame (see {@link Outbox#offer}); {@code then} (or null) runs once it is written (or
     * failed).
     */
    private void sendFrame(byte[] frame, @Nullable Runnable then, boolean writeHere) {
        Session current = session;
        Outbox queue = outbox;
        if (current == null || queue == null || !current.isOpen()) {
            return;
        }
        if (!queue.offer(frame, then, writeHere) && slowConsumer.compareAndSet(false, true)) {
            log.warn(
                    "closing a connection to {}: {} bytes wait to be sent",
                    query,
                    queue.pendingBytes() + frame.length);
            metrics.slowConsumerClosed();
            current.close(CLOSE_ERROR, "ws.slow_consumer", Callback.NOOP);
        }
    }

    /**
     * A connection-level error: the Error frame, then the close. The official client decodes
     * messages asynchronously and would handle a close that follows at once before the error;
     * behind the engine the two arrive apart, so the close waits a moment (long enough for a client
     * on a busy machine).
     */
    private void fail(ActorError error, int closeCode) {
        failed.set(true);
        Session current = session;
        if (current == null) {
            return; // nothing to send on, nor to close
        }
        sendFrame(
                frame(
                        new ToClient.Error(
                                error.group(),
                                error.code(),
                                error.message(),
                                error.metadata().isEmpty() ? null : values.tree(error.metadata()),
                                null,
                                null)),
                () ->
                        CLOSE_LATER.execute(
                                () ->
                                        current.close(
                                                closeCode, error.qualifiedCode(), Callback.NOOP)),
                true);
    }
}
