package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.spi.ConnectionRestorer;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The records of an actor's connections that outlive its moves (their sink has an {@link
 * ConnectionSink#address}), kept in its key-value store under {@value #PREFIX}: id, params, state,
 * subscriptions and address. Written in the transaction of the state, as the outcomes of keyed
 * calls are ({@link DurableOutcomes}), and read by the next activation, on any node, which restores
 * them.
 *
 * <p>Changes may be reported from any thread (a subscription needs no turn); the batch is made
 * holding the turn.
 */
final class ConnRecords {
    private static final Logger log = LoggerFactory.getLogger(ConnRecords.class);
    static final String PREFIX = "~rivetkit/conn/";

    /** What is kept of a connection. */
    record Kept(
            String address, JsonNode params, @Nullable Object state, List<String> subscriptions) {}

    private final ActorRuntime runtime;
    private final String actorId;

    /**
     * Connections whose record the next write must put (or delete, once they are gone), with the
     * number of their newest change: every write carries them until one that did commits.
     */
    private final Map<String, Long> unwritten = new ConcurrentHashMap<>();

    private final AtomicLong changes = new AtomicLong();

    ConnRecords(ActorRuntime runtime, String actorId) {
        this.runtime = runtime;
        this.actorId = actorId;
    }

    /** The connection opened, changed or went: its record is to be written. */
    void changed(String connectionId) {
        unwritten.put(connectionId, changes.incrementAndGet());
    }

    /** Whether some record is yet to be written. */
    boolean changed() {
        return !unwritten.isEmpty();
    }

    /**
     * Turn: adds the unwritten records of {@code conns} (deletes for those no longer there) to
     * {@code batch}; pass the result to {@link #confirmed} once the batch commits.
     */
    Map<String, Long> addTo(KvBatch.Builder batch, Map<String, ConnImpl> conns) {
        Map<String, Long> carried = Map.copyOf(unwritten);
        carried.forEach(
                (id, change) -> {
                    ConnImpl conn = conns.get(id);
                    if (conn == null || conn.closed || conn.address == null) {
                        batch.delete(PREFIX + id);
                    } else {
                        batch.put(PREFIX + id, write(conn, conn.address));
                    }
                });
        return carried;
    }

    /** Saver thread: the records carried are durable, unless they changed again since. */
    void confirmed(Map<String, Long> carried) {
        carried.forEach(unwritten::remove);
    }

    private byte[] write(ConnImpl conn, String address) {
        List<String> subscriptions = List.copyOf(conn.subscriptions);
        try {
            return runtime.json().write(new Kept(address, conn.params, conn.state, subscriptions));
        } catch (RuntimeException e) {
            log.warn(
                    "actor {}: the state of connection {} cannot be written as JSON; it is kept without it",
                    actorId,
                    conn.id);
            return runtime.json().write(new Kept(address, conn.params, null, subscriptions));
        }
    }

    /**
     * Turn, at start: the kept connections not among {@code present}, each with a sink from {@code
     * restorer}, for {@code cell}. An unreadable record is logged and deleted.
     */
    List<ConnImpl> restore(
            ActorCell<?, ?> cell, ConnectionRestorer restorer, Map<String, ConnImpl> present) {
        List<ConnImpl> restored = new ArrayList<>();
        runtime.forEachKv(
                actorId,
                PREFIX,
                entry -> {
                    String id = entry.key().substring(PREFIX.length());
                    if (present.containsKey(id)) {
                        return;
                    }
                    Kept kept;
                    try {
                        kept =
                                runtime.json()
                                        .read(runtime.json().readTree(entry.value()), Kept.class);
                    } catch (IOException | RuntimeException e) {
                        log.warn(
                                "actor {}: connection record {} is unreadable; deleted",
                                actorId,
                                id);
                        changed(id);
                        return;
                    }
                    ConnImpl conn =
                            new ConnImpl(cell, id, kept.params(), restorer.sinkAt(kept.address()));
                    conn.state = kept.state();
                    conn.subscriptions.addAll(kept.subscriptions());
                    restored.add(conn);
                });
        return restored;
    }
}
