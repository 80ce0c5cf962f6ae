package dev.rivetkitjava.benchmarks.agent;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A workspace-like actor, awake inside a real Registry on the SQLite actor store, whose actor-state
 * persist driver (made with the driver's public builder only) the benchmarks use from outside, as
 * the SDK does from its threads.
 */
final class ActorStateDriverHost implements AutoCloseable {

    public record Workspace(PersistedSessions sessions) {}

    public record WorkspaceVars(SessionPersistDriver persist) {}

    private final SqliteActorStore store;
    private final Registry registry;
    private final SessionPersistDriver driver;

    private ActorStateDriverHost(
            SqliteActorStore store, Registry registry, SessionPersistDriver driver) {
        this.store = store;
        this.registry = registry;
        this.driver = driver;
    }

    /**
     * Opens the store at {@code db} and wakes the actor, whose driver keeps {@code maxEvents} per
     * session.
     */
    static ActorStateDriverHost open(Path db, int maxEvents) throws Exception {
        AtomicReference<SessionPersistDriver> inActor = new AtomicReference<>();
        ActorType<Workspace, WorkspaceVars> workspace =
                ActorType.builder("workspace", Workspace.class, WorkspaceVars.class)
                        .createState(c -> new Workspace(new PersistedSessions()))
                        .createVars(
                                c ->
                                        new WorkspaceVars(
                                                ActorStatePersistDriver.builder(
                                                                c, Workspace::sessions)
                                                        .maxEventsPerSession(maxEvents)
                                                        .build()))
                        .onWake(c -> inActor.set(c.vars().persist()))
                        .action("wake", c -> null)
                        .sleepTimeout(Duration.ofHours(1)) // the driver belongs to one activation
                        .build();
        SqliteActorStore store = SqliteActorStore.open(db);
        Registry registry = Registry.builder().use(workspace).store(store).build();
        try {
            registry.actor(workspace)
                    .getOrCreate(ActorKey.of("bench"))
                    .action("wake", Object.class);
        } catch (Exception e) {
            registry.close();
            store.close();
            throw e;
        }
        // The wake action has set it.
        return new ActorStateDriverHost(store, registry, Objects.requireNonNull(inActor.get()));
    }

    SessionPersistDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        try {
            registry.close();
        } finally {
            store.close();
        }
    }
}
