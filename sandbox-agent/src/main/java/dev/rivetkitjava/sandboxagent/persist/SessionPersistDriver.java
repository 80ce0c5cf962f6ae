package dev.rivetkitjava.sandboxagent.persist;

import java.util.List;
import java.util.Optional;

/**
 * Where the SDK keeps sessions and their events: the Java twin of {@code SessionPersistDriver} in
 * npm {@code sandbox-agent@0.4.2}. Sessions live only on the client side (the Sandbox Agent server
 * forgets them on restart), so this is what makes a session resumable and its history readable by a
 * late joiner.
 *
 * <p>Calls block until the data is durable (for a durable driver) and may come from any thread.
 * Implementations: {@link InMemorySessionPersistDriver}, and the SQLite, PostgreSQL and actor-state
 * modules; all pass one contract test ({@code SessionPersistDriverContract}).
 */
public interface SessionPersistDriver {

    Optional<SessionRecord> getSession(String id);

    /** Sessions ordered by {@code (createdAt, id)}. */
    ListPage<SessionRecord> listSessions(PageRequest request);

    /** Inserts or replaces the session with the record's id. */
    void updateSession(SessionRecord session);

    /** The session's events ordered by {@code (eventIndex, id)}. */
    ListPage<SessionEvent> listEvents(String sessionId, PageRequest request);

    /**
     * Adds an event. Idempotent by {@code (sessionId, eventIndex)}: inserting the same event (same
     * id) again is a no-op, so a retry after an unknown outcome is safe.
     *
     * @throws EventIndexConflictException when another event already holds that index in the
     *     session
     */
    void insertEvent(String sessionId, SessionEvent event);

    /**
     * Adds events in order, in one durable write where the driver can (the SDK batches events that
     * arrive while the previous write is in flight). Same idempotency as {@link #insertEvent}. The
     * drivers of this project add all of the events or, on a conflict, none (the contract test
     * requires it); this default adds them one at a time, so the events before a conflicting one
     * stay.
     */
    default void insertEvents(String sessionId, List<SessionEvent> events) {
        for (SessionEvent event : events) {
            insertEvent(sessionId, event);
        }
    }
}
