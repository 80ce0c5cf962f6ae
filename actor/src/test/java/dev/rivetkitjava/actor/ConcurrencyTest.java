package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ConcurrencyTest {
    /**
     * A mutable state class: increments read-modify-write it, so interleaving would lose updates.
     */
    static final class Tally {
        public int count;
        public List<String> log = new ArrayList<>();
    }

    private final AtomicInteger createStateCalls = new AtomicInteger();
    private final CompletableFuture<String> agentTurn = new CompletableFuture<>();

    private ActorType<Tally, Void> tally() {
        return ActorType.builder("tally", Tally.class)
                .createState(
                        c -> {
                            createStateCalls.incrementAndGet();
                            return new Tally();
                        })
                .action(
                        "increment",
                        c -> {
                            int before = c.state().count;
                            Thread.yield(); // invite interleaving: none may happen inside a turn
                            c.state().count = before + 1;
                            return c.state().count;
                        })
                .action("get", c -> c.state().count)
                .action(
                        "longTurn",
                        String.class,
                        (c, label) -> {
                            c.state().log.add("start " + label);
                            String reply = c.await(agentTurn);
                            c.state().log.add("end " + label + " " + reply);
                            c.broadcast("turnDone", reply);
                            return reply;
                        },
                        ActionOptions.noTimeout())
                .action("touchStateWhileWaiting", c -> c.await(() -> c.state().count))
                .action("log", c -> c.state().log)
                .build();
    }

    @Test
    void getOrCreateIsAtomicPerKey() throws Exception {
        try (Registry registry = Registry.builder().use(tally()).build();
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> ids = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ids.add(
                        callers.submit(
                                () -> {
                                    ActorHandle handle =
                                            registry.actor("tally")
                                                    .getOrCreate(ActorKey.of("shared"));
                                    handle.action("increment", Integer.class);
                                    return handle.resolve();
                                }));
            }
            Set<String> distinct = ConcurrentHashMap.newKeySet();
            for (Future<String> id : ids) {
                distinct.add(id.get());
            }
            assertThat(distinct).hasSize(1);
            assertThat(createStateCalls).hasValue(1);
            assertThat(registry.list("tally", null, 10)).hasSize(1);
            assertThat(
                            registry.actor("tally")
                                    .get(ActorKey.of("shared"))
                                    .action("get", Integer.class))
                    .isEqualTo(100);
        }
    }

    @Test
    void concurrentActionsNeverLoseAnUpdate() throws Exception {
        try (Registry registry = Registry.builder().use(tally()).build();
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            ActorHandle actor = registry.actor("tally").getOrCreate(ActorKey.of("a"));
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                calls.add(callers.submit(() -> actor.action("increment", Integer.class)));
            }
            for (Future<?> call : calls) {
                call.get();
            }
            assertThat(actor.action("get", Integer.class)).isEqualTo(2_000);
        }
    }

    @Test
    void aWaitingActionDoesNotBlockOtherActionsConnectionsOrBroadcasts() throws Exception {
        try (Registry registry = Registry.builder().use(tally()).build()) {
            ActorHandle actor = registry.actor("tally").getOrCreate(ActorKey.of("a"));
            List<String> done = new CopyOnWriteArrayList<>();
            CompletableFuture<String> longCall =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("longTurn", String.class, "first"),
                            Executors.newVirtualThreadPerTaskExecutor());
            await().until(() -> actor.action("log", List.class).contains("start first"));

            // While the first turn waits on the agent, the actor serves others.
            assertThat(actor.action("increment", Integer.class)).isEqualTo(1);
            try (ActorConnection viewer = actor.connect()) {
                viewer.on("turnDone", String.class, done::add);
                assertThat(viewer.action("increment", Integer.class)).isEqualTo(2);
                assertThat(longCall).isNotDone();

                agentTurn.complete("end_turn");

                assertThat(longCall.get()).isEqualTo("end_turn");
                await().until(() -> done.equals(List.of("end_turn")));
            }
            assertThat(actor.action("log", List.class))
                    .containsExactly("start first", "end first end_turn");
        }
    }

    @Test
    void stateIsNotReachableWhileAnActionHasReleasedItsTurn() {
        try (Registry registry =
                Registry.builder().use(tally()).exposeInternalErrors(true).build()) {
            ActorHandle actor = registry.actor("tally").getOrCreate(ActorKey.of("a"));
            assertThatThrownBy(() -> actor.action("touchStateWhileWaiting", Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("rivetkit.internal_error");
                                assertThat(e.getMessage())
                                        .contains("only reachable while holding its turn");
                            });
            assertThat(actor.action("increment", Integer.class)).isEqualTo(1);
        }
    }
}
