package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SleepTest {
    record Count(int count) {}

    record Vars(String token) {}

    private final AtomicReference<ActorContext<Count, Vars>> leakedContext =
            new AtomicReference<>();
    private final AtomicReference<String> storedDuringOnSleep = new AtomicReference<>();
    private final InMemoryActorStore store = new InMemoryActorStore();
    private final ManualClock clock = new ManualClock();

    private ActorType<Count, Vars> counter() {
        return ActorType.builder("counter", Count.class, Vars.class)
                .createState(c -> new Count(0))
                .createVars(c -> new Vars("vars-of-generation-" + c.generation()))
                .onWake(leakedContext::set)
                .onSleep(
                        c -> {
                            c.setState(new Count(c.state().count() + 1000));
                            storedDuringOnSleep.set(storedState(c.actorId()));
                        })
                .action(
                        "increment",
                        c -> {
                            c.setState(new Count(c.state().count() + 1));
                            return c.state().count();
                        })
                .action("vars", c -> c.vars().token())
                .action(
                        "holdAwake",
                        c -> {
                            c.keepAwake(new CompletableFuture<>());
                            return null;
                        })
                .sleepTimeout(Duration.ofSeconds(10))
                .build();
    }

    private Registry registry() {
        return Registry.builder().use(counter()).store(store).clock(clock).build();
    }

    private String storedState(String id) {
        byte[] state = store.findById(id).orElseThrow().state();
        return state == null ? null : new String(state, StandardCharsets.UTF_8);
    }

    @Test
    void anIdleActorSleepsWithItsStateSavedAndWakesWithItIntact() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("increment", Integer.class);
            assertThat(actor.action("increment", Integer.class)).isEqualTo(2);
            String id = actor.resolve();
            assertThat(actor.action("vars", String.class)).isEqualTo("vars-of-generation-1");

            clock.advance(Duration.ofSeconds(9));
            assertThat(storedDuringOnSleep.get()).isNull();
            clock.advance(Duration.ofSeconds(1));

            // onSleep's own change is saved too, before sleep completes.
            assertThat(storedDuringOnSleep.get()).isNotNull();
            assertThat(storedState(id)).isEqualTo("{\"count\":1002}");
            ActorContext<Count, Vars> slept = leakedContext.get();
            assertThatThrownBy(slept::vars)
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.stopped"));
            assertThatThrownBy(() -> slept.broadcast("x")).isInstanceOf(ActorError.class);

            assertThat(actor.action("increment", Integer.class)).isEqualTo(1003);
            assertThat(actor.action("vars", String.class)).isEqualTo("vars-of-generation-2");
            assertThat(actor.resolve()).isEqualTo(id);
        }
    }

    @Test
    void activityPostponesSleep() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("increment", Integer.class);
            clock.advance(Duration.ofSeconds(8));
            actor.action("increment", Integer.class);
            clock.advance(Duration.ofSeconds(8));
            assertThat(storedDuringOnSleep.get()).isNull();
            clock.advance(Duration.ofSeconds(2));
            assertThat(storedDuringOnSleep.get()).isNotNull();
        }
    }

    @Test
    void connectionsAndKeepAwakeHoldTheActorAwake() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            ActorConnection conn = actor.connect();
            clock.advance(Duration.ofMinutes(5));
            assertThat(storedDuringOnSleep.get()).isNull();

            conn.close();
            actor.action("holdAwake", Object.class);
            clock.advance(Duration.ofMinutes(5));
            assertThat(storedDuringOnSleep.get()).isNull();
        }
    }

    @Test
    void theNextCallAfterSleepWakesTheActorEvenMidSleep() {
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("increment", Integer.class);
            CompletableFuture<Void> sleeping =
                    CompletableFuture.runAsync(() -> clock.advance(Duration.ofSeconds(10)));
            int count = actor.action("increment", Integer.class);
            sleeping.join();
            // Either the call ran before sleep (1 → 2, then +1000) or woke the actor after it (1001
            // → 1002).
            assertThat(count).isIn(2, 1002);
            // A call that landed as the clock moved (its activity at the new time) puts the sleep
            // off by a timeout.
            clock.advance(Duration.ofSeconds(10));
            await().until(() -> storedDuringOnSleep.get() != null);
        }
    }

    @Test
    void shutdownSavesStateLikeSleep() {
        String id;
        try (Registry registry = registry()) {
            ActorHandle actor = registry.actor("counter").getOrCreate(ActorKey.of("a"));
            actor.action("increment", Integer.class);
            id = actor.resolve();
        }
        assertThat(storedState(id)).isEqualTo("{\"count\":1001}");
    }
}
