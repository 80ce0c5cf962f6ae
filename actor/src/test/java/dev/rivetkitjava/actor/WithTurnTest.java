package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code c.withTurn(...)}: state work from threads that are not running an action. */
class WithTurnTest {
    record Count(int count) {}

    private final AtomicReference<ActorContext<Count, Void>> context = new AtomicReference<>();
    private final CompletableFuture<Void> gate = new CompletableFuture<>();
    private final CountDownLatch holding = new CountDownLatch(1);
    private final List<String> order = new CopyOnWriteArrayList<>();
    private final InMemoryActorStore store = new InMemoryActorStore();
    private final ManualClock clock = new ManualClock();

    /** Its own threads: the common pool may have a single thread on a small machine. */
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stopThreads() {
        threads.close();
    }

    private Registry registry() {
        ActorType<Count, Void> counter =
                ActorType.builder("counter", Count.class)
                        .createState(c -> new Count(0))
                        .onWake(context::set)
                        .action(
                                "awaitGate",
                                c -> {
                                    c.await(gate);
                                    return c.state().count();
                                })
                        .action(
                                "holdTurn",
                                c -> {
                                    holding.countDown();
                                    gate.join();
                                    order.add("action");
                                    return null;
                                })
                        .action(
                                "reentrant",
                                c ->
                                        c.withTurn(
                                                () -> {
                                                    c.setState(new Count(c.state().count() + 1));
                                                    return c.state().count();
                                                }))
                        .sleepTimeout(Duration.ofSeconds(10))
                        .build();
        // Saves come only from saveState and sleep, so a test sees exactly what withTurn made
        // durable.
        return Registry.builder()
                .use(counter)
                .store(store)
                .clock(clock)
                .saveInterval(Duration.ofHours(1))
                .build();
    }

    private static int increment(ActorContext<Count, Void> c) {
        c.setState(new Count(c.state().count() + 1));
        return c.state().count();
    }

    @Test
    void aForeignThreadChangesStateWhileAnActionAwaits() throws Exception {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            CompletableFuture<Integer> awaiting =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("awaitGate", Integer.class), threads);
            await().until(() -> context.get() != null);
            ActorContext<Count, Void> c = context.get();

            int seen = CompletableFuture.supplyAsync(() -> call(c), threads).get();

            assertThat(seen).isEqualTo(1);
            assertThat(awaiting).isNotDone();
            gate.complete(null);
            assertThat(awaiting.get()).isEqualTo(1);
        }
    }

    @Test
    void itWaitsForTheTurnOfARunningAction() throws Exception {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            CompletableFuture<Object> action =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("holdTurn", Object.class), threads);
            holding.await();
            ActorContext<Count, Void> c = context.get();
            Thread foreign =
                    Thread.ofVirtual()
                            .start(
                                    () -> {
                                        try {
                                            c.withTurn(() -> order.add("withTurn"));
                                        } catch (Exception e) {
                                            order.add("failed: " + e);
                                        }
                                    });
            await().until(() -> foreign.getState() == Thread.State.TIMED_WAITING);
            gate.complete(null);
            action.get();
            foreign.join();
            assertThat(order).containsExactly("action", "withTurn");
        }
    }

    @Test
    void itRunsDirectlyOnAThreadThatHoldsTheTurn() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertThat(actor.action("reentrant", Integer.class)).isEqualTo(1);
            assertThat(actor.action("reentrant", Integer.class)).isEqualTo(2);
        }
    }

    @Test
    void saveStateInsideItIsDurableOnReturn() throws Exception {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            actor.action("reentrant", Integer.class);
            ActorContext<Count, Void> c = context.get();
            CompletableFuture.runAsync(
                            () -> {
                                try {
                                    c.withTurn(
                                            () -> {
                                                c.setState(new Count(41));
                                                c.saveState();
                                                return null;
                                            });
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            },
                            threads)
                    .get();
            assertThat(new String(store.findById(id).orElseThrow().state(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"count\":41}");
        }
    }

    @Test
    void anActorSavedOnEveryCallWaitsInTheSaversQueueOnce() throws Exception {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("reentrant", Integer.class);
            ActorContext<Count, Void> c = context.get();
            for (int i = 0; i < 100; i++) {
                c.withTurn(
                        () -> {
                            increment(c);
                            c.saveState();
                            return null;
                        });
            }
            // Each call turned the actor dirty again; queued once per call, the saver would wait
            // for its turn
            // (held by the caller waiting on that very saver) once per entry.
            assertThat(((ActorRuntime) registry.placement()).saver().queuedCells()).isOne();
        }
    }

    @Test
    void afterSleepItFailsClearlyAndChangesNothing() throws Exception {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("reentrant", Integer.class);
            ActorContext<Count, Void> slept = context.get();
            clock.advance(Duration.ofSeconds(10));

            assertThatThrownBy(
                            () -> CompletableFuture.supplyAsync(() -> call(slept), threads).join())
                    .cause()
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.stopped"));
            assertThat(actor.action("reentrant", Integer.class)).isEqualTo(2);
        }
    }

    @Test
    void aStartThatAwaitsLetsTheActorsOwnCallbacksInWhileCallersWaitForIt() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        ActorType<Count, Void> starter =
                ActorType.builder("starter", Count.class)
                        .createState(c -> new Count(0))
                        .onWake(
                                c -> {
                                    // An SDK connecting in onWake persists into the state from its
                                    // own thread while the wake awaits.
                                    int persisted =
                                            c.await(
                                                    () ->
                                                            CompletableFuture.supplyAsync(
                                                                            () -> call(c), threads)
                                                                    .get());
                                    order.add("callback saw " + persisted);
                                    c.await(release);
                                    order.add("woke");
                                })
                        .action(
                                "count",
                                c -> {
                                    order.add("action");
                                    return c.state().count();
                                })
                        .build();
        try (Registry registry =
                Registry.builder().use(starter).store(store).clock(clock).build()) {
            ActorHandle actor = registry.actor("starter").getOrCreate(ActorKey.of("a"));
            CompletableFuture<Integer> first =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("count", Integer.class), threads);
            await().until(() -> order.contains("callback saw 1"));
            CompletableFuture<Integer> second =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("count", Integer.class), threads);

            await().during(Duration.ofMillis(200)).until(() -> !second.isDone() && !first.isDone());
            release.complete(null);

            assertThat(first.get()).isEqualTo(1);
            assertThat(second.get()).isEqualTo(1);
            assertThat(order).containsExactly("callback saw 1", "woke", "action", "action");
        }
    }

    private static int call(ActorContext<Count, Void> c) {
        try {
            return c.withTurn(() -> increment(c));
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
