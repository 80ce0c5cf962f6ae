package dev.rivetkitjava.sandboxagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EventPipelineTest {

    /** The in-memory driver, with hooks around insertEvents and a record of the batch sizes. */
    private static class HookedDriver implements SessionPersistDriver {
        final InMemorySessionPersistDriver store = new InMemorySessionPersistDriver();
        final List<Integer> batches = new CopyOnWriteArrayList<>();
        volatile Consumer<List<SessionEvent>> beforeInsert = events -> { };

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
            store.insertEvent(sessionId, event);
        }

        @Override
        public void insertEvents(String sessionId, List<SessionEvent> events) {
            beforeInsert.accept(events);
            batches.add(events.size());
            store.insertEvents(sessionId, events);
        }
    }

    private static JsonNode payload(int n) {
        return JsonRpcMessage.notification("session/update", Json.MAPPER.createObjectNode().put("n", n));
    }

    private static List<SessionEvent> stored(SessionPersistDriver driver) {
        return driver.listEvents("s", PageRequest.first(PageRequest.MAX_LIMIT)).items();
    }

    @Test
    void listenersSeeOnlyPersistedEventsInOrder() {
        HookedDriver driver = new HookedDriver();
        List<String> problems = new CopyOnWriteArrayList<>();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline = new EventPipeline("s", driver, event -> {
            if (stored(driver).stream().noneMatch(e -> e.id().equals(event.id()))) {
                problems.add("delivered before persisted: " + event.eventIndex());
            }
            delivered.add(event.eventIndex());
        });
        IntStream.rangeClosed(1, 200).forEach(n -> pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(n), null));
        pipeline.flush();
        assertThat(problems).isEmpty();
        assertThat(delivered).containsExactlyElementsOf(IntStream.rangeClosed(1, 200).asLongStream().boxed().toList());
        assertThat(stored(driver)).extracting(e -> e.payload().path("params").path("n").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 200).boxed().toList());
    }

    @Test
    void eventsArrivingDuringASlowWriteAreWrittenTogether() throws Exception {
        HookedDriver driver = new HookedDriver();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstWriteStarted = new CountDownLatch(1);
        driver.beforeInsert = events -> {
            firstWriteStarted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        EventPipeline pipeline = new EventPipeline("s", driver, event -> { });
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(0), null);
        firstWriteStarted.await();
        IntStream.rangeClosed(1, 50).forEach(n -> pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(n), null));
        release.countDown();
        pipeline.flush();
        assertThat(driver.batches).containsExactly(1, 50);
        assertThat(stored(driver)).extracting(SessionEvent::eventIndex)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 51).asLongStream().boxed().toList());
    }

    @Test
    void indicesContinueAfterWhatIsPersisted() {
        HookedDriver driver = new HookedDriver();
        for (int i = 1; i <= 3; i++) {
            driver.insertEvent("s", new SessionEvent("old-" + i, i, "s", 1, "c", SessionEvent.Sender.CLIENT, payload(i)));
        }
        EventPipeline pipeline = new EventPipeline("s", driver, event -> { });
        assertThat(pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(4), null).join().eventIndex()).isEqualTo(4);
    }

    @Test
    void anotherWriterTakingTheIndexMakesItReseedAndLoseNothing() {
        HookedDriver driver = new HookedDriver();
        List<Boolean> raced = new ArrayList<>();
        driver.beforeInsert = events -> {
            if (raced.isEmpty()) {
                raced.add(true);
                // another SDK instance writes the same session between our seed and our write
                driver.store.insertEvent("s", new SessionEvent("theirs", events.getFirst().eventIndex(), "s", 1, "other",
                        SessionEvent.Sender.CLIENT, payload(-1)));
            }
        };
        List<SessionEvent> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline = new EventPipeline("s", driver, delivered::add);
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), null);
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(2), null);
        pipeline.flush();
        assertThat(stored(driver)).extracting(e -> e.payload().path("params").path("n").asInt())
                .containsExactlyInAnyOrder(-1, 1, 2);
        assertThat(delivered).extracting(e -> e.payload().path("params").path("n").asInt()).containsExactly(1, 2);
        assertThat(delivered).extracting(SessionEvent::eventIndex).doesNotContain(
                stored(driver).stream().filter(e -> e.id().equals("theirs")).findFirst().orElseThrow().eventIndex());
    }

    @Test
    void aFailingWriteIsNotDeliveredAndTheNextOneIs() {
        HookedDriver driver = new HookedDriver();
        driver.beforeInsert = events -> {
            if (events.getFirst().payload().path("params").path("n").asInt() == 1) {
                throw new IllegalStateException("disk full");
            }
        };
        List<SessionEvent> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline = new EventPipeline("s", driver, delivered::add);
        CompletableFuture<SessionEvent> failed = pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), null);
        assertThat(failed).failsWithin(java.time.Duration.ofSeconds(5));
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(2), null).join();
        assertThat(delivered).extracting(e -> e.payload().path("params").path("n").asInt()).containsExactly(2);
    }

    @Test
    void aThrowingListenerDoesNotStopThePipeline() {
        HookedDriver driver = new HookedDriver();
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline = new EventPipeline("s", driver, event -> {
            int n = event.payload().path("params").path("n").asInt();
            delivered.add(n);
            if (n == 1) {
                throw new IllegalStateException("listener bug");
            }
        });
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), null);
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(2), null);
        await().until(() -> delivered.size() == 2);
        assertThat(delivered).containsExactly(1, 2);
    }
}
