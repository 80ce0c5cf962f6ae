package dev.rivetkitjava.sandboxagent.persist;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InMemorySessionPersistDriverTest extends SessionPersistDriverContract {

    @Override
    protected SessionPersistDriver newDriver() {
        return new InMemorySessionPersistDriver();
    }

    @Test
    void theOldestSessionsAreEvictedWithTheirEvents() {
        SessionPersistDriver small = new InMemorySessionPersistDriver(2, 10);
        small.updateSession(session("old", 1));
        small.insertEvent("old", event("old", 1));
        small.updateSession(session("mid", 2));
        small.updateSession(session("new", 3));
        assertThat(small.getSession("old")).isEmpty();
        assertThat(small.listEvents("old", PageRequest.first()).items()).isEmpty();
        assertThat(small.listSessions(PageRequest.first()).items()).extracting(SessionRecord::id)
                .containsExactly("mid", "new");
    }

    @Test
    void theOldestEventsAreTrimmedAndCursorsStayValid() {
        SessionPersistDriver small = new InMemorySessionPersistDriver(2, 5);
        for (int i = 1; i <= 5; i++) {
            small.insertEvent("s", event("s", i));
        }
        ListPage<SessionEvent> first = small.listEvents("s", PageRequest.first(2));
        small.insertEvent("s", event("s", 6));
        small.insertEvent("s", event("s", 7));
        assertThat(small.listEvents("s", PageRequest.first(10)).items()).extracting(SessionEvent::eventIndex)
                .containsExactly(3L, 4L, 5L, 6L, 7L);
        assertThat(small.listEvents("s", PageRequest.first(10).next(first.nextCursor())).items())
                .extracting(SessionEvent::eventIndex).containsExactly(3L, 4L, 5L, 6L, 7L);
    }
}
