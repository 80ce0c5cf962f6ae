package dev.rivetkitjava.sandboxagent.persist.actor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.rivetkitjava.actor.ActorContext;
import dev.rivetkitjava.actor.ActorKv;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.sandboxagent.persist.Cursors;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Sandbox Agent sessions and events kept by an actor: the Java twin of
 * {@code @sandbox-agent/persist-rivet}. The sessions (few and small) live in a {@link
 * PersistedSessions} field of the actor's state; the events live in the actor's key-value store
 * ({@link ActorContext#kv()}), one entry per event, so an insert writes only the new events instead
 * of the whole state. Make it in {@code createVars}:
 *
 * <pre>{@code
 * record WorkspaceState(String sandboxId, String baseUrl, PersistedSessions sessions) {}
 * SessionPersistDriver persist = ActorStatePersistDriver.of(c, WorkspaceState::sessions);
 * }</pre>
 *
 * <p>Every call may come from any thread (the SDK's, not an action's) and is durable when it
 * returns. Session calls take the actor's turn ({@link ActorContext#withTurn}) and save the state;
 * event calls do not take the turn: one {@code insertEvents} is one atomic key-value write of its
 * new events and of the deletes of the oldest events beyond {@code maxEventsPerSession} (500, as
 * upstream). At most {@code maxSessions} sessions (1024) are kept; the oldest are evicted with
 * their events.
 *
 * <p>Events are under the keys {@code sandbox-agent/events/<length of the session id>:<session
 * id>/<event index, 19 digits>}, so each session's events are one key range in index order (the
 * length keeps a session id that is a prefix of another apart from it). Events that an older
 * version kept in the state are moved to the key-value store on the activation's first call, which
 * therefore takes the turn once (in {@code createVars}, say).
 *
 * <p>What must be durable with the events can go in the same write: give the builder an {@link
 * EventWriter}, which adds its changes to each event write and writes it (the workspace's timeline
 * does, so that an agent event costs one durable write, not two).
 *
 * <p>The driver belongs to one activation and is the only writer of its actor's events (it keeps
 * their indexes in memory): make one per activation, in {@code createVars}. Once the actor sleeps,
 * calls fail with {@code actor.stopped}; keep the actor awake while the SDK uses it.
 */
public final class ActorStatePersistDriver implements SessionPersistDriver {
    private static final Comparator<SessionRecord> SESSION_ORDER =
            Comparator.comparingLong(SessionRecord::createdAt).thenComparing(SessionRecord::id);

    /**
     * Buffers from a shared pool: the default keeps them per thread, and the SDK writes on
     * short-lived ones.
     */
    private static final ObjectMapper JSON =
            JsonMapper.builder(
                            JsonFactory.builder()
                                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                                    .build())
                    .build();

    private static final String EVENTS = "sandbox-agent/events/";

    /** Enough entries per read to load a session's events in one or two round trips. */
    private static final int READ_CHUNK = 1000;

    private final ActorContext<?, ?> context;
    private final Callable<PersistedSessions> sessionsInState;
    private final int maxSessions;
    private final int maxEventsPerSession;
    private final EventWriter eventWriter;

    /**
     * Serialises event writes, which do not hold the turn. Never take the turn while holding it.
     */
    private final ReentrantLock eventWrites = new ReentrantLock();

    /**
     * By session: the stored events' ids by index, loaded on first write. Guarded by {@link
     * #eventWrites}.
     */
    private final Map<String, TreeMap<Long, String>> storedEventIds = new HashMap<>();

    private volatile boolean legacyEventsMoved;

    private ActorStatePersistDriver(Builder<?> builder) {
        this.context = builder.context;
        this.sessionsInState = builder::persisted;
        this.maxSessions = builder.maxSessions;
        this.maxEventsPerSession = builder.maxEventsPerSession;
        this.eventWriter =
                builder.eventWriter != null
                        ? builder.eventWriter
                        : (sessionId, added, changes) -> kv().write(changes.build());
    }

    /**
     * An event an insert adds, with its JSON as the driver stores it (written once, reused by an
     * event writer).
     */
    public record AddedEvent(SessionEvent event, byte[] json) {}

    /**
     * Writes an insert's changes to the actor's key-value store, in one atomic write, with anything
     * else.
     */
    @FunctionalInterface
    public interface EventWriter {
        /**
         * Writes {@code changes} — the puts of {@code added} (the events this insert adds, in index
         * order; the oldest of them are not put when one insert brings more than the cap) and the
         * deletes of the events past the cap — in one atomic key-value write, adding to it whatever
         * must be durable with them; durable when it returns, or throws and writes nothing. Called
         * one at a time, under the driver's event lock (take no actor turn in it).
         */
        void write(String sessionId, List<AddedEvent> added, KvBatch.Builder changes);
    }

    /**
     * A driver with the default caps on the {@link PersistedSessions} that {@code sessions} finds
     * in the state.
     */
    public static <S> ActorStatePersistDriver of(
            ActorContext<S, ?> c, Function<? super S, PersistedSessions> sessions) {
        return builder(c, sessions).build();
    }

    public static <S> Builder<S> builder(
            ActorContext<S, ?> c, Function<? super S, PersistedSessions> sessions) {
        return new Builder<>(c, sessions);
    }

    /** Configures the caps. */
    public static final class Builder<S> {
        private final ActorContext<S, ?> context;
        private final Function<? super S, PersistedSessions> sessions;
        private int maxSessions = InMemorySessionPersistDriver.DEFAULT_MAX_SESSIONS;
        private int maxEventsPerSession =
                InMemorySessionPersistDriver.DEFAULT_MAX_EVENTS_PER_SESSION;
        private @Nullable EventWriter eventWriter;

        private Builder(
                ActorContext<S, ?> context, Function<? super S, PersistedSessions> sessions) {
            this.context = Objects.requireNonNull(context, "context");
            this.sessions = Objects.requireNonNull(sessions, "sessions");
        }

        public Builder<S> maxSessions(int maxSessions) {
            this.maxSessions = atLeastOne(maxSessions, "maxSessions");
            return this;
        }

        public Builder<S> maxEventsPerSession(int maxEventsPerSession) {
            this.maxEventsPerSession = atLeastOne(maxEventsPerSession, "maxEventsPerSession");
            return this;
        }

        /** Who writes each insert's changes (default: the actor's key-value store, alone). */
        public Builder<S> eventWriter(EventWriter eventWriter) {
            this.eventWriter = Objects.requireNonNull(eventWriter, "eventWriter");
            return this;
        }

        public ActorStatePersistDriver build() {
            return new ActorStatePersistDriver(this);
        }

        private static int atLeastOne(int cap, String what) {
            if (cap < 1) {
                throw new IllegalArgumentException(what + " must be at least 1, got " + cap);
            }
            return cap;
        }

        /** Turn held. */
        private PersistedSessions persisted() {
            PersistedSessions found = sessions.apply(context.state());
            if (found == null) {
                throw new IllegalStateException(
                        "the state of actor "
                                + context.actorId()
                                + " has no "
                                + "PersistedSessions where the persist driver looks: create one in createState");
            }
            return found;
        }
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return inTurn(() -> Optional.ofNullable(sessionsInState.call().sessions.get(id)));
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        Cursors.SessionPosition after = Cursors.sessionAfter(request);
        return inTurn(
                () -> {
                    List<SessionRecord> rows =
                            sessionsInState.call().sessions.values().stream()
                                    .filter(
                                            session ->
                                                    after == null
                                                            || session.createdAt()
                                                                    > after.createdAt()
                                                            || session.createdAt()
                                                                            == after.createdAt()
                                                                    && session.id()
                                                                                    .compareTo(
                                                                                            after
                                                                                                    .id())
                                                                            > 0)
                                    .sorted(SESSION_ORDER)
                                    .limit(request.limit() + 1L)
                                    .toList();
                    return ListPage.ofLookahead(rows, request.limit(), Cursors::afterSession);
                });
    }

    @Override
    public void updateSession(SessionRecord session) {
        Objects.requireNonNull(session, "session");
        List<String> evicted =
                inTurn(
                        () -> {
                            PersistedSessions persisted = sessionsInState.call();
                            persisted.sessions.put(session.id(), session);
                            List<String> oldest = new ArrayList<>();
                            while (persisted.sessions.size() > maxSessions) {
                                SessionRecord first =
                                        persisted.sessions.values().stream()
                                                .min(SESSION_ORDER)
                                                .orElseThrow();
                                persisted.sessions.remove(first.id());
                                oldest.add(first.id());
                            }
                            context.saveState();
                            return oldest;
                        });
        if (!evicted.isEmpty()) {
            // After the state save, outside the turn: a crash in between leaves events no session
            // lists, never a
            // session without its events.
            moveLegacyEvents();
            eventWrites.lock();
            try {
                KvBatch.Builder deletes = KvBatch.builder();
                evicted.forEach(id -> deletes.deletePrefix(eventPrefix(id)));
                kv().write(deletes.build());
                evicted.forEach(storedEventIds::remove);
            } finally {
                eventWrites.unlock();
            }
        }
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        Objects.requireNonNull(sessionId, "sessionId");
        long after = Cursors.eventIndexAfter(request);
        moveLegacyEvents();
        String prefix = eventPrefix(sessionId);
        List<SessionEvent> rows =
                kv().list(prefix, prefix + indexKeyPart(after), request.limit() + 1).stream()
                        .map(ActorStatePersistDriver::event)
                        .toList();
        return ListPage.ofLookahead(rows, request.limit(), Cursors::afterEvent);
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Adds the events in one atomic write: all of them, or none when one conflicts. */
    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        Objects.requireNonNull(sessionId, "sessionId");
        // Serialised before taking the lock, so concurrent sessions wait only for each other's
        // writes.
        Map<Long, byte[]> serialized = new LinkedHashMap<>();
        for (SessionEvent event : events) {
            serialized.putIfAbsent(event.eventIndex(), bytes(event));
        }
        moveLegacyEvents();
        String prefix = eventPrefix(sessionId);
        eventWrites.lock();
        try {
            // Changed in place (a copy per insert cost more than the write); dropped if the call
            // fails midway,
            // so the next call reads it again from the store.
            TreeMap<Long, String> ids = storedEventIdsLocked(sessionId, prefix);
            Map<Long, SessionEvent> added = new LinkedHashMap<>();
            try {
                for (SessionEvent event : events) {
                    String holder = ids.putIfAbsent(event.eventIndex(), event.id());
                    if (holder == null) {
                        added.put(event.eventIndex(), event);
                    } else if (!holder.equals(event.id())) {
                        throw new EventIndexConflictException(sessionId, event.eventIndex());
                    }
                }
                if (!added.isEmpty()) {
                    List<AddedEvent> addedEvents =
                            added.values().stream()
                                    .map(
                                            event ->
                                                    new AddedEvent(
                                                            event,
                                                            // every event was serialised above
                                                            Objects.requireNonNull(
                                                                    serialized.get(
                                                                            event.eventIndex()))))
                                    .toList();
                    KvBatch.Builder batch = KvBatch.builder();
                    while (ids.size() > maxEventsPerSession) {
                        long oldest = ids.pollFirstEntry().getKey();
                        if (added.remove(oldest) == null) {
                            batch.delete(prefix + indexKeyPart(oldest));
                        }
                    }
                    // Those that fell out of the retention above at once are not written.
                    added.keySet()
                            .forEach(
                                    index ->
                                            batch.put(
                                                    prefix + indexKeyPart(index),
                                                    Objects.requireNonNull(serialized.get(index))));
                    eventWriter.write(sessionId, addedEvents, batch);
                }
            } catch (RuntimeException | Error e) {
                storedEventIds.remove(sessionId);
                throw e;
            }
        } finally {
            eventWrites.unlock();
        }
    }

    /**
     * The ids of a session's stored events by index, read from the store on first use. Lock held.
     */
    private TreeMap<Long, String> storedEventIdsLocked(String sessionId, String prefix) {
        TreeMap<Long, String> ids = storedEventIds.get(sessionId);
        if (ids == null) {
            ids = new TreeMap<>();
            String afterKey = null;
            List<KvEntry> chunk;
            do {
                chunk = kv().list(prefix, afterKey, READ_CHUNK);
                for (KvEntry entry : chunk) {
                    SessionEvent event = event(entry);
                    ids.put(event.eventIndex(), event.id());
                    afterKey = entry.key();
                }
            } while (chunk.size() == READ_CHUNK);
            storedEventIds.put(sessionId, ids);
        }
        return ids;
    }

    /**
     * Moves events that an older version of this driver kept in the state into the key-value store,
     * once per activation, before any event call: the entries are written first, then the state
     * without them is saved, so a crash in between only repeats the move.
     */
    private void moveLegacyEvents() {
        if (legacyEventsMoved) {
            return;
        }
        inTurn(
                () -> {
                    PersistedSessions persisted = sessionsInState.call();
                    if (!persisted.events.isEmpty()) {
                        KvBatch.Builder batch = KvBatch.builder();
                        persisted.events.forEach(
                                (sessionId, log) ->
                                        log.forEach(
                                                event ->
                                                        batch.put(
                                                                eventPrefix(sessionId)
                                                                        + indexKeyPart(
                                                                                event.eventIndex()),
                                                                bytes(event))));
                        kv().write(batch.build());
                        persisted.events.clear();
                        context.saveState();
                    }
                    legacyEventsMoved = true;
                    return null;
                });
    }

    private ActorKv kv() {
        return context.kv();
    }

    private static String eventPrefix(String sessionId) {
        return EVENTS + sessionId.length() + ":" + sessionId + "/";
    }

    /** Zero-padded, so keys sort as indexes do (event indexes are positive longs). */
    private static String indexKeyPart(long index) {
        return String.format("%019d", index);
    }

    private static byte[] bytes(SessionEvent event) {
        try {
            return JSON.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "session event " + event.id() + " cannot be written as JSON", e);
        }
    }

    private static SessionEvent event(KvEntry entry) {
        try {
            return JSON.readValue(entry.value(), SessionEvent.class);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "the stored session event under " + entry.key() + " cannot be read", e);
        }
    }

    private <T> T inTurn(Callable<T> work) {
        try {
            return context.withTurn(work);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(
                    "session persist call on actor " + context.actorId() + " failed", e);
        }
    }
}
