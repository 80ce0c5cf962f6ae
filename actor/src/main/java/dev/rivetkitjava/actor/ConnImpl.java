package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to this activation; events are handed to the sink in order, off the caller's thread.
 */
final class ConnImpl implements Conn, Placement.ConnectionHandle {
    private static final Logger log = LoggerFactory.getLogger(ConnImpl.class);

    /**
     * The activation it belongs to; a hibernatable connection moves to the next one when the actor
     * wakes.
     */
    volatile ActorCell<?, ?> cell;

    final boolean hibernatable;

    /**
     * Where its sink can be reached from another process, for a hibernatable connection kept in the
     * actor's storage ({@link ConnRecords}); null for the others.
     */
    final @Nullable String address;

    /**
     * Changed while no activation could write its record (it hibernated): the next one writes it.
     */
    volatile boolean recordStale;

    final String id;
    final JsonNode params;
    final ConnectionSink sink;
    final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
    volatile @Nullable Object state;
    volatile boolean closed;

    ConnImpl(ActorCell<?, ?> cell, String id, JsonNode params, ConnectionSink sink) {
        this.cell = cell;
        this.id = id;
        this.params = params;
        this.sink = sink;
        this.hibernatable = sink.hibernatable();
        this.address = hibernatable ? sink.address() : null;
    }

    /** Its record is to be written again, if it has one. */
    private void changed() {
        if (address != null) {
            recordStale = !cell.connChanged(this);
        }
    }

    void deliver(ActorEvent event) {
        try {
            sink.send(event);
        } catch (RuntimeException e) {
            log.warn(
                    "connection {} of actor {} failed to take an event; closing it",
                    id,
                    cell.id,
                    e);
            cell.disconnect(this, "connection.failed");
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public JsonNode params() {
        return params;
    }

    @Override
    public <T> @Nullable T params(Class<T> type) {
        return cell.runtime.json().convert(params, type, "connection params");
    }

    @Override
    public @Nullable Object state() {
        return state;
    }

    @Override
    public <T> @Nullable T state(Class<T> type) {
        return cell.runtime.json().convert(state, type, "connection state");
    }

    @Override
    public void setState(Object state) {
        this.state = state;
        changed();
    }

    @Override
    public boolean isSubscribed(String event) {
        return subscriptions.contains(event);
    }

    @Override
    public void send(String event, Object... args) {
        deliver(new ActorEvent(event, Arrays.asList(args)));
    }

    @Override
    public void disconnect(String reason) {
        cell.runtime.executor().execute(() -> cell.disconnect(this, reason == null ? "" : reason));
    }

    @Override
    public String actorId() {
        return cell.id;
    }

    @Override
    public String connectionId() {
        return id;
    }

    @Override
    public ActorKey key() {
        return cell.key;
    }

    @Override
    public long generation() {
        return cell.generation();
    }

    @Override
    public @Nullable Object invoke(ActionCall call) {
        long start = System.nanoTime();
        while (true) {
            ActorCell<?, ?> current = cell;
            Object result = current.invoke(call, this, start);
            if (result != ActorCell.RETRY) {
                return result;
            }
            if (!hibernatable || closed) {
                throw ActorErrors.stopped(current.id);
            }
            // The actor slept under this connection: wake it, which moves this connection to the
            // new activation.
            current.runtime.wake(current.id);
        }
    }

    @Override
    public void subscribe(String event) {
        if (subscriptions.add(event)) {
            changed();
        }
    }

    @Override
    public void unsubscribe(String event) {
        if (subscriptions.remove(event)) {
            changed();
            ActorCell<?, ?> current = cell;
            if (current.type.onUnsubscribe() != null) {
                current.runtime.executor().execute(() -> current.unsubscribed(this, event));
            }
        }
    }

    @Override
    public void close() {
        ActorCell<?, ?> current = cell;
        if (!current.runtime.dropHibernated(current.id, this)) {
            current.disconnect(this, null);
        }
        closed = true;
    }
}
