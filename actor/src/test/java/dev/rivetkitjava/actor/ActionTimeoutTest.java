package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ActionTimeoutTest {
    record Empty() {}

    private final CountDownLatch neverReleased = new CountDownLatch(1);
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final CompletableFuture<String> agent = new CompletableFuture<>();

    private ActorType<Empty, Void> type() {
        return ActorType.builder("slow", Empty.class)
                .createState(c -> new Empty())
                .actionTimeout(Duration.ofMillis(200))
                .action(
                        "stuck",
                        c ->
                                c.await(
                                        () -> {
                                            try {
                                                neverReleased.await();
                                                return "released";
                                            } catch (InterruptedException e) {
                                                interrupted.set(true);
                                                throw e;
                                            }
                                        }))
                .action("agentTurn", c -> c.await(agent), ActionOptions.noTimeout())
                .action("quick", c -> "ok")
                .build();
    }

    @Test
    void aWaitPastTheTimeoutFailsTheCallAndInterruptsTheWork() {
        try (Registry registry = Registry.builder().use(type()).build()) {
            ActorHandle actor = registry.actor("slow").getOrCreate(ActorKey.of("a"));
            assertThatThrownBy(() -> actor.action("stuck", String.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.action_timed_out"));
            org.awaitility.Awaitility.await().untilTrue(interrupted);
            assertThat(actor.action("quick", String.class)).isEqualTo("ok");
        }
    }

    @Test
    void anActionWithoutTimeoutOutlivesTheTypesDefault() throws Exception {
        try (Registry registry = Registry.builder().use(type()).build()) {
            ActorHandle actor = registry.actor("slow").getOrCreate(ActorKey.of("a"));
            CompletableFuture<String> turn =
                    CompletableFuture.supplyAsync(
                            () -> actor.action("agentTurn", String.class),
                            Executors.newVirtualThreadPerTaskExecutor());
            // Outlast the 200 ms default by waiting on another action that times out meanwhile.
            assertThatThrownBy(() -> actor.action("stuck", String.class))
                    .isInstanceOf(ActorError.class);
            assertThat(turn).isNotDone();
            agent.complete("end_turn");
            assertThat(turn.get()).isEqualTo("end_turn");
        }
    }

    @Test
    void optionsRejectNegativeTimeouts() {
        assertThatThrownBy(() -> ActionOptions.withTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
