package dev.rivetkitjava.sandboxagent.persist.actor;

import dev.rivetkitjava.actor.ActorContext;
import dev.rivetkitjava.sandboxagent.persist.Cursors;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * Sessions and events kept in an actor's durable state, in a {@link PersistedSessions} field of it: the Java twin
 * of {@code @sandbox-agent/persist-rivet}. Make it in {@code createVars}:
 *
 * <pre>{@code
 * record WorkspaceState(String sandboxId, String baseUrl, PersistedSessions sessions) {}
 * SessionPersistDriver persist = ActorStatePersistDriver.of(c, WorkspaceState::sessions);
 * }</pre>
 *
 * <p>Every call may come from any thread (the SDK's, not an action's): it takes the actor's turn
 * ({@link ActorContext#withTurn}), and a write saves the state before returning, so it is durable then. The whole
 * state is written on every change, so keep the caps modest: at most {@code maxSessions} sessions (1024; the
 * oldest are evicted with their events) and {@code maxEventsPerSession} events per session (500; the oldest are
 * trimmed), as upstream. The driver belongs to one activation: once the actor sleeps, calls fail with
 * {@code actor.stopped}; keep the actor awake while the SDK uses it.
 */
public final class ActorStatePersistDriver implements SessionPersistDriver {
    private static final Comparator<SessionRecord> SESSION_ORDER =
            Comparator.comparingLong(SessionRecord::createdAt).thenComparing(SessionRecord::id);

    private final ActorContext<?, ?> context;
    private final Callable<PersistedSessions> sessionsInState;
    private final int maxSessions;
    private final int maxEventsPerSession;

    private ActorStatePersistDriver(Builder<?> builder) {
        this.context = builder.context;
        this.sessionsInState = builder::persisted;
        this.maxSessions = builder.maxSessions;
        this.maxEventsPerSession = builder.maxEventsPerSession;
    }

    /** A driver with the default caps on the {@link PersistedSessions} that {@code sessions} finds in the state. */
    public static <S> ActorStatePersistDriver of(ActorContext<S, ?> c,
            Function<? super S, PersistedSessions> sessions) {
        return builder(c, sessions).build();
    }

    public static <S> Builder<S> builder(ActorContext<S, ?> c, Function<? super S, PersistedSessions> sessions) {
        return new Builder<>(c, sessions);
    }

    /** Configures the caps. */
    public static final class Builder<S> {
        private final ActorContext<S, ?> context;
        private final Function<? super S, PersistedSessions> sessions;
        private int maxSessions = InMemorySessionPersistDriver.DEFAULT_MAX_SESSIONS;
        private int maxEventsPerSession = InMemorySessionPersistDriver.DEFAULT_MAX_EVENTS_PER_SESSION;

        private Builder(ActorContext<S, ?> context, Function<? super S, PersistedSessions> sessions) {
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
                throw new IllegalStateException("the state of actor " + context.actorId() + " has no "
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
        return inTurn(() -> {
            List<SessionRecord> rows = sessionsInState.call().sessions.values().stream()
                    .filter(session -> after == null || session.createdAt() > after.createdAt()
                            || session.createdAt() == after.createdAt() && session.id().compareTo(after.id()) > 0)
                    .sorted(SESSION_ORDER)
                    .limit(request.limit() + 1L)
                    .toList();
            return ListPage.ofLookahead(rows, request.limit(), Cursors::afterSession);
        });
    }

    @Override
    public void updateSession(SessionRecord session) {
        Objects.requireNonNull(session, "session");
        write(() -> {
            PersistedSessions persisted = sessionsInState.call();
            persisted.sessions.put(session.id(), session);
            while (persisted.sessions.size() > maxSessions) {
                SessionRecord oldest = persisted.sessions.values().stream().min(SESSION_ORDER).orElseThrow();
                persisted.sessions.remove(oldest.id());
                persisted.events.remove(oldest.id());
            }
        });
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        long after = Cursors.eventIndexAfter(request);
        return inTurn(() -> {
            List<SessionEvent> log = sessionsInState.call().events.getOrDefault(sessionId, List.of());
            int from = insertionPoint(log, after + 1);
            int to = (int) Math.min(log.size(), from + request.limit() + 1L);
            List<SessionEvent> rows = new ArrayList<>(log.subList(from, to));
            return ListPage.ofLookahead(rows, request.limit(), Cursors::afterEvent);
        });
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Adds the events in one save: all of them, or none when one conflicts. */
    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        Objects.requireNonNull(sessionId, "sessionId");
        write(() -> {
            PersistedSessions persisted = sessionsInState.call();
            List<SessionEvent> log = new ArrayList<>(persisted.events.getOrDefault(sessionId, List.of()));
            boolean changed = false;
            for (SessionEvent event : events) {
                int at = insertionPoint(log, event.eventIndex());
                if (at < log.size() && log.get(at).eventIndex() == event.eventIndex()) {
                    if (!log.get(at).id().equals(event.id())) {
                        throw new EventIndexConflictException(sessionId, event.eventIndex());
                    }
                    continue;
                }
                log.add(at, event);
                changed = true;
            }
            if (changed) {
                if (log.size() > maxEventsPerSession) {
                    log.subList(0, log.size() - maxEventsPerSession).clear();
                }
                persisted.events.put(sessionId, log);
            }
        });
    }

    /** The position of the first event whose index is at least {@code index}; events are in index order. */
    private static int insertionPoint(List<SessionEvent> log, long index) {
        int low = 0;
        int high = log.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (log.get(mid).eventIndex() < index) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    /** Changes the state and saves it durably before returning. */
    private void write(StateChange change) {
        inTurn(() -> {
            change.apply();
            context.saveState();
            return null;
        });
    }

    private <T> T inTurn(Callable<T> work) {
        try {
            return context.withTurn(work);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("session persist call on actor " + context.actorId() + " failed", e);
        }
    }

    @FunctionalInterface
    private interface StateChange {
        void apply() throws Exception;
    }
}
