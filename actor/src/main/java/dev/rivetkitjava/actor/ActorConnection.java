package dev.rivetkitjava.actor;

import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to one actor, in process: {@code handle.connect()} in RivetKit's client. Listeners
 * run in event order on a virtual thread of this connection, never on the actor's turn, so they may
 * call the actor back.
 */
public final class ActorConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ActorConnection.class);

    private final Json json;
    private final Map<String, List<Consumer<Object>>> listeners = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final List<Consumer<String>> closeListeners = new CopyOnWriteArrayList<>();
    private final Placement.ConnectionHandle handle;
    private volatile @Nullable String closeReason;

    ActorConnection(Placement placement, Json json, ActorQuery query, @Nullable Object params) {
        this.json = json;
        this.handle =
                placement.connect(
                        query,
                        params,
                        new ConnectionSink() {
                            @Override
                            public void send(ActorEvent event) {
                                enqueue(() -> dispatch(event));
                            }

                            @Override
                            public void close(String reason, @Nullable ActorError error) {
                                closeReason = error != null ? error.qualifiedCode() : reason;
                                enqueue(() -> closeListeners.forEach(l -> l.accept(closeReason)));
                            }
                        });
    }

    /**
     * Listens to {@code event}, reading its first argument as {@code type}; close the result to
     * stop.
     */
    public <T> Subscription on(String event, Class<T> type, Consumer<? super T> listener) {
        Consumer<Object> raw =
                args -> listener.accept(json.convert(args, type, "event `" + event + "`"));
        List<Consumer<Object>> forEvent =
                listeners.computeIfAbsent(event, e -> new CopyOnWriteArrayList<>());
        forEvent.add(raw);
        handle.subscribe(event);
        return () -> {
            if (forEvent.remove(raw) && forEvent.isEmpty()) {
                handle.unsubscribe(event);
            }
        };
    }

    /** Called with the reason when the actor closes this connection. */
    public void onClose(Consumer<String> listener) {
        closeListeners.add(listener);
    }

    public <R> @Nullable R action(String name, Class<R> resultType, Object... args) {
        return call(ActionCall.of(name, args), resultType);
    }

    public <R> @Nullable R call(ActionCall call, Class<R> resultType) {
        return json.convert(handle.invoke(call), resultType, "the result of `" + call.name() + "`");
    }

    public String actorId() {
        return handle.actorId();
    }

    public String connectionId() {
        return handle.connectionId();
    }

    /** Why the actor closed this connection, or null while open. */
    public @Nullable String closeReason() {
        return closeReason;
    }

    @Override
    public void close() {
        handle.close();
    }

    private void dispatch(ActorEvent event) {
        List<Consumer<Object>> forEvent = listeners.get(event.name());
        if (forEvent == null) {
            return;
        }
        Object first = event.args().isEmpty() ? null : event.args().get(0);
        for (Consumer<Object> listener : forEvent) {
            try {
                listener.accept(first);
            } catch (RuntimeException e) {
                log.error("a listener of event `{}` failed", event.name(), e);
            }
        }
    }

    private void enqueue(Runnable task) {
        inbox.add(task);
        if (draining.compareAndSet(false, true)) {
            Thread.startVirtualThread(this::drain);
        }
    }

    private void drain() {
        while (true) {
            for (Runnable task; (task = inbox.poll()) != null; ) {
                task.run();
            }
            draining.set(false);
            if (inbox.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
