package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.store.FaultyActorStore;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdempotencyTest {
    record Count(int count) {}

    @Test
    void aRepeatedCallWithTheSameKeyRunsOnce() {
        ActorType<Count, Void> type =
                ActorType.builder("counter", Count.class)
                        .createState(c -> new Count(0))
                        .action(
                                "increment",
                                c -> {
                                    c.setState(new Count(c.state().count() + 1));
                                    return c.state().count();
                                })
                        .build();
        try (Registry registry = Registry.builder().use(type).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            ActionCall call = ActionCall.of("increment").withIdempotencyKey("call-1");

            assertThat(actor.call(call, Integer.class)).isEqualTo(1);
            assertThat(actor.call(call, Integer.class)).isEqualTo(1);
            assertThat(
                            actor.call(
                                    ActionCall.of("increment").withIdempotencyKey("call-2"),
                                    Integer.class))
                    .isEqualTo(2);
            assertThat(actor.action("increment", Integer.class)).isEqualTo(3);
        }
    }

    private static ActorType<Count, Void> counter() {
        return ActorType.builder("counter", Count.class)
                .createState(c -> new Count(0))
                .action(
                        "increment",
                        c -> {
                            c.setState(new Count(c.state().count() + 1));
                            return c.state().count();
                        })
                .action("count", c -> c.state().count())
                .build();
    }

    @Test
    void withDurableIdempotencyARetryInANewActivationGetsTheFirstOutcome() {
        InMemoryActorStore store = new InMemoryActorStore();
        ActionCall call = ActionCall.of("increment").withIdempotencyKey("call-1");
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            assertThat(
                            registry.actor("counter")
                                    .getOrCreate(ActorKey.of("a"))
                                    .call(call, Integer.class))
                    .isEqualTo(1);
        }
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertThat(actor.call(call, Integer.class)).isEqualTo(1);
            assertThat(actor.action("count", Integer.class)).isEqualTo(1);
        }
    }

    @Test
    void aRepeatOfALostRunGetsTheOutcomeTheCallLeftOrIsRefusedNotRunAgain() {
        InMemoryActorStore store = new InMemoryActorStore();
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertThat(
                            actor.call(
                                    ActionCall.of("increment").withIdempotencyKey("ran"),
                                    Integer.class))
                    .isEqualTo(1);
        }
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            // Its run finished (the outcome is kept) before its activation was lost.
            assertThat(
                            actor.call(
                                    new ActionCall("increment", List.of(), "ran", true),
                                    Integer.class))
                    .isEqualTo(1);
            // Its run was lost midway: nothing says how far it got.
            assertThatThrownBy(
                            () ->
                                    actor.call(
                                            new ActionCall("increment", List.of(), "lost", true),
                                            Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.call_interrupted"));
            assertThat(actor.action("count", Integer.class)).isEqualTo(1);
        }
    }

    @Test
    void anOutcomeWhoseWriteFailedIsWrittenWithTheNextWriteOfTheState() {
        FaultyActorStore store = new FaultyActorStore();
        ActionCall call = ActionCall.of("increment").withIdempotencyKey("call-1");
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            assertThat(actor.action("count", Integer.class))
                    .isZero(); // awake, its first state saved
            store.failSavesOf(id);
            try {
                actor.call(call, Integer.class);
            } catch (ActorError e) {
                // actor.state_save_failed: the increment stays in memory and is saved later
            }
            store.healSavesOf(id);
        }
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            assertThat(actor.action("count", Integer.class)).isEqualTo(1);
            assertThat(actor.call(call, Integer.class)).isEqualTo(1);
            assertThat(actor.action("count", Integer.class)).isEqualTo(1);
        }
    }

    /**
     * Keyed calls that wait for one actor's save while a transaction is under way go in the next
     * one as a single write of that actor, whose outcomes are all of theirs: each write used to
     * carry every outcome not yet committed again, so a busy actor's transaction grew with the
     * square of its callers.
     */
    @Test
    void keyedCallsWaitingForOneActorsSaveWriteItOnceWithEveryOutcome() throws Exception {
        FaultyActorStore store = new FaultyActorStore();
        int waiting = 8;
        try (Registry registry =
                        Registry.builder()
                                .use(counter())
                                .store(store)
                                .durableIdempotency(true)
                                .build();
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("busy"));
            String id = actor.resolve();
            assertThat(actor.action("count", Integer.class)).isZero();
            store.blockSaves();
            List<Future<Integer>> calls = new ArrayList<>();
            for (int i = 0; i <= waiting; i++) {
                ActionCall call = ActionCall.of("increment").withIdempotencyKey("call-" + i);
                calls.add(callers.submit(() -> actor.call(call, Integer.class)));
                if (i == 0) {
                    assertThat(store.awaitBlockedSave(5_000)).isTrue();
                }
            }
            StateSaver saver = ((ActorRuntime) registry.placement()).saver();
            await().atMost(Duration.ofSeconds(5)).until(() -> saver.waitingWrites() == waiting);
            int attemptsBefore = store.saveAttempts(id);
            store.unblockSaves();
            Set<Integer> answers = new HashSet<>();
            for (Future<Integer> call : calls) {
                answers.add(call.get(5, TimeUnit.SECONDS));
            }
            assertThat(answers).hasSize(waiting + 1);
            assertThat(store.saveAttempts(id) - attemptsBefore)
                    .as("writes of the actor after the blocked one")
                    .isEqualTo(1);
        }
        try (Registry registry =
                Registry.builder().use(counter()).store(store).durableIdempotency(true).build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("busy"));
            Set<Integer> repeated = new HashSet<>();
            for (int i = 0; i <= waiting; i++) {
                repeated.add(
                        actor.call(
                                ActionCall.of("increment").withIdempotencyKey("call-" + i),
                                Integer.class));
            }
            assertThat(repeated).hasSize(waiting + 1);
            assertThat(actor.action("count", Integer.class)).isEqualTo(waiting + 1);
        }
    }

    @Test
    void durableOutcomesAreBoundedAndARecentOneAnswersARetryAlsoAfterTheActorSleptAndWoke() {
        ManualClock clock = new ManualClock();
        InMemoryActorStore store = new InMemoryActorStore();
        AtomicInteger wakes = new AtomicInteger();
        ActorType<Count, Void> counter =
                ActorType.builder("counter", Count.class)
                        .createState(c -> new Count(0))
                        .action(
                                "increment",
                                c -> {
                                    c.setState(new Count(c.state().count() + 1));
                                    return c.state().count();
                                })
                        .action("count", c -> c.state().count())
                        .onWake(c -> wakes.incrementAndGet())
                        .build();
        try (Registry registry =
                Registry.builder()
                        .use(counter)
                        .store(store)
                        .clock(clock)
                        .durableIdempotency(true)
                        .build()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            for (int i = 1; i <= 10_000; i++) {
                assertThat(actor.call(keyed("k" + i), Integer.class)).isEqualTo(i);
            }

            assertThat(outcomeKeys(store, id))
                    .hasSize(256)
                    .contains(DurableOutcomes.PREFIX + "k10000")
                    .doesNotContain(DurableOutcomes.PREFIX + "k1");
            assertThat(actor.call(keyed("k9999"), Integer.class)).isEqualTo(9999);
            assertThat(actor.action("count", Integer.class)).isEqualTo(10_000);

            clock.advance(Duration.ofMinutes(1)); // idle: it sleeps
            await().until(() -> registry.stats().awakeActors() == 0);
            assertThat(actor.call(keyed("k9990"), Integer.class)).isEqualTo(9990);
            assertThat(wakes).hasValue(2);
            assertThat(actor.action("count", Integer.class)).isEqualTo(10_000);

            clock.advance(Duration.ofHours(25)); // every outcome expires; it sleeps again
            await().until(() -> registry.stats().awakeActors() == 0);
            assertThat(actor.call(keyed("k10000"), Integer.class)).isEqualTo(10_001);
            assertThat(outcomeKeys(store, id)).containsExactly(DurableOutcomes.PREFIX + "k10000");
        }
    }

    private static ActionCall keyed(String idempotencyKey) {
        return ActionCall.of("increment").withIdempotencyKey(idempotencyKey);
    }

    private static List<String> outcomeKeys(InMemoryActorStore store, String actorId) {
        return store.kvList(actorId, DurableOutcomes.PREFIX, null, 100_000).stream()
                .map(KvEntry::key)
                .toList();
    }
}
