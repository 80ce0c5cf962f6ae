package dev.rivetkitjava.sandboxagent;

import org.jspecify.annotations.Nullable;

/**
 * The session persist driver failed and the SDK gave up: a write of a session's events still failed
 * after its retries (they are missing from the history, which records the gap as an {@code
 * _sdk/events_not_persisted} event once the store takes writes again), or a read or record update
 * failed. A running {@code prompt} of the session fails with it (and its turn is cancelled), and
 * the session's {@linkplain SandboxAgent#onSessionError error listeners} receive it. The cause is
 * the driver's exception.
 */
public final class SessionPersistException extends SandboxAgentException {

    private final @Nullable String sessionId;
    private final int lostEvents;

    public SessionPersistException(
            @Nullable String sessionId, int lostEvents, String message, Throwable cause) {
        super(message, cause);
        this.sessionId = sessionId;
        this.lostEvents = lostEvents;
    }

    /** The local session id, or null when the failed call concerned no one session. */
    public @Nullable String sessionId() {
        return sessionId;
    }

    /**
     * How many events were given up (not persisted, not delivered); 0 when a read or a record
     * update failed.
     */
    public int lostEvents() {
        return lostEvents;
    }
}
