package dev.rivetkitjava.sandboxagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EventPipelineTest {

    private static JsonNode payload(int n) {
        return JsonRpcMessage.notification(
                "session/update", Json.MAPPER.createObjectNode().put("n", n));
    }

    private static List<SessionEvent> stored(SessionPersistDriver driver) {
        return driver.listEvents("s", PageRequest.first(PageRequest.MAX_LIMIT)).items();
    }

    @Test
    void listenersSeeOnlyPersistedEventsInOrder() {
        HookedPersistDriver driver = new HookedPersistDriver();
        List<String> problems = new CopyOnWriteArrayList<>();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline =
                new EventPipeline(
                        "s",
                        driver,
                        event -> {
                            if (stored(driver).stream().noneMatch(e -> e.id().equals(event.id()))) {
                                problems.add("delivered before persisted: " + event.eventIndex());
                            }
                            delivered.add(event.eventIndex());
                        });
        IntStream.rangeClosed(1, 200)
                .forEach(n -> pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(n), null));
        pipeline.flush();
        assertThat(problems).isEmpty();
        assertThat(delivered)
                .containsExactlyElementsOf(
                        IntStream.rangeClosed(1, 200).asLongStream().boxed().toList());
        assertThat(stored(driver))
                .extracting(e -> e.payload().path("params").path("n").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 200).boxed().toList());
    }

    @Test
    void eventsArrivingDuringASlowWriteAreWrittenTogether() throws Exception {
        HookedPersistDriver driver = new HookedPersistDriver();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstWriteStarted = new CountDownLatch(1);
        driver.beforeInsert =
                events -> {
                    firstWriteStarted.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        EventPipeline pipeline = new EventPipeline("s", driver, event -> {});
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(0), null);
        firstWriteStarted.await();
        IntStream.rangeClosed(1, 50)
                .forEach(n -> pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(n), null));
        release.countDown();
        pipeline.flush();
        assertThat(driver.batches).containsExactly(1, 50);
        assertThat(stored(driver))
                .extracting(SessionEvent::eventIndex)
                .containsExactlyElementsOf(
                        IntStream.rangeClosed(1, 51).asLongStream().boxed().toList());
    }

    @Test
    void indicesContinueAfterWhatIsPersisted() {
        HookedPersistDriver driver = new HookedPersistDriver();
        for (int i = 1; i <= 3; i++) {
            driver.insertEvent(
                    "s",
                    new SessionEvent(
                            "old-" + i, i, "s", 1, "c", SessionEvent.Sender.CLIENT, payload(i)));
        }
        EventPipeline pipeline = new EventPipeline("s", driver, event -> {});
        assertThat(
                        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(4), null)
                                .join()
                                .eventIndex())
                .isEqualTo(4);
    }

    @Test
    void anotherWriterTakingTheIndexMakesItReseedAndLoseNothing() {
        HookedPersistDriver driver = new HookedPersistDriver();
        List<Boolean> raced = new ArrayList<>();
        driver.beforeInsert =
                events -> {
                    if (raced.isEmpty()) {
                        raced.add(true);
                        // another SDK instance writes the same session between our seed and our
                        // write
                        driver.store.insertEvent(
                                "s",
                                new SessionEvent(
                                        "theirs",
                                        events.getFirst().eventIndex(),
                                        "s",
                                        1,
                                        "other",
                                        SessionEvent.Sender.CLIENT,
                                        payload(-1)));
                    }
                };
        List<SessionEvent> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline = new EventPipeline("s", driver, delivered::add);
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), null);
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(2), null);
        pipeline.flush();
        assertThat(stored(driver))
                .extracting(e -> e.payload().path("params").path("n").asInt())
                .containsExactlyInAnyOrder(-1, 1, 2);
        assertThat(delivered)
                .extracting(e -> e.payload().path("params").path("n").asInt())
                .containsExactly(1, 2);
        assertThat(delivered)
                .extracting(SessionEvent::eventIndex)
                .doesNotContain(
                        stored(driver).stream()
                                .filter(e -> e.id().equals("theirs"))
                                .findFirst()
                                .orElseThrow()
                                .eventIndex());
    }

    private static final EventPipeline.Options FAST_RETRIES =
            new EventPipeline.Options(Duration.ofMillis(400), 4096, Duration.ofSeconds(5));

    private static int n(SessionEvent event) {
        return event.payload().path("params").path("n").asInt();
    }

    @Test
    void aWriteThatFailsForAWhileIsRetriedAndLaterEventsWaitBehindIt() {
        HookedPersistDriver driver = new HookedPersistDriver();
        AtomicInteger failures = new AtomicInteger();
        driver.beforeInsert =
                events -> {
                    if (failures.getAndIncrement() < 3) {
                        throw new IllegalStateException("connection reset");
                    }
                };
        List<SessionEvent> delivered = new CopyOnWriteArrayList<>();
        List<SessionPersistException> errors = new CopyOnWriteArrayList<>();
        EventPipeline pipeline =
                new EventPipeline(
                        "s",
                        driver,
                        delivered::add,
                        errors::add,
                        new EventPipeline.Options(
                                Duration.ofSeconds(5), 4096, Duration.ofSeconds(10)));
        CompletableFuture<Void> failuresSignal = pipeline.failures();
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), null);
        IntStream.rangeClosed(2, 20)
                .forEach(n -> pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(n), null));
        pipeline.flush();

        assertThat(failures.get())
                .isGreaterThanOrEqualTo(4); // three failed attempts, then the writes
        assertThat(delivered)
                .extracting(EventPipelineTest::n)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 20).boxed().toList());
        assertThat(stored(driver))
                .extracting(SessionEvent::eventIndex)
                .containsExactlyElementsOf(
                        IntStream.rangeClosed(1, 20).asLongStream().boxed().toList());
        assertThat(errors).isEmpty();
        assertThat(failuresSignal).isNotDone();
    }

    @Test
    void aWriteThatKeepsFailingIsGivenUpLoudlyAndTheHistoryRecordsTheGap() {
        HookedPersistDriver driver = new HookedPersistDriver();
        AtomicBoolean storeDown = new AtomicBoolean(true);
        driver.beforeInsert =
                events -> {
                    if (storeDown.get()) {
                        throw new IllegalStateException("database unreachable");
                    }
                };
        List<SessionEvent> delivered = new CopyOnWriteArrayList<>();
        List<SessionPersistException> errors = new CopyOnWriteArrayList<>();
        EventPipeline pipeline =
                new EventPipeline("s", driver, delivered::add, errors::add, FAST_RETRIES);
        CompletableFuture<Void> signal = pipeline.failures();
        CountDownLatch answered =
                new CountDownLatch(1); // e.g. a permission request is still answered

        long started = System.nanoTime();
        CompletableFuture<SessionEvent> first =
                pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), answered::countDown);
        assertThat(first)
                .failsWithin(Duration.ofSeconds(5))
                .withThrowableThat()
                .havingCause()
                .isInstanceOf(SessionPersistException.class)
                .withMessageContaining("session 's': 1 events not persisted after")
                .withMessageContaining("database unreachable")
                .withMessageContaining("_sdk/events_not_persisted");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(answered.getCount()).isZero();
        assertThat(signal).isCompletedExceptionally();
        assertThat(pipeline.failures()).isNotDone(); // a fresh signal for the next failure

        // still down: the next batch fails too, and the outage is reported once
        assertThat(pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(2), null))
                .failsWithin(Duration.ofSeconds(5));
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(3), null);
        assertThat(pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(4), null))
                .failsWithin(Duration.ofSeconds(5));
        assertThat(errors)
                .singleElement()
                .satisfies(
                        e -> {
                            assertThat(e.sessionId()).isEqualTo("s");
                            assertThat(e.lostEvents()).isEqualTo(1);
                        });
        assertThat(delivered).isEmpty();

        storeDown.set(false);
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(5), null).join();
        assertThat(delivered).hasSize(2);
        SessionEvent gap = delivered.getFirst();
        assertThat(gap.payload().path("method").asText()).isEqualTo("_sdk/events_not_persisted");
        assertThat(gap.payload().path("params").path("count").asInt()).isEqualTo(4);
        assertThat(gap.payload().path("params").path("error").asText())
                .contains("database unreachable");
        assertThat(n(delivered.get(1))).isEqualTo(5);
        assertThat(stored(driver)).containsExactlyElementsOf(delivered);
        assertThat(stored(driver)).extracting(SessionEvent::eventIndex).containsExactly(1L, 2L);
    }

    @Test
    void theStreamWaitsForRoomInTheQueue() throws Exception {
        HookedPersistDriver driver = new HookedPersistDriver();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        driver.beforeInsert =
                events -> {
                    writing.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        EventPipeline pipeline =
                new EventPipeline(
                        "s",
                        driver,
                        event -> {},
                        error -> {},
                        new EventPipeline.Options(
                                Duration.ofSeconds(5), 4, Duration.ofSeconds(10)));
        pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(0), null);
        writing.await();
        IntStream.rangeClosed(1, 4)
                .forEach(n -> pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(n), null));
        CompletableFuture<Void> reader = CompletableFuture.runAsync(pipeline::awaitCapacity);
        assertThat(reader).isNotDone();
        await().during(Duration.ofMillis(200)).until(() -> !reader.isDone());
        release.countDown();
        assertThat(reader).succeedsWithin(Duration.ofSeconds(5));
        pipeline.flush();
        assertThat(driver.batches).containsExactly(1, 4);
    }

    @Test
    void aFlushOfAHungDriverGivesUpAndSaysWhatIsPending() throws Exception {
        HookedPersistDriver driver = new HookedPersistDriver();
        CountDownLatch release = new CountDownLatch(1);
        driver.beforeInsert =
                events -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        EventPipeline pipeline =
                new EventPipeline(
                        "s",
                        driver,
                        event -> {},
                        error -> {},
                        new EventPipeline.Options(
                                Duration.ofSeconds(5), 4096, Duration.ofMillis(300)));
        try {
            pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(1), null);
            pipeline.submit(SessionEvent.Sender.AGENT, "c", payload(2), null);
            long started = System.nanoTime();
            assertThatThrownBy(pipeline::flush)
                    .isInstanceOf(SandboxAgentTimeoutException.class)
                    .hasMessageContaining("events of session 's' not persisted within 300 ms")
                    .hasMessageContaining("has been running for");
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(pipeline.awaitFlushed(Duration.ofMillis(50))).isFalse();
        } finally {
            release.countDown();
        }
        assertThat(pipeline.awaitFlushed(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aThrowingListenerDoesNotStopThePipeline() {
        HookedPersistDriver driver = new HookedPersistDriver();
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        EventPipeline pipeline =
                new EventPipeline(
                        "s",
                        driver,
                        event -> {
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
