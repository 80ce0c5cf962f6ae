package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScheduleTest {
    record Ticks(List<String> ticks) {}

    record Reminder(String label, int times) {}

    private final List<String> fired = new CopyOnWriteArrayList<>();
    private final InMemoryActorStore store = new InMemoryActorStore();

    private ActorType<Ticks, Void> ticker() {
        return ActorType.builder("ticker", Ticks.class)
                .createState(c -> new Ticks(new CopyOnWriteArrayList<>()))
                .action(
                        "remind",
                        Reminder.class,
                        (c, reminder) ->
                                c.schedule()
                                        .after(
                                                Duration.ofMinutes(1),
                                                "tick",
                                                reminder.label(),
                                                reminder.times()))
                .action("cancel", String.class, (c, id) -> c.schedule().cancel(id))
                .actionWithArgs(
                        "tick",
                        (c, args) -> {
                            String tick =
                                    args.get(0, String.class) + " x" + args.get(1, Integer.class);
                            c.state().ticks().add(tick);
                            fired.add(tick);
                            return null;
                        })
                .action("pending", c -> c.schedule().list().size())
                .action("ticks", c -> c.state().ticks())
                .sleepTimeout(Duration.ofSeconds(5))
                .build();
    }

    @Test
    void aScheduledCallFiresWithItsArgumentsAndWakesASleepingActor() {
        ManualClock clock = new ManualClock();
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(clock).build()) {
            ActorHandle actor = registry.actor("ticker").getOrCreate(ActorKey.of("a"));
            actor.action("remind", String.class, new Reminder("standup", 3));
            assertThat(actor.action("pending", Integer.class)).isEqualTo(1);

            clock.advance(Duration.ofSeconds(10)); // the actor sleeps meanwhile
            assertThat(fired).isEmpty();
            clock.advance(Duration.ofSeconds(50));

            assertThat(fired).containsExactly("standup x3");
            assertThat(actor.action("ticks", List.class)).containsExactly("standup x3");
            assertThat(actor.action("pending", Integer.class)).isZero();
        }
    }

    @Test
    void aCancelledCallDoesNotFire() {
        ManualClock clock = new ManualClock();
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(clock).build()) {
            ActorHandle actor = registry.actor("ticker").getOrCreate(ActorKey.of("a"));
            String id = actor.action("remind", String.class, new Reminder("standup", 1));
            assertThat(actor.action("cancel", Boolean.class, id)).isTrue();
            clock.advance(Duration.ofMinutes(2));
            assertThat(fired).isEmpty();
        }
    }

    @Test
    void aScheduleSurvivesARestartOfTheRegistry() {
        ManualClock clock = new ManualClock();
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(clock).build()) {
            registry.actor("ticker")
                    .getOrCreate(ActorKey.of("a"))
                    .action("remind", String.class, new Reminder("later", 2));
        }
        assertThat(fired).isEmpty();

        ManualClock restarted = new ManualClock(clock.nowMillis());
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(restarted).build()) {
            restarted.advance(Duration.ofMinutes(1));
            assertThat(fired).containsExactly("later x2");
            assertThat(registry.actor("ticker").get(ActorKey.of("a")).action("ticks", List.class))
                    .containsExactly("later x2");
        }
    }

    @Test
    void everyPendingEventOfAnActorFiresAfterARestart() {
        ManualClock clock = new ManualClock();
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(clock).build()) {
            ActorHandle actor = registry.actor("ticker").getOrCreate(ActorKey.of("a"));
            actor.action("remind", String.class, new Reminder("first", 1));
            clock.advance(Duration.ofSeconds(30));
            actor.action("remind", String.class, new Reminder("second", 2));
        }
        ManualClock restarted = new ManualClock(clock.nowMillis());
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(restarted).build()) {
            restarted.advance(Duration.ofMinutes(1));
            assertThat(fired).containsExactly("first x1", "second x2");
        }
    }

    @Test
    void schedulingAnUnknownActionFailsAtOnce() {
        ActorType<Ticks, Void> type =
                ActorType.builder("bad", Ticks.class)
                        .createState(c -> new Ticks(List.of()))
                        .action("go", c -> c.schedule().after(Duration.ofSeconds(1), "nope"))
                        .build();
        try (Registry registry = Registry.builder().use(type).clock(new ManualClock()).build()) {
            assertThatThrownBy(
                            () ->
                                    registry.actor("bad")
                                            .getOrCreate(ActorKey.of("a"))
                                            .action("go", String.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.action_not_found"));
        }
    }

    /** {@code tick} fails its first call as {@code firstCall} says, and succeeds after. */
    private ActorType<Ticks, Void> flaky(String firstCall, AtomicInteger calls) {
        return ActorType.builder("flaky", Ticks.class)
                .createState(c -> new Ticks(new CopyOnWriteArrayList<>()))
                .action("remind", c -> c.schedule().after(Duration.ofMinutes(1), "tick", "once", 1))
                .actionWithArgs(
                        "tick",
                        (c, args) -> {
                            if (calls.incrementAndGet() == 1) {
                                switch (firstCall) {
                                    case "hang" -> c.await(new CompletableFuture<>()); // times out
                                    case "user" -> throw new UserError("not now");
                                    case "throw" ->
                                            throw new IllegalStateException("a bug in the action");
                                    default -> throw new IllegalArgumentException(firstCall);
                                }
                            }
                            String tick =
                                    args.get(0, String.class) + " x" + args.get(1, Integer.class);
                            c.state().ticks().add(tick);
                            fired.add(tick);
                            return null;
                        },
                        ActionOptions.withTimeout(Duration.ofMillis(200)))
                .action("pending", c -> c.schedule().list().size())
                .build();
    }

    @Test
    void aScheduledCallThatTimesOutFiresAgainAndThenSucceeds() {
        ManualClock clock = new ManualClock();
        AtomicInteger calls = new AtomicInteger();
        try (Registry registry =
                Registry.builder().use(flaky("hang", calls)).store(store).clock(clock).build()) {
            ActorHandle actor = registry.actor("flaky").getOrCreate(ActorKey.of("a"));
            actor.action("remind", String.class);

            clock.advance(Duration.ofMinutes(1)); // the call times out after 200 ms
            assertThat(calls).hasValue(1);
            assertThat(fired).isEmpty();
            assertThat(actor.action("pending", Integer.class)).isEqualTo(1); // kept, to fire again

            clock.advance(Duration.ofSeconds(1)); // the first retry's back-off
            assertThat(calls).hasValue(2);
            assertThat(fired).containsExactly("once x1");
            assertThat(actor.action("pending", Integer.class)).isZero();
            clock.advance(Duration.ofMinutes(10));
            assertThat(calls).hasValue(2);
        }
    }

    @Test
    void aScheduledCallThatFailsInTheActorsOwnCodeIsNotRepeated() {
        for (String failure : List.of("user", "throw")) {
            ManualClock clock = new ManualClock();
            AtomicInteger calls = new AtomicInteger();
            try (Registry registry =
                    Registry.builder()
                            .use(flaky(failure, calls))
                            .store(new InMemoryActorStore())
                            .clock(clock)
                            .build()) {
                ActorHandle actor = registry.actor("flaky").getOrCreate(ActorKey.of("a"));
                actor.action("remind", String.class);
                clock.advance(Duration.ofMinutes(1));
                assertThat(calls).as(failure).hasValue(1);
                assertThat(actor.action("pending", Integer.class)).as(failure).isZero();
                clock.advance(Duration.ofMinutes(10));
                assertThat(calls).as(failure).hasValue(1);
            }
        }
    }

    @Test
    void aScheduledCallWhoseActionNoLongerExistsIsDropped() {
        ManualClock clock = new ManualClock();
        try (Registry registry =
                Registry.builder().use(ticker()).store(store).clock(clock).build()) {
            registry.actor("ticker")
                    .getOrCreate(ActorKey.of("a"))
                    .action("remind", String.class, new Reminder("x", 1));
        }
        // The next version of the code has no `tick` any more.
        ActorType<Ticks, Void> withoutTick =
                ActorType.builder("ticker", Ticks.class)
                        .createState(c -> new Ticks(List.of()))
                        .action("pending", c -> c.schedule().list().size())
                        .build();
        ManualClock restarted = new ManualClock(clock.nowMillis());
        try (Registry registry =
                Registry.builder().use(withoutTick).store(store).clock(restarted).build()) {
            restarted.advance(Duration.ofMinutes(1));
            assertThat(
                            registry.actor("ticker")
                                    .get(ActorKey.of("a"))
                                    .action("pending", Integer.class))
                    .isZero();
            assertThat(restarted.pendingTasks())
                    .isLessThanOrEqualTo(1); // no retry armed (a sleep timer at most)
        }
        assertThat(fired).isEmpty();
    }
}
