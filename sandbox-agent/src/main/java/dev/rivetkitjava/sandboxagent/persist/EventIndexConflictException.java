package dev.rivetkitjava.sandboxagent.persist;

/**
 * Another event already holds this index in the session: a second writer, or an index seeded too
 * low.
 */
public final class EventIndexConflictException extends RuntimeException {

    public EventIndexConflictException(String sessionId, long eventIndex) {
        super("session '" + sessionId + "' already has a different event at index " + eventIndex);
    }
}
