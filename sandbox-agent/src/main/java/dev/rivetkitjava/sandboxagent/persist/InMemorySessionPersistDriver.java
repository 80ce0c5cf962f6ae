package dev.rivetkitjava.sandboxagent.persist;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Sessions and events in memory, gone with the process: the SDK's default, as in npm {@code
 * sandbox-agent}. Keeps at most {@code maxSessions} sessions (the oldest are evicted with their
 * events) and {@code maxEventsPerSession} events per session (the oldest are trimmed). Records are
 * immutable, so nothing needs copying.
 */
public final class InMemorySessionPersistDriver implements SessionPersistDriver {

    public static final int DEFAULT_MAX_SESSIONS = 1024;
    public static final int DEFAULT_MAX_EVENTS_PER_SESSION = 500;

    static final Comparator<SessionRecord> SESSION_ORDER =
            Comparator.comparingLong(SessionRecord::createdAt).thenComparing(SessionRecord::id);

    private final int maxSessions;
    private final int maxEventsPerSession;
    private final Map<String, SessionRecord> sessions = new HashMap<>();
    private final Map<String, TreeMap<Long, SessionEvent>> events = new HashMap<>();

    public InMemorySessionPersistDriver() {
        this(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_EVENTS_PER_SESSION);
    }

    public InMemorySessionPersistDriver(int maxSessions, int maxEventsPerSession) {
        if (maxSessions < 1 || maxEventsPerSession < 1) {
            throw new IllegalArgumentException("caps must be at least 1");
        }
        this.maxSessions = maxSessions;
        this.maxEventsPerSession = maxEventsPerSession;
    }

    @Override
    public synchronized Optional<SessionRecord> getSession(String id) {
        return Optional.ofNullable(sessions.get(id));
    }

    @Override
    public synchronized ListPage<SessionRecord> listSessions(PageRequest request) {
        Cursors.SessionPosition after = Cursors.sessionAfter(request);
        List<SessionRecord> sorted = new ArrayList<>(sessions.values());
        sorted.sort(SESSION_ORDER);
        List<SessionRecord> page = new ArrayList<>();
        boolean more = false;
        for (SessionRecord session : sorted) {
            if (after != null && SESSION_ORDER.compare(session, position(after)) <= 0) {
                continue;
            }
            if (page.size() == request.limit()) {
                more = true;
                break;
            }
            page.add(session);
        }
        return new ListPage<>(page, more ? Cursors.afterSession(page.getLast()) : null);
    }

    private static SessionRecord position(Cursors.SessionPosition after) {
        return new SessionRecord(
                after.id(), "", null, null, after.createdAt(), null, null, null, null, null);
    }

    @Override
    public synchronized void updateSession(SessionRecord session) {
        sessions.put(session.id(), session);
        while (sessions.size() > maxSessions) {
            SessionRecord oldest = sessions.values().stream().min(SESSION_ORDER).orElseThrow();
            sessions.remove(oldest.id());
            events.remove(oldest.id());
        }
    }

    @Override
    public synchronized ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        long after = Cursors.eventIndexAfter(request);
        TreeMap<Long, SessionEvent> log = events.get(sessionId);
        if (log == null) {
            return new ListPage<>(List.of(), null);
        }
        List<SessionEvent> page = new ArrayList<>(request.limit());
        boolean more = false;
        for (SessionEvent event : log.tailMap(after, false).values()) {
            if (page.size() == request.limit()) {
                more = true;
                break;
            }
            page.add(event);
        }
        return new ListPage<>(page, more ? Cursors.afterEvent(page.getLast()) : null);
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Adds all the events or, when one conflicts, none. */
    @Override
    public synchronized void insertEvents(String sessionId, List<SessionEvent> batch) {
        TreeMap<Long, SessionEvent> log = events.get(sessionId);
        TreeMap<Long, SessionEvent> added = new TreeMap<>();
        for (SessionEvent event : batch) {
            SessionEvent existing = log == null ? null : log.get(event.eventIndex());
            if (existing == null) {
                existing = added.get(event.eventIndex());
            }
            if (existing == null) {
                added.put(event.eventIndex(), event);
            } else if (!existing.id().equals(event.id())) {
                throw new EventIndexConflictException(sessionId, event.eventIndex());
            }
        }
        if (added.isEmpty()) {
            return;
        }
        log = events.computeIfAbsent(sessionId, id -> new TreeMap<>());
        log.putAll(added);
        while (log.size() > maxEventsPerSession) {
            log.pollFirstEntry();
        }
    }
}
