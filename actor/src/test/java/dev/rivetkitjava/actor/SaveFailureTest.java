package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rivetkitjava.actor.store.FaultyActorStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A save failure belongs to its actor alone: the others save and sleep, the failing one keeps its
 * state in memory, refuses to sleep, tells its callers, retries with back-off and recovers by
 * itself. And a reply waits for its save.
 */
class SaveFailureTest {
    record Count(int count) {}

    /** A state whose {@code note} cannot be serialised while it is "poison" (its getter throws). */
    record Doc(int count, String note) {
        @Override
        public String note() {
            if ("poison".equals(note)) {
                throw new IllegalStateException("the note is poisoned");
            }
            return note;
        }
    }

    private final FaultyActorStore store = new FaultyActorStore();
    private final ManualClock clock = new ManualClock();
    private final AtomicInteger sleeps = new AtomicInteger();
    private final AtomicInteger aborts = new AtomicInteger();
    private final ListAppender<ILoggingEvent> saverLog = new ListAppender<>();
    private final java.util.concurrent.ExecutorService callers =
            java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void captureSaverLog() {
        saverLog.start();
        ((Logger) LoggerFactory.getLogger(StateSaver.class)).addAppender(saverLog);
    }

    @AfterEach
    void releaseSaverLog() {
        ((Logger) LoggerFactory.getLogger(StateSaver.class)).detachAppender(saverLog);
        callers.close();
        // Nothing went wrong in the saver itself (it would log this and go on).
        assertThat(logLines(ch.qos.logback.classic.Level.ERROR, "failed a round")).isZero();
    }

    private ActorType<Count, Void> counter() {
        return ActorType.builder("counter", Count.class)
                .createState(c -> new Count(0))
                .action(
                        "increment",
                        c -> {
                            c.setState(new Count(c.state().count() + 1));
                            return c.state().count();
                        })
                .action(
                        "fastIncrement",
                        c -> {
                            c.setState(new Count(c.state().count() + 1));
                            return c.state().count();
                        },
                        ActionOptions.replyBeforeSave())
                .action("peek", c -> c.state().count(), ActionOptions.replyBeforeSave())
                .onWake(c -> c.abortSignal().thenRun(aborts::incrementAndGet))
                .onSleep(c -> sleeps.incrementAndGet())
                .sleepTimeout(Duration.ofSeconds(10))
                .build();
    }

    private ActorType<Doc, Void> doc() {
        return ActorType.builder("doc", Doc.class)
                .createState(c -> new Doc(0, "fine"))
                .action(
                        "poison",
                        c -> {
                            c.setState(new Doc(c.state().count() + 1, "poison"));
                            return c.state().count();
                        })
                .action(
                        "cure",
                        c -> {
                            c.setState(new Doc(c.state().count() + 1, "fine"));
                            return c.state().count();
                        })
                .action("count", c -> c.state().count())
                .action("peek", c -> c.state().count(), ActionOptions.replyBeforeSave())
                .sleepTimeout(Duration.ofSeconds(10))
                .build();
    }

    private Registry registry(Duration saveTimeout) {
        return Registry.builder()
                .use(counter())
                .use(doc())
                .store(store)
                .clock(clock)
                .saveTimeout(saveTimeout)
                .build();
    }

    private int storedCount(String id) {
        byte[] state = store.findById(id).orElseThrow().state();
        String json = new String(state, StandardCharsets.UTF_8);
        return Integer.parseInt(json.replaceAll(".*\"count\":(\\d+).*", "$1"));
    }

    private static void assertSaveFailed(Runnable call, String reason) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> {
                            assertThat(e.qualifiedCode()).isEqualTo("actor.state_save_failed");
                            assertThat(e.getMessage())
                                    .startsWith("The actor's state could not be saved: ")
                                    .contains(reason)
                                    .endsWith("; it is kept in memory and retried.");
                        });
    }

    private long logLines(ch.qos.logback.classic.Level level, String text) {
        return saverLog.list.stream()
                .filter(e -> e.getLevel() == level && e.getFormattedMessage().contains(text))
                .count();
    }

    @Test
    void aReplyWaitsUntilWhatItChangedIsSavedUnlessItRepliesBeforeSave() throws Exception {
        try (Registry registry = registry(Duration.ofSeconds(30))) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            assertThat(actor.action("peek", Integer.class)).isZero(); // awake, its creation saved

            store.blockSaves();
            CompletableFuture<Integer> durable =
                    CompletableFuture.supplyAsync(() -> actor.action("increment", Integer.class));
            assertThat(store.awaitBlockedSave(5_000)).isTrue();
            assertThat(durable).isNotDone(); // its save is held in the store
            store.unblockSaves();
            assertThat(durable.get(5, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(storedCount(id)).isEqualTo(1); // durable when it returned

            store.blockSaves();
            // The opt-out replies at once, although nothing can be saved now.
            assertThat(actor.action("fastIncrement", Integer.class)).isEqualTo(2);
            assertThat(storedCount(id)).isEqualTo(1);
            store.unblockSaves();
            await().atMost(Duration.ofSeconds(5)).until(() -> storedCount(id) == 2);
        }
    }

    @Test
    void aReplyWaitsForItsSaveAtMostTheSaveTimeout() throws Exception {
        try (Registry registry = registry(Duration.ofMillis(300))) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            assertThat(actor.action("peek", Integer.class)).isZero();
            store.blockSaves(); // a store that hangs (locked by another process, a stuck disk)
            long start = System.nanoTime();
            assertSaveFailed(
                    () -> actor.action("increment", Integer.class),
                    "it was not saved within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(actor.action("peek", Integer.class)).isEqualTo(1); // kept in memory
            await().atMost(Duration.ofSeconds(5)).until(() -> !registry.health().ok());
            assertThat(registry.health().reason())
                    .startsWith("a state save has waited for the store for ");
            store.unblockSaves();
            await().atMost(Duration.ofSeconds(5)).until(() -> storedCount(id) == 1);
            assertThat(registry.health()).isEqualTo(RuntimeHealth.OK);
        }
    }

    @Test
    void waitingRepliesShareOneTransaction() throws Exception {
        try (Registry registry = registry(Duration.ofSeconds(30))) {
            List<ActorHandle> actors = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                actors.add(registry.actor("counter").getOrCreate(ActorKey.of("k" + i)));
                actors.getLast().action("peek", Integer.class);
            }
            store.blockSaves();
            List<CompletableFuture<Integer>> calls = new ArrayList<>();
            calls.add(
                    CompletableFuture.supplyAsync(
                            () -> actors.getFirst().action("increment", Integer.class)));
            assertThat(store.awaitBlockedSave(5_000)).isTrue();
            for (ActorHandle actor : actors.subList(1, 9)) {
                calls.add(
                        CompletableFuture.supplyAsync(
                                () -> actor.action("increment", Integer.class), callers));
            }
            StateSaver saver = ((ActorRuntime) registry.placement()).saver();
            await().atMost(Duration.ofSeconds(5)).until(() -> saver.waitingWrites() == 8);
            store.unblockSaves();
            for (CompletableFuture<Integer> call : calls) {
                assertThat(call.get(5, TimeUnit.SECONDS)).isEqualTo(1);
            }
            // The eight that waited meanwhile went in one transaction.
            assertThat(store.committedBatchSizes()).contains(8);
        }
    }

    @Test
    void anUnserialisableStateFailsOnlyItsActorWhichKeepsItAndRecovers() {
        try (Registry registry = registry(Duration.ofSeconds(1))) {
            ActorHandle healthy = registry.actor("counter").getOrCreate(ActorKey.of("healthy"));
            ActorHandle bad = registry.actor("doc").getOrCreate(ActorKey.of("bad"));
            String healthyId = healthy.resolve();
            String badId = bad.resolve();
            assertThat(healthy.action("increment", Integer.class)).isEqualTo(1);

            assertSaveFailed(() -> bad.action("poison", Integer.class), "the note is poisoned");
            // Reading the state in a durable action needs its save too: the same clear error,
            // again.
            assertSaveFailed(() -> bad.action("count", Integer.class), "the note is poisoned");
            // The state is kept in memory.
            assertThat(bad.action("peek", Integer.class)).isEqualTo(1);
            assertThat(registry.health().ok()).isFalse();
            assertThat(registry.health().reason())
                    .contains("1 actor")
                    .contains("the note is poisoned");
            assertThat(registry.stats().stateSaveFailingActors()).isEqualTo(1);
            assertThat(registry.stats().stateSaveFailures()).isGreaterThanOrEqualTo(2);

            // The others still save, at once and periodically: the saver did not stop.
            assertThat(healthy.action("increment", Integer.class)).isEqualTo(2);
            assertThat(storedCount(healthyId)).isEqualTo(2);
            assertThat(healthy.action("fastIncrement", Integer.class)).isEqualTo(3);
            await().atMost(Duration.ofSeconds(5)).until(() -> storedCount(healthyId) == 3);

            // Idle past the sleep timeout: the healthy one sleeps, the bad one stays awake with its
            // state.
            clock.advance(Duration.ofSeconds(11));
            assertThat(sleeps.get()).isEqualTo(1);
            assertThat(registry.stats().awakeActors()).isEqualTo(1);
            assertThat(storedCount(badId)).isZero();
            assertThat(bad.action("peek", Integer.class)).isEqualTo(1);
            assertThat(healthy.action("peek", Integer.class)).isEqualTo(3); // woken from the store

            // Once its state can be written again, it is saved, the runtime is healthy and the
            // actor sleeps.
            assertThat(bad.action("cure", Integer.class)).isEqualTo(2);
            assertThat(storedCount(badId)).isEqualTo(2);
            assertThat(registry.health()).isEqualTo(RuntimeHealth.OK);
            assertThat(registry.stats().stateSaveFailingActors()).isZero();
            clock.advance(Duration.ofSeconds(11));
            assertThat(registry.stats().awakeActors()).isZero();
            assertThat(logLines(ch.qos.logback.classic.Level.ERROR, "cannot be saved"))
                    .isEqualTo(1);
            assertThat(logLines(ch.qos.logback.classic.Level.INFO, "saved again")).isEqualTo(1);
        }
    }

    @Test
    void aStoreFailureOfOneActorLeavesTheOthersCommittingAndItRetriesWithBackOffUntilItRecovers()
            throws Exception {
        try (Registry registry = registry(Duration.ofSeconds(5))) {
            List<ActorHandle> healthy = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                healthy.add(registry.actor("counter").getOrCreate(ActorKey.of("ok" + i)));
                healthy.getLast().action("peek", Integer.class);
            }
            ActorHandle bad = registry.actor("counter").getOrCreate(ActorKey.of("bad"));
            String badId = bad.resolve();
            assertThat(bad.action("peek", Integer.class)).isZero();
            store.failSavesOf(badId);

            // Everyone calls at once, so the bad write shares transactions with the good ones.
            List<CompletableFuture<Integer>> calls = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (ActorHandle actor : healthy) {
                    calls.add(
                            CompletableFuture.supplyAsync(
                                    () -> actor.action("increment", Integer.class), callers));
                }
            }
            assertSaveFailed(
                    () -> bad.action("increment", Integer.class), "cannot write actor " + badId);
            for (CompletableFuture<Integer> call : calls) {
                call.get(10, TimeUnit.SECONDS); // none failed
            }
            for (ActorHandle actor : healthy) {
                assertThat(storedCount(actor.resolve())).isEqualTo(20);
            }
            assertThat(bad.action("peek", Integer.class)).isEqualTo(1);
            assertThat(registry.health().ok()).isFalse();

            // Nobody calls it now: it is retried by itself, each wait longer than the last (100 ms
            // doubling).
            int before = store.saveAttempts(badId);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> store.saveAttempts(badId) >= before + 4);
            List<Long> times = store.saveAttemptTimes(badId);
            List<Long> retries = times.subList(times.size() - 4, times.size());
            for (int i = 1; i < retries.size(); i++) {
                long gapMillis = TimeUnit.NANOSECONDS.toMillis(retries.get(i) - retries.get(i - 1));
                assertThat(gapMillis).as("gap before retry %d", i).isGreaterThanOrEqualTo(90L << i);
            }
            assertThat(logLines(ch.qos.logback.classic.Level.ERROR, "cannot be saved"))
                    .isEqualTo(1);

            store.healSavesOf(badId);
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.health().ok());
            assertThat(storedCount(badId))
                    .isEqualTo(1); // the change its caller was told had failed, saved after all
            assertThat(logLines(ch.qos.logback.classic.Level.INFO, "saved again")).isEqualTo(1);
            assertThat(bad.action("increment", Integer.class)).isEqualTo(2);
            assertThat(storedCount(badId)).isEqualTo(2);
        }
    }

    @Test
    void anActorWhoseSavesFailDoesNotSleepUntilItsStateIsSaved() {
        try (Registry registry = registry(Duration.ofSeconds(5))) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            assertThat(actor.action("increment", Integer.class)).isEqualTo(1);
            store.failAllSaves(true);
            assertThat(actor.action("fastIncrement", Integer.class)).isEqualTo(2);

            clock.advance(
                    Duration.ofSeconds(11)); // past the sleep timeout: the save before sleep fails
            clock.advance(Duration.ofSeconds(11)); // and again, now that it is known to fail
            assertThat(registry.stats().awakeActors()).isEqualTo(1);
            assertThat(actor.action("peek", Integer.class)).isEqualTo(2);
            assertThat(storedCount(id)).isEqualTo(1);
            assertThat(registry.health().ok()).isFalse();

            store.failAllSaves(false);
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.health().ok());
            assertThat(storedCount(id)).isEqualTo(2);
            clock.advance(Duration.ofSeconds(11));
            assertThat(registry.stats().awakeActors()).isZero();
            assertThat(actor.action("peek", Integer.class)).isEqualTo(2);
        }
    }

    @Test
    void aSleepPostponedByAFailedSaveDoesNotFireTheAbortSignal() {
        try (Registry registry = registry(Duration.ofSeconds(5))) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertThat(actor.action("increment", Integer.class)).isEqualTo(1);
            store.failAllSaves(true);
            assertThat(actor.action("fastIncrement", Integer.class)).isEqualTo(2);

            clock.advance(Duration.ofSeconds(11)); // the save before sleep fails: it stays awake
            assertThat(registry.stats().awakeActors()).isEqualTo(1);
            // Listeners run on a thread of their own: give a wrongly fired signal time to show.
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> aborts.get() == 0);

            store.failAllSaves(false);
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.health().ok());
            clock.advance(Duration.ofSeconds(11));
            assertThat(registry.stats().awakeActors()).isZero();
            await().atMost(Duration.ofSeconds(5)).until(() -> aborts.get() == 1);
        }
    }

    @Test
    void shutdownWaitsABoundedTimeForAStateThatCannotBeSavedAndSaysSo() {
        ListAppender<ILoggingEvent> cellLog = new ListAppender<>();
        cellLog.start();
        Logger cellLogger = (Logger) LoggerFactory.getLogger(ActorCell.class);
        cellLogger.addAppender(cellLog);
        try {
            Registry registry = registry(Duration.ofMillis(300));
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            assertThat(actor.action("peek", Integer.class)).isZero();
            store.failSavesOf(id);
            assertSaveFailed(() -> actor.action("increment", Integer.class), "cannot write actor");
            long start = System.nanoTime();
            registry.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(cellLog.list)
                    .anySatisfy(
                            e ->
                                    assertThat(e.getFormattedMessage())
                                            .contains(id)
                                            .contains("NOT saved")
                                            .contains("cannot write actor"));
        } finally {
            cellLogger.detachAppender(cellLog);
        }
    }
}
