package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;

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
}
