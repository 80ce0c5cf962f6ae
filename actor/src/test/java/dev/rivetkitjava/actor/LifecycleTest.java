package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LifecycleTest {
    record Count(int count) {}

    record Vars(int wakeNumber) {}

    private final List<String> hooks = new CopyOnWriteArrayList<>();

    private ActorType<Count, Vars> recordingType() {
        return ActorType.builder("lifecycle", Count.class, Vars.class)
                .onMigrate((c, m) -> hooks.add("onMigrate(isNew=" + m.isNew() + ")"))
                .createState(
                        String.class,
                        (c, input) -> {
                            hooks.add("createState(" + input + ")");
                            return new Count(0);
                        })
                .onCreate(
                        (ActorContext<Count, Vars> c, String input) ->
                                hooks.add("onCreate(" + input + ")"))
                .createVars(
                        c -> {
                            hooks.add("createVars");
                            return new Vars(hooks.size());
                        })
                .onWake(c -> hooks.add("onWake"))
                .onSleep(c -> hooks.add("onSleep"))
                .onDestroy(c -> hooks.add("onDestroy"))
                .onBeforeConnect(
                        (c, params) ->
                                hooks.add("onBeforeConnect(" + params.path("user").asText() + ")"))
                .createConnState(
                        (c, params) -> {
                            hooks.add("createConnState");
                            return params.path("user").asText();
                        })
                .onConnect((c, conn) -> hooks.add("onConnect(" + conn.state() + ")"))
                .onDisconnect((c, conn) -> hooks.add("onDisconnect(" + conn.state() + ")"))
                .onUnsubscribe(
                        (c, conn, event) ->
                                hooks.add(
                                        "onUnsubscribe("
                                                + conn.state()
                                                + ", "
                                                + event
                                                + ", listeners left: "
                                                + c.conns().stream()
                                                        .filter(other -> other.isSubscribed(event))
                                                        .count()
                                                + ")"))
                .action(
                        "increment",
                        c -> {
                            c.setState(new Count(c.state().count() + 1));
                            return c.state().count();
                        })
                .action(
                        "sleep",
                        c -> {
                            c.sleep();
                            return null;
                        })
                .action(
                        "destroy",
                        c -> {
                            c.destroy();
                            return null;
                        })
                .build();
    }

    @Test
    void createThenSleepThenWakeRunHooksInRivetKitsOrder() {
        ManualClock clock = new ManualClock();
        try (Registry registry = Registry.builder().use(recordingType()).clock(clock).build()) {
            ActorHandle actor = registry.actor("lifecycle").getOrCreate(ActorKey.of("a"), "hello");

            assertThat(actor.action("increment", Integer.class)).isEqualTo(1);
            assertThat(hooks)
                    .containsExactly(
                            "onMigrate(isNew=true)",
                            "createState(hello)",
                            "onCreate(hello)",
                            "createVars",
                            "onWake");

            hooks.clear();
            clock.advance(Duration.ofSeconds(30));
            assertThat(hooks).containsExactly("onSleep");

            hooks.clear();
            assertThat(actor.action("increment", Integer.class)).isEqualTo(2);
            assertThat(hooks).containsExactly("onMigrate(isNew=false)", "createVars", "onWake");
        }
    }

    @Test
    void connectionsRunTheirHooksInOrder() {
        try (Registry registry =
                Registry.builder().use(recordingType()).clock(new ManualClock()).build()) {
            ActorHandle actor = registry.actor("lifecycle").getOrCreate(ActorKey.of("a"));
            actor.action("increment", Integer.class);
            hooks.clear();

            ActorConnection conn = actor.connect(java.util.Map.of("user", "alice"));
            assertThat(hooks)
                    .containsExactly(
                            "onBeforeConnect(alice)", "createConnState", "onConnect(alice)");
            conn.close();
            assertThat(hooks).last().isEqualTo("onDisconnect(alice)");
        }
    }

    @Test
    void anActorSeesWhoListensAndIsToldWhenAListenerUnsubscribes() throws Exception {
        try (Registry registry =
                Registry.builder().use(recordingType()).clock(new ManualClock()).build()) {
            ActorHandle actor = registry.actor("lifecycle").getOrCreate(ActorKey.of("a"));
            try (ActorConnection alice = actor.connect(java.util.Map.of("user", "alice"));
                    ActorConnection bob = actor.connect(java.util.Map.of("user", "bob"))) {
                Subscription aliceListens = alice.on("news", Object.class, news -> {});
                Subscription bobListens = bob.on("news", Object.class, news -> {});
                hooks.clear();

                aliceListens.close();
                org.awaitility.Awaitility.await().until(() -> !hooks.isEmpty());
                assertThat(hooks).containsExactly("onUnsubscribe(alice, news, listeners left: 1)");

                bobListens.close();
                org.awaitility.Awaitility.await().until(() -> hooks.size() == 2);
                assertThat(hooks).last().isEqualTo("onUnsubscribe(bob, news, listeners left: 0)");
                hooks.clear();
            }
            // A disconnect is onDisconnect's, not onUnsubscribe's.
            assertThat(hooks).containsExactlyInAnyOrder("onDisconnect(alice)", "onDisconnect(bob)");
        }
    }

    @Test
    void sleepRequestedByTheActorHappensAfterTheAction() {
        try (Registry registry =
                Registry.builder().use(recordingType()).clock(new ManualClock()).build()) {
            ActorHandle actor = registry.actor("lifecycle").getOrCreate(ActorKey.of("a"));
            String id = actor.resolve();
            actor.action("sleep", Object.class);
            org.awaitility.Awaitility.await().until(() -> hooks.contains("onSleep"));
            hooks.clear();
            actor.action("increment", Integer.class);
            assertThat(hooks).startsWith("onMigrate(isNew=false)");
            assertThat(actor.resolve()).isEqualTo(id);
        }
    }

    @Test
    void destroyDeletesTheActorAndFreesItsKey() {
        InMemoryActorStore store = new InMemoryActorStore();
        try (Registry registry =
                Registry.builder()
                        .use(recordingType())
                        .store(store)
                        .clock(new ManualClock())
                        .build()) {
            ActorHandle actor = registry.actor("lifecycle").getOrCreate(ActorKey.of("a"));
            actor.action("increment", Integer.class);
            String id = actor.resolve();

            actor.action("destroy", Object.class);
            org.awaitility.Awaitility.await().until(() -> hooks.contains("onDestroy"));

            assertThat(store.findById(id)).isEmpty();
            assertThatThrownBy(
                            () ->
                                    registry.actor("lifecycle")
                                            .getForId(id)
                                            .action("increment", Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> assertThat(e.qualifiedCode()).isEqualTo("actor.not_found"));
            ActorHandle again = registry.actor("lifecycle").getOrCreate(ActorKey.of("a"));
            assertThat(again.resolve()).isNotEqualTo(id);
            assertThat(again.action("increment", Integer.class)).isEqualTo(1);
        }
    }

    @Test
    void aDestroyAbortsAnActionThatAwaitsInsteadOfWaitingOutTheGracePeriod() throws Exception {
        java.util.concurrent.CompletableFuture<Void> never =
                new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch awaiting = new java.util.concurrent.CountDownLatch(1);
        ActorType<Count, Void> type =
                ActorType.builder("waiter", Count.class)
                        .createState(c -> new Count(0))
                        .action(
                                "wait",
                                c -> {
                                    // An agent's turn: no timeout, ended early when the actor
                                    // stops.
                                    c.abortSignal()
                                            .thenRun(
                                                    () ->
                                                            never.completeExceptionally(
                                                                    new IllegalStateException(
                                                                            "aborted")));
                                    try {
                                        awaiting.countDown();
                                        c.await(never);
                                        return "done";
                                    } catch (IllegalStateException e) {
                                        return e.getMessage();
                                    }
                                },
                                ActionOptions.noTimeout())
                        .onDestroy(c -> hooks.add("onDestroy"))
                        .build();
        try (Registry registry =
                Registry.builder().use(type).stopGracePeriod(Duration.ofMinutes(5)).build()) {
            ActorHandle actor = registry.actor("waiter").getOrCreate(ActorKey.of("w"));
            java.util.concurrent.Future<String> waiting =
                    java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()
                            .submit(() -> actor.action("wait", String.class));
            assertThat(awaiting.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

            long start = System.nanoTime();
            registry.placement().destroy(actor.resolve());

            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(Duration.ofSeconds(30));
            assertThat(waiting.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("aborted");
            assertThat(hooks).containsExactly("onDestroy");
        }
    }

    @Test
    void getCreateAndGetForIdResolveAsRivetKitsHandlesDo() {
        try (Registry registry =
                Registry.builder().use(recordingType()).clock(new ManualClock()).build()) {
            ActorAccessor actors = registry.actor("lifecycle");
            assertThatThrownBy(
                            () ->
                                    actors.get(ActorKey.of("missing"))
                                            .action("increment", Integer.class))
                    .isInstanceOfSatisfying(
                            ActorError.class, e -> assertThat(e.code()).isEqualTo("not_found"));

            ActorHandle created = actors.create(ActorKey.of("b"), "input");
            assertThatThrownBy(() -> actors.create(ActorKey.of("b"), null))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e -> {
                                assertThat(e.qualifiedCode()).isEqualTo("actor.duplicate_key");
                                assertThat(e.metadata())
                                        .containsEntry("existing_actor_id", created.resolve());
                            });
            assertThat(actors.get(ActorKey.of("b")).resolve()).isEqualTo(created.resolve());
            assertThat(actors.getForId(created.resolve()).action("increment", Integer.class))
                    .isEqualTo(1);
            assertThat(registry.list("lifecycle", null, 10))
                    .extracting(r -> r.key().serialize())
                    .containsExactly("b");
        }
    }
}
