package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The in-process accessor takes keys as the remote client does; subscriptions close once. */
class ActorAccessorTest {
    record Count(int count) {}

    private static Registry registry(List<String> hooks) {
        return Registry.builder()
                .use(
                        ActorType.builder("counter", Count.class)
                                .createState(c -> new Count(0))
                                .action(
                                        "add",
                                        Integer.class,
                                        (c, amount) -> {
                                            c.setState(new Count(c.state().count() + amount));
                                            c.broadcast("added", amount);
                                            return c.state().count();
                                        })
                                .onUnsubscribe((c, conn, event) -> hooks.add(event))
                                .build())
                .build();
    }

    @Test
    void keysAsComponentsAListOrAnActorKeyNameTheSameActor() {
        try (Registry registry = registry(new CopyOnWriteArrayList<>())) {
            ActorAccessor counters = registry.actor("counter");
            assertThat(counters.name()).isEqualTo("counter");
            assertThat(counters.getOrCreate("team", "a").action("add", Integer.class, 1))
                    .isEqualTo(1);
            assertThat(counters.get(List.of("team", "a")).action("add", Integer.class, 1))
                    .isEqualTo(2);
            assertThat(counters.get(ActorKey.of("team", "a")).action("add", Integer.class, 1))
                    .isEqualTo(3);
            assertThat(counters.create(List.of("team", "b"), null).action("add", Integer.class, 5))
                    .isEqualTo(5);
            assertThatThrownBy(() -> counters.create(List.of("team", "b")))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.duplicate_key"));
            assertThatThrownBy(() -> counters.get("team", "c").action("add", Integer.class, 1))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.not_found"));
        }
    }

    @Test
    void closingASubscriptionTwiceUnsubscribesOnce() {
        List<String> hooks = new CopyOnWriteArrayList<>();
        try (Registry registry = registry(hooks);
                ActorConnection conn = registry.actor("counter").getOrCreate("a").connect()) {
            List<Integer> seen = new CopyOnWriteArrayList<>();
            Subscription first = conn.on("added", Integer.class, seen::add);
            Subscription second = conn.on("added", Integer.class, amount -> {});
            conn.action("add", Integer.class, 2);
            Awaitility.await().until(() -> seen.equals(List.of(2)));

            second.close();
            first.close();
            first.close();
            // the connection's messages reach the actor in order: after this reply, every
            // unsubscribe has arrived
            assertThat(conn.action("add", Integer.class, 1)).isEqualTo(3);
            Awaitility.await().until(() -> !hooks.isEmpty());
            assertThat(hooks).containsExactly("added");
        }
    }
}
