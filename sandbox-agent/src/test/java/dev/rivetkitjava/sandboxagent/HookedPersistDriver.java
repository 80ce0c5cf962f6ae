package dev.rivetkitjava.sandboxagent;

import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-memory driver with a hook run before every event write, which may block, slow or fail it
 * (by throwing), and a record of the sizes of the batches written.
 */
final class HookedPersistDriver implements SessionPersistDriver {
    final InMemorySessionPersistDriver store;
    final List<Integer> batches = new CopyOnWriteArrayList<>();
    volatile Consumer<List<SessionEvent>> beforeInsert = events -> {};

    HookedPersistDriver() {
        this(new InMemorySessionPersistDriver());
    }

    HookedPersistDriver(InMemorySessionPersistDriver store) {
        this.store = store;
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return store.getSession(id);
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        return store.listSessions(request);
    }

    @Override
    public void updateSession(SessionRecord session) {
        store.updateSession(session);
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        return store.listEvents(sessionId, request);
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Runs the hook, then writes the batch (unless the hook threw) and records its size. */
    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        beforeInsert.accept(events);
        batches.add(events.size());
        store.insertEvents(sessionId, events);
    }
}
