package dev.rivetkitjava.sandboxagent.persist.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorKv;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ManualClock;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriverContract;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract on a driver inside a real actor, plus durability across restarts, sleep and the
 * caps.
 */
class ActorStatePersistDriverTest extends SessionPersistDriverContract {

    /** The seed workspace's shape: the sessions live in the actor's own state. */
    record WorkspaceState(String sandboxId, String baseUrl, PersistedSessions sessions) {}

    record WorkspaceVars(SessionPersistDriver persist) {}

    @TempDir Path dir;

    private final Map<String, SessionPersistDriver> drivers = new ConcurrentHashMap<>();
    private final List<Registry> registries = new ArrayList<>();
    private final ManualClock clock = new ManualClock();
    private final CompletableFuture<Void> gate = new CompletableFuture<>();
    private final CountDownLatch holding = new CountDownLatch(1);

    @Override
    protected SessionPersistDriver newDriver() {
        return workspace(start(new InMemoryActorStore(), 1024, 500), "contract");
    }

    @Override
    protected Optional<SessionPersistDriver> newCappedDriver(
            int maxSessions, int maxEventsPerSession) {
        return Optional.of(
                workspace(
                        start(new InMemoryActorStore(), maxSessions, maxEventsPerSession), "caps"));
    }

    @AfterEach
    void closeRegistries() {
        registries.forEach(Registry::close);
    }

    private Registry start(ActorStore store, int maxSessions, int maxEvents) {
        return start(store, maxSessions, maxEvents, null);
    }

    /**
     * With the event writer that {@code eventWriter} makes of the actor's key-value store (null:
     * the default).
     */
    private Registry start(
            ActorStore store,
            int maxSessions,
            int maxEvents,
            Function<ActorKv, ActorStatePersistDriver.EventWriter> eventWriter) {
        ActorType<WorkspaceState, WorkspaceVars> type =
                ActorType.builder("workspace", WorkspaceState.class, WorkspaceVars.class)
                        .createState(
                                c ->
                                        new WorkspaceState(
                                                "sbx-1",
                                                "http://127.0.0.1:2468",
                                                new PersistedSessions()))
                        .createVars(
                                c -> {
                                    var driver =
                                            ActorStatePersistDriver.builder(
                                                            c, WorkspaceState::sessions)
                                                    .maxSessions(maxSessions)
                                                    .maxEventsPerSession(maxEvents);
                                    return new WorkspaceVars(
                                            (eventWriter == null
                                                            ? driver
                                                            : driver.eventWriter(
                                                                    eventWriter.apply(c.kv())))
                                                    .build());
                                })
                        .onWake(c -> drivers.put(c.actorId(), c.vars().persist()))
                        .action("wake", c -> c.state().sandboxId())
                        .action(
                                "holdTurn",
                                c -> {
                                    holding.countDown();
                                    gate.join();
                                    return null;
                                })
                        .action(
                                "tryCaps",
                                Integer.class,
                                (c, cap) -> {
                                    try {
                                        ActorStatePersistDriver.builder(c, WorkspaceState::sessions)
                                                .maxEventsPerSession(cap);
                                        return "accepted";
                                    } catch (IllegalArgumentException e) {
                                        return e.getMessage();
                                    }
                                })
                        .sleepTimeout(Duration.ofMinutes(10))
                        .build();
        // Only saveState and shutdown save, so a test sees exactly what the driver made durable.
        Registry registry =
                Registry.builder()
                        .use(type)
                        .store(store)
                        .clock(clock)
                        .saveInterval(Duration.ofHours(1))
                        .build();
        registries.add(registry);
        return registry;
    }

    private SessionPersistDriver workspace(Registry registry, String key) {
        ActorHandle actor = registry.actor("workspace").getOrCreate(ActorKey.of(key));
        actor.action("wake", String.class);
        return drivers.get(actor.resolve());
    }

    @Test
    void eachWriteIsInTheStoreWhenItReturnsAndSurvivesARestart() {
        Path file = dir.resolve("actors.db");
        SqliteActorStore store = SqliteActorStore.open(file);
        Registry registry = start(store, 1024, 500);
        SessionPersistDriver persist = workspace(registry, "durable");
        String actorId = registry.actor("workspace").get(ActorKey.of("durable")).resolve();
        persist.updateSession(session("s-1", 10));
        List<SessionEvent> events =
                IntStream.rangeClosed(1, 20).mapToObj(i -> event("s-1", i)).toList();
        persist.insertEvents("s-1", events.subList(0, 19));
        persist.insertEvent("s-1", events.get(19));

        String stored =
                new String(store.findById(actorId).orElseThrow().state(), StandardCharsets.UTF_8);
        assertThat(stored).contains("\"sessions\":{\"s-1\":").doesNotContain("events");
        assertThat(store.kvList(actorId, "sandbox-agent/events/3:s-1/", null, 100))
                .hasSize(20)
                .last()
                .satisfies(
                        e ->
                                assertThat(new String(e.value(), StandardCharsets.UTF_8))
                                        .contains(events.get(19).id()));

        registry.close();
        store.close();
        SqliteActorStore reopened = SqliteActorStore.open(file);
        SessionPersistDriver after = workspace(start(reopened, 1024, 500), "durable");
        assertThat(after.getSession("s-1")).contains(session("s-1", 10));
        assertThat(readAll(7, (page, none) -> after.listEvents("s-1", page)))
                .containsExactlyElementsOf(events);
        registries.getLast().close();
        reopened.close();
    }

    @Test
    void anInsertWritesOnlyItsEventsAndTrimsInTheSameWrite() {
        InMemoryActorStore store = new InMemoryActorStore();
        Registry registry = start(store, 1024, 3);
        SessionPersistDriver persist = workspace(registry, "kv");
        String actorId = registry.actor("workspace").get(ActorKey.of("kv")).resolve();
        persist.updateSession(session("s-1", 10));
        byte[] stateAfterSession = store.findById(actorId).orElseThrow().state();

        persist.insertEvents("s-1", List.of(event("s-1", 1), event("s-1", 2)));
        persist.insertEvents("s-1", List.of(event("s-1", 3), event("s-1", 4), event("s-1", 5)));

        assertThat(store.findById(actorId).orElseThrow().state())
                .as("the state is not written")
                .isEqualTo(stateAfterSession);
        assertThat(store.kvList(actorId, "", null, 100))
                .extracting(KvEntry::key)
                .containsExactly(
                        "sandbox-agent/events/3:s-1/0000000000000000003",
                        "sandbox-agent/events/3:s-1/0000000000000000004",
                        "sandbox-agent/events/3:s-1/0000000000000000005");
    }

    @Test
    void anEventWriterWritesTheInsertWithItsOwnChangesAndAFailedOneLeavesNothing() {
        InMemoryActorStore store = new InMemoryActorStore();
        List<List<Long>> handed = new ArrayList<>();
        Registry registry =
                start(
                        store,
                        1024,
                        3,
                        kv ->
                                (sessionId, added, changes) -> {
                                    handed.add(
                                            added.stream()
                                                    .map(a -> a.event().eventIndex())
                                                    .toList());
                                    assertThat(added)
                                            .allSatisfy(
                                                    a ->
                                                            assertThat(
                                                                            new String(
                                                                                    a.json(),
                                                                                    StandardCharsets
                                                                                            .UTF_8))
                                                                    .contains(
                                                                            "\"id\":\""
                                                                                    + a.event().id()
                                                                                    + "\""));
                                    long last = added.getLast().event().eventIndex();
                                    if (last == 9) {
                                        throw new IllegalStateException("refused");
                                    }
                                    changes.put(
                                            "alongside/" + sessionId + "/" + last, new byte[] {1});
                                    kv.write(changes.build());
                                });
        SessionPersistDriver persist = workspace(registry, "along");
        String actorId = registry.actor("workspace").get(ActorKey.of("along")).resolve();

        SessionEvent first = event("s-1", 1);
        persist.insertEvents("s-1", List.of(first, event("s-1", 2)));
        persist.insertEvent(
                "s-1", first); // already stored: nothing to write, the writer is not called
        persist.insertEvents("s-1", List.of(event("s-1", 3), event("s-1", 4), event("s-1", 5)));
        assertThatThrownBy(() -> persist.insertEvent("s-1", event("s-1", 9))).hasMessage("refused");

        assertThat(handed).containsExactly(List.of(1L, 2L), List.of(3L, 4L, 5L), List.of(9L));
        assertThat(store.kvList(actorId, "", null, 100))
                .extracting(KvEntry::key)
                .containsExactly(
                        "alongside/s-1/2",
                        "alongside/s-1/5",
                        "sandbox-agent/events/3:s-1/0000000000000000003",
                        "sandbox-agent/events/3:s-1/0000000000000000004",
                        "sandbox-agent/events/3:s-1/0000000000000000005");
        assertThat(persist.listEvents("s-1", PageRequest.first(10)).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactly(3L, 4L, 5L);
    }

    @Test
    void eventsAreWrittenAndReadWhileAnActionHoldsTheTurn() throws Exception {
        Registry registry = start(new InMemoryActorStore(), 1024, 500);
        SessionPersistDriver persist = workspace(registry, "busy");
        persist.insertEvent("s-1", event("s-1", 1));
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> action =
                    threads.submit(
                            () ->
                                    registry.actor("workspace")
                                            .get(ActorKey.of("busy"))
                                            .action("holdTurn", Object.class));
            holding.await();

            threads.submit(
                            () ->
                                    persist.insertEvents(
                                            "s-1", List.of(event("s-1", 2), event("s-1", 3))))
                    .get(30, TimeUnit.SECONDS); // a bound instead of a hang if it waited for the
            // turn

            assertThat(persist.listEvents("s-1", PageRequest.first()).items())
                    .extracting(SessionEvent::eventIndex)
                    .containsExactly(1L, 2L, 3L);
            assertThat(action).isNotDone();
            gate.complete(null);
            action.get();
        }
    }

    @Test
    void aSessionIdThatPrefixesAnotherKeepsItsOwnEvents() {
        driver.insertEvent("s", event("s", 1));
        driver.insertEvent("s/1", event("s/1", 1));
        driver.insertEvent("s/", event("s/", 2));

        assertThat(driver.listEvents("s", PageRequest.first()).items())
                .extracting(SessionEvent::sessionId)
                .containsExactly("s");
        assertThat(driver.listEvents("s/", PageRequest.first()).items())
                .extracting(SessionEvent::eventIndex)
                .containsExactly(2L);
    }

    @Test
    void eventsThatAnOlderVersionKeptInTheStateMoveToTheKeyValueStore() throws Exception {
        InMemoryActorStore store = new InMemoryActorStore();
        SessionEvent first = event("s-1", 1);
        SessionEvent second = event("s-1", 2);
        String legacy =
                JSON.writeValueAsString(
                        Map.of(
                                "sandboxId",
                                "sbx-1",
                                "baseUrl",
                                "http://127.0.0.1:2468",
                                "sessions",
                                Map.of(
                                        "sessions",
                                        Map.of("s-1", session("s-1", 10)),
                                        "events",
                                        Map.of("s-1", List.of(first, second)))));
        store.insertIfAbsent(
                new NewActor("legacy-id", "workspace", ActorKey.of("legacy"), 1, null));
        long generation = store.claim("legacy-id").orElseThrow().generation();
        store.saveStates(
                List.of(
                        new StateWrite(
                                "legacy-id",
                                generation,
                                legacy.getBytes(StandardCharsets.UTF_8),
                                1)));

        SessionPersistDriver persist = workspace(start(store, 1024, 500), "legacy");

        assertThat(persist.listEvents("s-1", PageRequest.first()).items())
                .containsExactly(first, second);
        persist.insertEvent("s-1", second);
        assertThatThrownBy(() -> persist.insertEvent("s-1", event("s-1", 1)))
                .isInstanceOf(EventIndexConflictException.class);
        assertThat(persist.getSession("s-1")).contains(session("s-1", 10));
        assertThat(
                        new String(
                                store.findById("legacy-id").orElseThrow().state(),
                                StandardCharsets.UTF_8))
                .contains("\"s-1\"")
                .doesNotContain("events")
                .doesNotContain(first.id());
        assertThat(store.kvList("legacy-id", "", null, 10)).hasSize(2);
    }

    @Test
    void anEvictedSessionsEventsLeaveTheStore() {
        InMemoryActorStore store = new InMemoryActorStore();
        Registry registry = start(store, 1, 10);
        SessionPersistDriver persist = workspace(registry, "evict");
        String actorId = registry.actor("workspace").get(ActorKey.of("evict")).resolve();
        persist.updateSession(session("old", 1));
        persist.insertEvents("old", List.of(event("old", 1), event("old", 2)));

        persist.updateSession(session("new", 2));
        persist.insertEvent("new", event("new", 1));

        assertThat(store.kvList(actorId, "", null, 10))
                .extracting(KvEntry::key)
                .containsExactly("sandbox-agent/events/3:new/0000000000000000001");
    }

    @Test
    void callsFromManyThreadsAllLand() throws Exception {
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> writes = new ArrayList<>();
            for (int s = 0; s < 8; s++) {
                String sessionId = "s-" + s;
                writes.add(
                        threads.submit(
                                () -> {
                                    driver.updateSession(session(sessionId, 1));
                                    for (int i = 1; i <= 25; i++) {
                                        driver.insertEvent(sessionId, event(sessionId, i));
                                    }
                                }));
            }
            for (Future<?> write : writes) {
                write.get();
            }
        }
        assertThat(driver.listSessions(PageRequest.first()).items()).hasSize(8);
        for (int s = 0; s < 8; s++) {
            assertThat(driver.listEvents("s-" + s, PageRequest.first()).items()).hasSize(25);
        }
    }

    @Test
    void afterTheActorSleepsTheOldDriverFailsClearlyAndTheNextOneHasEverything() {
        Registry registry = start(new InMemoryActorStore(), 1024, 500);
        SessionPersistDriver first = workspace(registry, "sleepy");
        first.updateSession(session("s-1", 10));
        first.insertEvent("s-1", event("s-1", 1));
        clock.advance(Duration.ofMinutes(10));

        assertThatThrownBy(() -> first.getSession("s-1"))
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> assertThat(e.qualifiedCode()).isEqualTo("actor.stopped"));
        SessionPersistDriver next = workspace(registry, "sleepy");
        assertThat(next.getSession("s-1")).isPresent();
        assertThat(next.listEvents("s-1", PageRequest.first()).items()).hasSize(1);
    }

    @Test
    void theDefaultCapsAreUpstreams() {
        for (int i = 1; i <= 501; i++) {
            driver.insertEvent("s-1", event("s-1", i));
        }
        assertThat(readAll(100, (page, none) -> driver.listEvents("s-1", page)))
                .hasSize(500)
                .first()
                .extracting(SessionEvent::eventIndex)
                .isEqualTo(2L);
    }

    @Test
    void aStateWithoutPersistedSessionsIsAClearError() {
        ActorType<WorkspaceState, WorkspaceVars> type =
                ActorType.builder("workspace", WorkspaceState.class, WorkspaceVars.class)
                        .createState(
                                c -> new WorkspaceState("sbx-1", "http://127.0.0.1:2468", null))
                        .createVars(
                                c ->
                                        new WorkspaceVars(
                                                ActorStatePersistDriver.of(
                                                        c, WorkspaceState::sessions)))
                        .onWake(c -> drivers.put(c.actorId(), c.vars().persist()))
                        .action("wake", c -> c.state().sandboxId())
                        .build();
        Registry registry = Registry.builder().use(type).store(new InMemoryActorStore()).build();
        registries.add(registry);
        SessionPersistDriver broken = workspace(registry, "no-sessions");
        assertThatThrownBy(() -> broken.updateSession(session("s-1", 1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PersistedSessions");
    }

    @Test
    void capsBelowOneAreRefused() {
        ActorHandle actor =
                start(new InMemoryActorStore(), 1, 1)
                        .actor("workspace")
                        .getOrCreate(ActorKey.of("k"));
        assertThat(actor.action("tryCaps", String.class, 1)).isEqualTo("accepted");
        assertThat(actor.action("tryCaps", String.class, 0))
                .isEqualTo("maxEventsPerSession must be at least 1, got 0");
    }
}
