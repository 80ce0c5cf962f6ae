package dev.rivetkitjava.sandboxagent.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link SessionPersistDriver} must do. A driver's test extends this and returns an
 * empty driver from {@link #newDriver()}; a driver with caps also returns one from {@link
 * #newCappedDriver}. Other driver-specific behaviour (durability across reopen) is tested beside
 * it.
 */
public abstract class SessionPersistDriverContract {

    protected static final ObjectMapper JSON = new ObjectMapper();

    protected SessionPersistDriver driver;

    /** A driver with no sessions and no events. */
    protected abstract SessionPersistDriver newDriver() throws Exception;

    /**
     * A driver keeping at most {@code maxSessions} sessions and {@code maxEventsPerSession} events
     * of each, or empty for a driver without caps (its cap tests are skipped).
     */
    protected Optional<SessionPersistDriver> newCappedDriver(
            int maxSessions, int maxEventsPerSession) {
        return Optional.empty();
    }

    private SessionPersistDriver capped(int maxSessions, int maxEventsPerSession) {
        Optional<SessionPersistDriver> capped = newCappedDriver(maxSessions, maxEventsPerSession);
        assumeTrue(capped.isPresent(), "this driver has no caps");
        return capped.get();
    }

    @BeforeEach
    void createDriver() throws Exception {
        driver = newDriver();
    }

    /**
     * Releases what a driver holds (a file, a pool): the one in {@link #driver} when the test ends.
     */
    @AfterEach
    void closeDriver() throws Exception {
        if (driver instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    @Test
    void theOldestSessionsAreEvictedWithTheirEvents() {
        SessionPersistDriver small = capped(2, 10);
        small.updateSession(session("old", 1));
        small.insertEvent("old", event("old", 1));
        small.updateSession(session("mid", 2));
        small.updateSession(session("new", 3));
        assertThat(small.getSession("old")).isEmpty();
        assertThat(small.listEvents("old", PageRequest.first()).items()).isEmpty();
        assertThat(small.listSessions(PageRequest.first()).items())
                .extracting(SessionRecord::id)
                .containsExactly("mid", "new");
    }

    @Test
    void theOldestEventsAreTrimmedAndCursorsStayValid() {
        SessionPersistDriver small = capped(2, 5);
        for (int i = 1; i <= 5; i++) {
            small.insertEvent("s", event("s", i));
        }
        ListPage<SessionEvent> first = small.listEvents("s", PageRequest.first(2));
        small.insertEvent("s", event("s", 6));
        small.insertEvents("s", List.of(event("s", 7)));
        assertThat(small.listEvents("s", PageRequest.first(10)).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactly(3L, 4L, 5L, 6L, 7L);
        assertThat(small.listEvents("s", PageRequest.first(10).next(first.nextCursor())).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactly(3L, 4L, 5L, 6L, 7L);
    }

    /**
     * Writes session {@code s-1} and three of its events through {@link #driver}; returns the
     * events.
     */
    protected List<SessionEvent> writeSessionWithEvents() {
        driver.updateSession(session("s-1", 10));
        List<SessionEvent> events =
                IntStream.rangeClosed(1, 3).mapToObj(i -> event("s-1", i)).toList();
        driver.insertEvents("s-1", events);
        return events;
    }

    /** Asserts that {@code reader} holds what {@link #writeSessionWithEvents()} wrote. */
    protected static void assertHoldsSessionWithEvents(
            SessionPersistDriver reader, List<SessionEvent> events) {
        assertThat(reader.getSession("s-1")).contains(session("s-1", 10));
        assertThat(reader.listEvents("s-1", PageRequest.first()).items())
                .containsExactlyElementsOf(events);
    }

    protected static SessionRecord session(String id, long createdAt) {
        return new SessionRecord(
                id,
                "codex",
                "agent-" + id,
                "conn-1",
                createdAt,
                null,
                null,
                json("{\"cwd\":\"/work\",\"mcpServers\":[]}"),
                null,
                null);
    }

    protected static SessionEvent event(String sessionId, long index) {
        return new SessionEvent(
                UUID.randomUUID().toString(),
                index,
                sessionId,
                1_000 + index,
                "conn-1",
                index % 2 == 0 ? SessionEvent.Sender.AGENT : SessionEvent.Sender.CLIENT,
                json(
                        "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"n\":"
                                + index
                                + "}}"));
    }

    protected static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    /** Reads every page, asserting that each page but the last is full. */
    protected static <T> List<T> readAll(
            int limit, BiFunction<PageRequest, Void, ListPage<T>> read) {
        List<T> all = new ArrayList<>();
        PageRequest request = PageRequest.first(limit);
        for (int pages = 0; pages < 10_000; pages++) {
            ListPage<T> page = read.apply(request, null);
            all.addAll(page.items());
            if (!page.hasMore()) {
                return all;
            }
            assertThat(page.items()).hasSize(limit);
            request = request.next(page.nextCursor());
        }
        throw new AssertionError("paging did not end");
    }

    @Test
    void anUnknownSessionIsEmpty() {
        assertThat(driver.getSession("nope")).isEmpty();
        assertThat(driver.listEvents("nope", PageRequest.first()).items()).isEmpty();
        assertThat(driver.listSessions(PageRequest.first()).items()).isEmpty();
        assertThat(driver.listSessions(PageRequest.first()).nextCursor()).isNull();
    }

    @Test
    void aSessionRoundTripsEveryField() {
        SessionRecord full =
                new SessionRecord(
                        "s-1",
                        "codex",
                        "agent-1",
                        "conn-1",
                        1234L,
                        5678L,
                        "sbx_1",
                        json("{\"cwd\":\"/w\",\"mcpServers\":[{\"name\":\"x\"}]}"),
                        json("[{\"id\":\"model\",\"currentValue\":\"gpt\"}]"),
                        json("{\"currentModeId\":\"normal\",\"availableModes\":[]}"));
        driver.updateSession(full);
        assertThat(driver.getSession("s-1")).contains(full);

        SessionRecord sparse =
                new SessionRecord("s-2", "mock", null, "conn-2", 99L, null, null, null, null, null);
        driver.updateSession(sparse);
        assertThat(driver.getSession("s-2")).contains(sparse);
    }

    @Test
    void updateSessionReplacesTheRecord() {
        driver.updateSession(session("s-1", 10));
        SessionRecord rebound =
                session("s-1", 10).withBinding("agent-new", "conn-2").withDestroyedAt(20L);
        driver.updateSession(rebound);
        assertThat(driver.getSession("s-1")).contains(rebound);
        assertThat(driver.listSessions(PageRequest.first()).items()).containsExactly(rebound);
    }

    @Test
    void sessionsAreListedByCreatedAtThenIdAcrossPages() {
        List<SessionRecord> expected = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            // Several sessions share a createdAt, so the id decides between them.
            expected.add(session("s-" + (char) ('a' + (i * 7) % 23), 100 + i / 3));
        }
        for (SessionRecord s : expected.reversed()) {
            driver.updateSession(s);
        }
        expected.sort(InMemorySessionPersistDriver.SESSION_ORDER);

        assertThat(readAll(5, (page, none) -> driver.listSessions(page)))
                .containsExactlyElementsOf(expected);
        assertThat(readAll(23, (page, none) -> driver.listSessions(page)))
                .containsExactlyElementsOf(expected);
        assertThat(driver.listSessions(PageRequest.first()).items())
                .containsExactlyElementsOf(expected);
    }

    @Test
    void eventsAreListedByIndexAcrossPages() {
        List<SessionEvent> expected =
                IntStream.rangeClosed(1, 37).mapToObj(i -> event("s-1", i)).toList();
        for (SessionEvent e : expected) {
            driver.insertEvent("s-1", e);
        }
        assertThat(readAll(10, (page, none) -> driver.listEvents("s-1", page)))
                .containsExactlyElementsOf(expected);
        assertThat(readAll(37, (page, none) -> driver.listEvents("s-1", page)))
                .containsExactlyElementsOf(expected);
    }

    @Test
    void theDefaultPageHoldsAHundredEvents() {
        for (int i = 1; i <= 120; i++) {
            driver.insertEvent("s-1", event("s-1", i));
        }
        ListPage<SessionEvent> first = driver.listEvents("s-1", PageRequest.first());
        assertThat(first.items()).hasSize(100);
        assertThat(first.items().getLast().eventIndex()).isEqualTo(100);
        assertThat(driver.listEvents("s-1", PageRequest.first().next(first.nextCursor())).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactlyElementsOf(
                        IntStream.rangeClosed(101, 120).mapToObj(i -> (long) i).toList());
    }

    @Test
    void eventsInsertedOutOfOrderAreListedInOrder() {
        driver.insertEvent("s-1", event("s-1", 3));
        driver.insertEvent("s-1", event("s-1", 1));
        driver.insertEvent("s-1", event("s-1", 2));
        assertThat(driver.listEvents("s-1", PageRequest.first()).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactly(1L, 2L, 3L);
    }

    @Test
    void insertingTheSameEventAgainIsANoOp() {
        SessionEvent e = event("s-1", 1);
        driver.insertEvent("s-1", e);
        driver.insertEvent("s-1", e);
        driver.insertEvents("s-1", List.of(e, event("s-1", 2)));
        assertThat(driver.listEvents("s-1", PageRequest.first()).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactly(1L, 2L);
        assertThat(driver.listEvents("s-1", PageRequest.first()).items().getFirst()).isEqualTo(e);
    }

    @Test
    void aDifferentEventAtATakenIndexIsAConflictAndChangesNothing() {
        SessionEvent first = event("s-1", 1);
        driver.insertEvent("s-1", first);
        assertThatThrownBy(() -> driver.insertEvent("s-1", event("s-1", 1)))
                .isInstanceOf(EventIndexConflictException.class)
                .hasMessageContaining("s-1")
                .hasMessageContaining("index 1");
        assertThat(driver.listEvents("s-1", PageRequest.first()).items()).containsExactly(first);
    }

    @Test
    void aBatchIsInsertedInOrder() {
        List<SessionEvent> batch =
                IntStream.rangeClosed(1, 50).mapToObj(i -> event("s-1", i)).toList();
        driver.insertEvents("s-1", batch);
        assertThat(driver.listEvents("s-1", PageRequest.first()).items())
                .containsExactlyElementsOf(batch);
    }

    @Test
    void sessionsDoNotSeeEachOthersEvents() {
        driver.insertEvent("s-1", event("s-1", 1));
        driver.insertEvent("s-2", event("s-2", 1));
        driver.insertEvent("s-2", event("s-2", 2));
        assertThat(driver.listEvents("s-1", PageRequest.first()).items())
                .singleElement()
                .extracting(SessionEvent::sessionId)
                .isEqualTo("s-1");
        assertThat(driver.listEvents("s-2", PageRequest.first()).items()).hasSize(2);
    }

    @Test
    void payloadsRoundTripExactly() {
        JsonNode payload =
                json(
                        """
                {"jsonrpc":"2.0","id":"perm-1","method":"session/request_permission",
                 "params":{"text":"héllo \\u2603 <b>&amp;</b> \\"quoted\\"\\n","big":9007199254740993,
                 "neg":-1.5e-7,"nested":[[],{},null,true,false],"emoji":"\\ud83d\\ude80"}}""");
        SessionEvent e =
                new SessionEvent("e-1", 1, "s-1", 42, "conn-1", SessionEvent.Sender.AGENT, payload);
        driver.insertEvent("s-1", e);
        SessionEvent read = driver.listEvents("s-1", PageRequest.first()).items().getFirst();
        assertThat(read).isEqualTo(e);
        assertThat(read.payload().at("/params/big").asText()).isEqualTo("9007199254740993");
    }

    @Test
    void aBatchWithAConflictInsertsNothing() {
        SessionEvent first = event("s-1", 1);
        SessionEvent second = event("s-1", 2);
        driver.insertEvent("s-1", first);
        assertThatThrownBy(
                        () ->
                                driver.insertEvents(
                                        "s-1", List.of(second, event("s-1", 1), event("s-1", 3))))
                .isInstanceOf(EventIndexConflictException.class)
                .hasMessageContaining("index 1");
        assertThat(driver.listEvents("s-1", PageRequest.first()).items()).containsExactly(first);
        // Nothing of the failed batch stays behind, not even in a driver's cache: its first event
        // can still go in.
        driver.insertEvent("s-1", second);
        assertThat(driver.listEvents("s-1", PageRequest.first()).items())
                .containsExactly(first, second);
    }

    @Test
    void aBatchThatRepeatsAnIndexWithAnotherEventIsAConflict() {
        assertThatThrownBy(
                        () -> driver.insertEvents("s-1", List.of(event("s-1", 1), event("s-1", 1))))
                .isInstanceOf(EventIndexConflictException.class);
        assertThat(driver.listEvents("s-1", PageRequest.first()).items()).isEmpty();
    }

    @Test
    void anEmptyBatchChangesNothing() {
        driver.insertEvents("s-1", List.of());
        assertThat(driver.listEvents("s-1", PageRequest.first()).items()).isEmpty();
    }

    @Test
    void aPageThatHoldsTheRestHasNoNextCursor() {
        for (int i = 1; i <= 4; i++) {
            driver.updateSession(session("s-" + i, i));
            driver.insertEvent("s-1", event("s-1", i));
        }
        assertThat(driver.listEvents("s-1", PageRequest.first(4)).nextCursor()).isNull();
        assertThat(driver.listSessions(PageRequest.first(4)).nextCursor()).isNull();
        ListPage<SessionEvent> three = driver.listEvents("s-1", PageRequest.first(3));
        assertThat(
                        driver.listEvents("s-1", PageRequest.first(3).next(three.nextCursor()))
                                .nextCursor())
                .isNull();
    }

    @Test
    void sessionIdsCompareAsJavaStringsWhateverTheDatabaseLocale() {
        // Upper case before lower case, punctuation and accents by code point, ':' inside an id
        // (cursors split
        // at the first one): byte order, not a locale's dictionary order.
        List<SessionRecord> expected = new ArrayList<>();
        for (String id : List.of("b", "B", "a b", "_x", "é", "Z", "a:b:c", "a", "10", "9")) {
            expected.add(session(id, 7));
        }
        expected.forEach(driver::updateSession);
        expected.sort(InMemorySessionPersistDriver.SESSION_ORDER);
        assertThat(readAll(3, (page, none) -> driver.listSessions(page)))
                .containsExactlyElementsOf(expected);
    }

    @Test
    void updatingASessionKeepsItsEvents() {
        driver.updateSession(session("s-1", 10));
        SessionEvent e = event("s-1", 1);
        driver.insertEvent("s-1", e);
        driver.updateSession(session("s-1", 10).withDestroyedAt(11L));
        assertThat(driver.listEvents("s-1", PageRequest.first()).items()).containsExactly(e);
    }

    @Test
    void aCursorFromAnotherDriverIsRejectedClearly() {
        driver.insertEvent("s-1", event("s-1", 1));
        assertThatThrownBy(() -> driver.listEvents("s-1", PageRequest.first().next("garbage")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid cursor");
        assertThatThrownBy(() -> driver.listSessions(PageRequest.first().next("garbage")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid cursor");
    }
}
