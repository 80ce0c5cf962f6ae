package dev.rivetkitjava.actor;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionRestorer;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.LocalPlacement;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.actor.spi.RuntimeStats;
import dev.rivetkitjava.actor.store.ActorAlarm;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.NewActor;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The placement that runs every actor in this process: a directory of awake actors by id (and a key
 * → id cache), activation on first call, durable alarms for schedules, and shutdown.
 */
final class ActorRuntime implements LocalPlacement {
    private static final Logger log = LoggerFactory.getLogger(ActorRuntime.class);
    private static final char[] ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private record NameKey(String name, ActorKey key) {}

    private final Map<String, ActorType<?, ?>> types;
    private final ActorStore store;
    private final ActorClock clock;
    private final Json json;
    private final StateSaver saver;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Duration defaultSleepTimeout;
    private final Duration defaultActionTimeout;
    private final Duration stopGracePeriod;
    private final Duration saveTimeout;
    private final boolean exposeInternalErrors;
    private final boolean durableIdempotency;

    /**
     * Where due scheduled calls go: this runtime, or the placement that wraps it (to reach the
     * actor's owner).
     */
    private volatile Placement scheduleRouter = this;

    private final CopyOnWriteArrayList<Consumer<String>> stopListeners =
            new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, ActorCell<?, ?>> cells = new ConcurrentHashMap<>();
    private final LongAdder fencedWrites = new LongAdder();
    private final ConcurrentHashMap<NameKey, String> idsByKey = new ConcurrentHashMap<>();

    /**
     * Connections that stay open while their actor sleeps, by actor id; they rejoin it when it
     * wakes.
     */
    private final ConcurrentHashMap<String, List<ConnImpl>> hibernated = new ConcurrentHashMap<>();

    private volatile boolean closed;

    /** Restores the connections an actor keeps in its storage when it starts here, if set. */
    private volatile @Nullable ConnectionRestorer connectionRestorer;

    /** Failed attempts of scheduled events being retried, by event id. */
    private final ConcurrentHashMap<String, Integer> scheduleAttempts = new ConcurrentHashMap<>();

    static final long SCHEDULE_FIRST_RETRY_MILLIS = 1_000;
    static final long SCHEDULE_MAX_RETRY_MILLIS = 300_000;

    ActorRuntime(Registry.Builder config) {
        this.types = Map.copyOf(config.types);
        // Registry.Builder.build() sets the in-memory store when none was given.
        this.store = Objects.requireNonNull(config.store, "store");
        this.clock = config.clock;
        this.json = new Json(config.mapper);
        this.defaultSleepTimeout = config.sleepTimeout;
        this.defaultActionTimeout = config.actionTimeout;
        this.stopGracePeriod = config.stopGracePeriod;
        this.saveTimeout = config.saveTimeout;
        this.exposeInternalErrors = config.exposeInternalErrors;
        this.durableIdempotency = config.durableIdempotency;
        this.saver = new StateSaver(store, config.saveInterval, config.saveTimeout);
        for (ActorAlarm alarm : store.alarms()) {
            armAlarm(alarm.actorId(), alarm.fireAtMillis());
        }
    }

    /** A write of an activation was refused: another one had claimed its actor since. */
    void fencedWrite() {
        fencedWrites.increment();
    }

    void routeSchedulesThrough(Placement placement) {
        this.scheduleRouter = placement;
    }

    boolean durableIdempotency() {
        return durableIdempotency;
    }

    @Override
    public boolean sleep(String actorId) {
        ActorCell<?, ?> cell = cells.get(actorId);
        if (cell == null) {
            return false;
        }
        cell.stop(ActorCell.StopReason.SLEEP);
        return true;
    }

    @Override
    public boolean awake(String actorId) {
        return cells.containsKey(actorId);
    }

    @Override
    public Set<String> awakeActorIds() {
        return Set.copyOf(cells.keySet());
    }

    @Override
    public void restoreConnectionsWith(ConnectionRestorer restorer) {
        this.connectionRestorer = restorer;
    }

    @Nullable ConnectionRestorer connectionRestorer() {
        return connectionRestorer;
    }

    @Override
    public void onActivationStopped(Consumer<String> listener) {
        stopListeners.add(listener);
    }

    @Override
    public ObjectMapper objectMapper() {
        return json.mapper();
    }

    @Override
    public ActorStore store() {
        return store;
    }

    /** Every key-value entry of the actor under {@code prefix}, in key order, read page by page. */
    void forEachKv(String actorId, String prefix, Consumer<KvEntry> action) {
        String after = null;
        while (true) {
            List<KvEntry> page = store.kvList(actorId, prefix, after, KV_PAGE);
            page.forEach(action);
            if (page.size() < KV_PAGE) {
                return;
            }
            after = page.getLast().key();
        }
    }

    private static final int KV_PAGE = 1000;

    ActorClock clock() {
        return clock;
    }

    Json json() {
        return json;
    }

    StateSaver saver() {
        return saver;
    }

    ExecutorService executor() {
        return executor;
    }

    Duration defaultSleepTimeout() {
        return defaultSleepTimeout;
    }

    Duration defaultActionTimeout() {
        return defaultActionTimeout;
    }

    Duration stopGracePeriod() {
        return stopGracePeriod;
    }

    Duration saveTimeout() {
        return saveTimeout;
    }

    @Override
    public RuntimeStats stats() {
        int hibernating = hibernated.values().stream().mapToInt(List::size).sum();
        return new RuntimeStats(
                cells.size(),
                hibernating,
                saver.batches(),
                saver.writes(),
                saver.nanos(),
                saver.failures(),
                saver.failingActors(),
                fencedWrites.sum());
    }

    @Override
    public RuntimeHealth health() {
        return saver.health();
    }

    // ---------------------------------------------------------------- Placement

    @Override
    public String resolve(ActorQuery query) {
        ActorCell<?, ?> cell = cachedCell(query);
        return cell != null ? cell.id : recordFor(query).id();
    }

    @Override
    public ActorRecord describe(ActorQuery query) {
        String id = resolve(query);
        return store.findById(id).orElseThrow(ActorErrors::notFound);
    }

    @Override
    public void destroy(String actorId) {
        while (!cellFor(new ActorQuery.ById(actorId)).destroyNow()) {
            // The activation stopped meanwhile: look the actor up again.
        }
    }

    @Override
    public @Nullable Object invoke(ActorQuery query, ActionCall call) {
        long start = System.nanoTime();
        while (true) {
            Object result = cellFor(query).invoke(call, null, start);
            if (result != ActorCell.RETRY) {
                return result;
            }
        }
    }

    @Override
    public RawResponse request(ActorQuery query, RawRequest request) {
        long start = System.nanoTime();
        while (true) {
            Object result = cellFor(query).request(request, start);
            if (result != ActorCell.RETRY) {
                if (!(result instanceof RawResponse response)) {
                    throw new ActorError(
                            "rivetkit", "internal_error", "onRequest returned no response");
                }
                return response;
            }
        }
    }

    @Override
    public void webSocket(ActorQuery query, RawWebSocket socket) {
        while (!cellFor(query).webSocket(socket)) {
            // The activation stopped meanwhile: look the actor up again.
        }
    }

    @Override
    public ConnectionHandle connect(
            ActorQuery query, @Nullable Object params, ConnectionSink sink) {
        while (true) {
            ConnImpl conn = cellFor(query).connect(params, sink);
            if (conn != null) {
                return conn;
            }
        }
    }

    @Override
    public Set<String> actorNames() {
        return types.keySet();
    }

    @Override
    public List<ActorRecord> list(String name, @Nullable ActorKey afterKey, int limit) {
        typeNamed(name);
        return store.list(name, afterKey, limit);
    }

    /** The activation the query names, made (not yet started) when the actor is not awake. */
    private ActorCell<?, ?> cellFor(ActorQuery query) {
        ActorCell<?, ?> cell = cachedCell(query);
        return cell != null ? cell : activate(recordFor(query));
    }

    /** The awake activation the query names, if any: a map lookup, no store access. */
    private @Nullable ActorCell<?, ?> cachedCell(ActorQuery query) {
        if (closed) {
            throw new ActorError("actor", "stopped", "The registry is shutting down.");
        }
        return switch (query) {
            case ActorQuery.ById q -> cells.get(q.actorId());
            case ActorQuery.Get q -> cachedCell(q.name(), q.key());
            case ActorQuery.GetOrCreate q -> cachedCell(q.name(), q.key());
            case ActorQuery.Create q -> null;
        };
    }

    private @Nullable ActorCell<?, ?> cachedCell(String name, ActorKey key) {
        typeNamed(name);
        String id = idsByKey.get(new NameKey(name, key));
        return id == null ? null : cells.get(id);
    }

    /** The stored actor the query names, created when the query says so. */
    private ActorRecord recordFor(ActorQuery query) {
        return switch (query) {
            case ActorQuery.ById q ->
                    store.findById(q.actorId()).orElseThrow(ActorErrors::notFound);
            case ActorQuery.Get q ->
                    store.findByKey(q.name(), q.key()).orElseThrow(ActorErrors::notFound);
            case ActorQuery.GetOrCreate q ->
                    store.findByKey(q.name(), q.key())
                            .orElseGet(
                                    () ->
                                            store.insertIfAbsent(
                                                    newActor(q.name(), q.key(), q.input())));
            case ActorQuery.Create q -> {
                NewActor fresh = newActor(q.name(), q.key(), q.input());
                ActorRecord record = store.insertIfAbsent(fresh);
                if (!record.id().equals(fresh.id())) {
                    throw ActorErrors.duplicateKey(q.key(), record.id());
                }
                yield record;
            }
        };
    }

    private NewActor newActor(String name, ActorKey key, @Nullable Object input) {
        typeNamed(name);
        key.serialize(); // validates the serialized length
        return new NewActor(
                newId(), name, key, clock.nowMillis(), input == null ? null : json.write(input));
    }

    private ActorCell<?, ?> activate(ActorRecord record) {
        ActorType<?, ?> type = typeNamed(record.name());
        ActorCell<?, ?> cell = cells.computeIfAbsent(record.id(), id -> newCell(type, record));
        idsByKey.put(new NameKey(record.name(), record.key()), record.id());
        return cell;
    }

    private <S, V> ActorCell<S, V> newCell(ActorType<S, V> type, ActorRecord record) {
        return new ActorCell<>(this, type, record);
    }

    private ActorType<?, ?> typeNamed(String name) {
        ActorType<?, ?> type = types.get(name);
        if (type == null) {
            throw ActorErrors.unknownActorType(name);
        }
        return type;
    }

    void hibernate(String actorId, ConnImpl conn) {
        hibernated.computeIfAbsent(actorId, id -> new CopyOnWriteArrayList<>()).add(conn);
    }

    /** The connections waiting for this actor to wake; they are handed over once. */
    List<ConnImpl> takeHibernated(String actorId) {
        List<ConnImpl> conns = hibernated.remove(actorId);
        return conns == null ? List.of() : conns;
    }

    /**
     * @return whether the connection was hibernating (and no longer is)
     */
    boolean dropHibernated(String actorId, ConnImpl conn) {
        boolean[] dropped = {false};
        hibernated.computeIfPresent(
                actorId,
                (id, conns) -> {
                    dropped[0] = conns.remove(conn);
                    return conns.isEmpty() ? null : conns;
                });
        return dropped[0];
    }

    /** Wakes the actor (a hibernated connection's next call). */
    @Override
    public void wake(String actorId) {
        while (!cellFor(new ActorQuery.ById(actorId)).wake()) {
            // The activation stopped meanwhile: look the actor up again.
        }
    }

    /** A stopped activation leaves the directory so the next call starts a new one. */
    void forget(ActorCell<?, ?> cell) {
        boolean removed = cells.remove(cell.id, cell);
        idsByKey.remove(new NameKey(cell.type.name(), cell.key), cell.id);
        if (removed) {
            for (Consumer<String> listener : stopListeners) {
                try {
                    listener.accept(cell.id);
                } catch (RuntimeException e) {
                    log.warn("a listener of stopped activations failed", e);
                }
            }
        }
    }

    // ---------------------------------------------------------------- schedules

    void armAlarm(String actorId, long atMillis) {
        clock.schedule(atMillis, () -> fireDue(actorId));
    }

    /**
     * Runs the actor's due scheduled calls (waking it), at least once each: an event is removed
     * from the store once its call succeeded or failed in the actor's own code (a {@link UserError}
     * or an exception it threw). A call that did not get to run or finish (a timeout, a failed
     * wake, a shutdown, a save that failed) fires again with back-off; an event whose action no
     * longer exists is reported and dropped. A duplicate timer for the same event finds it gone, or
     * deduplicated by the call's idempotency key while it runs.
     */
    private void fireDue(String actorId) {
        if (closed) {
            return;
        }
        ActorRecord record;
        List<ScheduledEvent> events;
        try {
            record = store.findById(actorId).orElse(null);
            events = record == null ? List.of() : store.schedules(actorId);
        } catch (RuntimeException e) {
            log.error(
                    "the scheduled calls of actor {} could not be read; trying again in {} ms",
                    actorId,
                    SCHEDULE_FIRST_RETRY_MILLIS,
                    e);
            armAlarm(actorId, clock.nowMillis() + SCHEDULE_FIRST_RETRY_MILLIS);
            return;
        }
        if (record == null) {
            return;
        }
        if (!types.containsKey(record.name())) {
            log.warn(
                    "actor {} has scheduled events but its type `{}` is not registered here",
                    actorId,
                    record.name());
            return;
        }
        long now = clock.nowMillis();
        for (ScheduledEvent event : events) {
            if (event.fireAtMillis() > now) {
                // After a restart only each actor's earliest event was armed: arm the next one now.
                armAlarm(actorId, event.fireAtMillis());
                break;
            }
            fire(event);
        }
    }

    private void fire(ScheduledEvent event) {
        String actorId = event.actorId();
        int attempt = scheduleAttempts.getOrDefault(event.id(), 0);
        // A new key per attempt: the idempotency cache would answer a retry with the failed first
        // outcome.
        String idempotencyKey = "schedule:" + event.id() + (attempt == 0 ? "" : ":" + attempt);
        boolean done;
        try {
            scheduleRouter.invoke(
                    new ActorQuery.ById(actorId),
                    new ActionCall(event.action(), readArgs(event), idempotencyKey));
            done = true;
        } catch (ActorError e) {
            if (e.group().equals("user") || e instanceof ActorErrors.CodeFailed) {
                log.error(
                        "scheduled call `{}` of actor {} failed: {}",
                        event.action(),
                        actorId,
                        e.toString());
                done = true;
            } else if (e.qualifiedCode().equals("actor.action_not_found")) {
                log.warn(
                        "scheduled call `{}` of actor {} names an action that does not exist (any more); dropped",
                        event.action(),
                        actorId);
                done = true;
            } else if (e.qualifiedCode().equals("actor.not_found")) {
                done = true; // the actor is gone, and its schedules with it
            } else {
                done = false;
                retryLater(event, attempt, e.toString());
            }
        } catch (RuntimeException e) {
            log.error("scheduled call `{}` of actor {} failed", event.action(), actorId, e);
            done = false;
            retryLater(event, attempt, e.toString());
        }
        if (done) {
            try {
                store.deleteSchedule(actorId, event.id());
                scheduleAttempts.remove(event.id());
            } catch (RuntimeException e) {
                log.error(
                        "scheduled call `{}` of actor {} ran, but its event could not be removed; it may run again",
                        event.action(),
                        actorId,
                        e);
                retryLater(event, attempt, e.toString());
            }
        }
    }

    /**
     * Fires the event again after a back-off (1 s doubling to 5 min), moved in the store so a
     * restart keeps it.
     */
    private void retryLater(ScheduledEvent event, int attempt, String why) {
        scheduleAttempts.put(event.id(), attempt + 1);
        long delay =
                Math.min(
                        SCHEDULE_MAX_RETRY_MILLIS,
                        SCHEDULE_FIRST_RETRY_MILLIS << Math.min(attempt, 20));
        long at = clock.nowMillis() + delay;
        log.warn(
                "scheduled call `{}` of actor {} did not complete ({}); it fires again in {} ms (attempt {})",
                event.action(),
                event.actorId(),
                why,
                delay,
                attempt + 2);
        try {
            store.putSchedule(
                    new ScheduledEvent(
                            event.id(), event.actorId(), at, event.action(), event.args()));
        } catch (RuntimeException e) {
            log.warn(
                    "scheduled event {} of actor {} could not be moved to its retry time: {}",
                    event.id(),
                    event.actorId(),
                    e.toString());
        }
        if (!closed) {
            armAlarm(event.actorId(), at);
        }
    }

    private List<Object> readArgs(ScheduledEvent event) {
        byte[] args = event.args();
        if (args == null) {
            return List.of();
        }
        try {
            return json.mapper()
                    .readValue(
                            args,
                            json.mapper()
                                    .getTypeFactory()
                                    .constructCollectionType(List.class, Object.class));
        } catch (IOException e) {
            log.error(
                    "scheduled event {} of actor {} has unreadable arguments; calling with none",
                    event.id(),
                    event.actorId(),
                    e);
            return List.of();
        }
    }

    // ---------------------------------------------------------------- errors

    /**
     * What a caller sees of a failure: framework and user errors as they are, anything else as
     * internal.
     */
    ActorError toActorError(Throwable error, ActorCell<?, ?> cell, String what) {
        if (error instanceof ActorError actorError) {
            return actorError;
        }
        if (error instanceof StackOverflowError) {
            // Thousands of identical frames would drown the log; the top ones say where.
            StackTraceElement[] top =
                    java.util.Arrays.copyOf(
                            error.getStackTrace(), Math.min(8, error.getStackTrace().length));
            log.error(
                    "actor {} ({} {}) overflowed its stack in `{}` at {}",
                    cell.id,
                    cell.type.name(),
                    cell.key,
                    what,
                    java.util.Arrays.toString(top));
        } else {
            log.error(
                    "actor {} ({} {}) failed in `{}`",
                    cell.id,
                    cell.type.name(),
                    cell.key,
                    what,
                    error);
        }
        if (exposeInternalErrors) {
            return new ActorError(
                    "rivetkit", "internal_error", String.valueOf(error), Map.of(), error);
        }
        return ActorErrors.internal(error);
    }

    static String newId() {
        char[] id = new char[24];
        for (int i = 0; i < id.length; i++) {
            id[i] = ID_ALPHABET[RANDOM.nextInt(ID_ALPHABET.length)];
        }
        return new String(id);
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> stops = new ArrayList<>();
        for (ActorCell<?, ?> cell : cells.values()) {
            stops.add(() -> cell.stop(ActorCell.StopReason.SHUTDOWN));
        }
        try (ExecutorService stopping = Executors.newVirtualThreadPerTaskExecutor()) {
            stops.forEach(stopping::execute);
        }
        ActorError stopping = new ActorError("actor", "stopped", "The server is shutting down.");
        hibernated
                .values()
                .forEach(
                        conns ->
                                conns.forEach(
                                        conn -> conn.sink.close(stopping.message(), stopping)));
        hibernated.clear();
        saver.close();
        executor.shutdown();
        store.close();
    }
}
