package dev.rivetkitjava.sandboxagent;

import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The application's driver as the SDK calls it: a driver's own failure (a {@code
 * PostgresPersistException}, an SQLite error, a timeout) comes out as a {@link
 * SessionPersistException} naming the operation and the session, with the driver's exception as its
 * cause, so callers catch one type whatever the store. Index conflicts pass through (the event
 * pipeline handles them).
 */
final class GuardedPersistDriver implements SessionPersistDriver {

    private final SessionPersistDriver driver;

    GuardedPersistDriver(SessionPersistDriver driver) {
        this.driver = driver;
    }

    private static <T> T guard(String operation, @Nullable String sessionId, Supplier<T> call) {
        try {
            return call.get();
        } catch (SandboxAgentException | EventIndexConflictException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SessionPersistException(
                    sessionId,
                    0,
                    "the session store failed on "
                            + operation
                            + (sessionId == null ? "" : " of session '" + sessionId + "'")
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return guard("getSession", id, () -> driver.getSession(id));
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        return guard("listSessions", null, () -> driver.listSessions(request));
    }

    @Override
    public void updateSession(SessionRecord session) {
        guard(
                "updateSession",
                session.id(),
                () -> {
                    driver.updateSession(session);
                    return null;
                });
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        return guard("listEvents", sessionId, () -> driver.listEvents(sessionId, request));
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        guard(
                "insertEvent",
                sessionId,
                () -> {
                    driver.insertEvent(sessionId, event);
                    return null;
                });
    }

    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        guard(
                "insertEvents",
                sessionId,
                () -> {
                    driver.insertEvents(sessionId, events);
                    return null;
                });
    }
}
