package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionRestorer;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * WebSocket-like connections outlive the actor's sleep, as RivetKit's hibernatable actor-connect
 * sockets do.
 */
class HibernationTest {
    public static final class Count {
        public int count;
    }

    private final AtomicInteger connectHooks = new AtomicInteger();
    private final AtomicInteger sleeps = new AtomicInteger();

    private ActorType<Count, Void> counter() {
        return counterBuilder().build();
    }

    private ActorType.Builder<Count, Void> counterBuilder() {
        return ActorType.builder("counter", Count.class)
                .createState(c -> new Count())
                .createConnState((c, params) -> params.path("user").asText())
                .onConnect((c, conn) -> connectHooks.incrementAndGet())
                .onSleep(c -> sleeps.incrementAndGet())
                .action(
                        "increment",
                        c -> {
                            c.state().count++;
                            c.broadcast("newCount", c.state().count);
                            return c.state().count;
                        })
                .action(
                        "whoami",
                        c ->
                                c.conn().orElseThrow().id()
                                        + " "
                                        + c.conn().orElseThrow().state()
                                        + " gen "
                                        + c.generation())
                .sleepTimeout(Duration.ofSeconds(10));
    }

    /** A transport that stays open while the actor sleeps. */
    static class Socket implements ConnectionSink {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> closes = new CopyOnWriteArrayList<>();

        @Override
        public void send(ActorEvent event) {
            events.add(event.name() + " " + event.args());
        }

        @Override
        public void close(String reason, ActorError error) {
            closes.add(reason);
        }

        @Override
        public boolean hibernatable() {
            return true;
        }
    }

    @Test
    void aHibernatableConnectionDoesNotKeepTheActorAwakeAndSurvivesItsSleep() {
        ManualClock clock = new ManualClock();
        try (Registry registry = Registry.builder().use(counter()).clock(clock).build()) {
            Socket socket = new Socket();
            Placement.ConnectionHandle conn = erinsConnection(registry, socket);
            conn.subscribe("newCount");
            assertThat(conn.invoke(ActionCall.of("increment"))).isEqualTo(1);
            String before = (String) conn.invoke(ActionCall.of("whoami"));

            clock.advance(Duration.ofSeconds(10));
            assertThat(sleeps).hasValue(1);
            assertThat(socket.closes).isEmpty();

            // The next call wakes the actor; same connection, state and subscriptions; no connect
            // hooks again.
            assertThat(conn.invoke(ActionCall.of("increment"))).isEqualTo(2);
            assertThat(conn.invoke(ActionCall.of("whoami")))
                    .isEqualTo(before.replace("gen 1", "gen 2"));
            assertThat(conn.generation()).isEqualTo(2);
            assertThat(connectHooks).hasValue(1);
            assertThat(socket.events).containsExactly("newCount [1]", "newCount [2]");

            // A client that leaves while the actor sleeps is simply dropped.
            clock.advance(Duration.ofSeconds(10));
            conn.close();
            assertThat(
                            registry.actor("counter")
                                    .get(ActorKey.of("a"))
                                    .action("increment", Integer.class))
                    .isEqualTo(3);
            assertThat(socket.events).hasSize(2);
        }
    }

    @Test
    void aWakeThatFailsLeavesTheHibernatedConnectionWaitingForTheNextOne() {
        ManualClock clock = new ManualClock();
        AtomicInteger failWakes = new AtomicInteger();
        ActorType<Count, Void> counter =
                counterBuilder()
                        .onWake(
                                c -> {
                                    if (failWakes.getAndDecrement() > 0) {
                                        throw new IllegalStateException("not today");
                                    }
                                    c.broadcast("woke");
                                })
                        .build();
        try (Registry registry = Registry.builder().use(counter).clock(clock).build()) {
            Socket socket = new Socket();
            Placement.ConnectionHandle conn = erinsConnection(registry, socket);
            conn.subscribe("woke");
            clock.advance(Duration.ofSeconds(10));
            assertThat(sleeps).hasValue(1);

            failWakes.set(1);
            assertThatThrownBy(() -> conn.invoke(ActionCall.of("increment")))
                    .isInstanceOf(ActorError.class);
            // It rejoined that activation before onWake failed, and waits for the next one.
            assertThat(conn.invoke(ActionCall.of("increment"))).isEqualTo(1);
            assertThat(socket.events).containsExactly("woke []");
            assertThat(socket.closes).isEmpty();
        }
    }

    /** A socket whose far side another runtime can reach, as a cluster's gateway is. */
    static final class AddressedSocket extends Socket {
        @Override
        public String address() {
            return "gateway-1";
        }
    }

    @Test
    void aConnectionWithAnAddressIsRestoredByTheActorsNextActivationInAnotherRuntime() {
        InMemoryActorStore store = new InMemoryActorStore();
        AtomicInteger wakes = new AtomicInteger();
        ActorType<Count, Void> counter =
                counterBuilder()
                        .onWake(c -> c.broadcast("woke", wakes.incrementAndGet()))
                        .action(
                                "rename",
                                String.class,
                                (c, name) -> {
                                    c.conn().orElseThrow().setState(name);
                                    return null;
                                })
                        .build();
        String actorId;
        String connectionId;
        try (Registry first = Registry.builder().use(counter).store(store).build()) {
            Placement.ConnectionHandle conn =
                    first.placement()
                            .connect(
                                    new ActorQuery.GetOrCreate("counter", ActorKey.of("a"), null),
                                    java.util.Map.of("user", "erin"),
                                    new AddressedSocket());
            conn.subscribe("newCount");
            conn.subscribe("woke");
            conn.invoke(ActionCall.of("rename", "erin2"));
            assertThat(conn.invoke(ActionCall.of("increment"))).isEqualTo(1);
            // Closed by its client: not kept.
            first.placement()
                    .connect(
                            new ActorQuery.ById(conn.actorId()),
                            java.util.Map.of("user", "gone"),
                            new AddressedSocket())
                    .close();
            actorId = conn.actorId();
            connectionId = conn.connectionId();
        }
        // A record that is not one: skipped, deleted, and the actor wakes all the same.
        assertThat(
                        store.kvWrite(
                                actorId,
                                store.findById(actorId).orElseThrow().generation(),
                                KvBatch.builder()
                                        .put(
                                                ConnRecords.PREFIX + "garbled",
                                                "{not json".getBytes(StandardCharsets.UTF_8))
                                        .build()))
                .isTrue();
        // Another node: the socket's far side is reached anew.
        Socket there = new AddressedSocket();
        List<Placement.ConnectionHandle> restored = new CopyOnWriteArrayList<>();
        ConnectionRestorer restorer =
                new ConnectionRestorer() {
                    @Override
                    public ConnectionSink sinkAt(String address) {
                        assertThat(address).isEqualTo("gateway-1");
                        return there;
                    }

                    @Override
                    public void restored(
                            Placement.ConnectionHandle connection, ConnectionSink sink) {
                        assertThat(sink).isSameAs(there);
                        restored.add(connection);
                    }
                };
        try (Registry second =
                Registry.builder()
                        .use(counter)
                        .store(store)
                        .placement(
                                local -> {
                                    local.restoreConnectionsWith(restorer);
                                    return local;
                                })
                        .build()) {
            assertThat(
                            second.actor("counter")
                                    .get(ActorKey.of("a"))
                                    .action("increment", Integer.class))
                    .isEqualTo(2);
            assertThat(restored).hasSize(1);
            Placement.ConnectionHandle conn = restored.getFirst();
            assertThat(conn.connectionId()).isEqualTo(connectionId);
            // What onWake broadcast reached it, then the action's broadcast.
            assertThat(there.events).containsExactly("woke [2]", "newCount [2]");
            assertThat(conn.invoke(ActionCall.of("whoami")))
                    .isEqualTo(connectionId + " erin2 gen 2");
            assertThat(connectHooks).hasValue(2);

            conn.close();
        }
        // Closed there: its record went with the state saved at shutdown, as did the garbled one.
        assertThat(store.kvList(actorId, ConnRecords.PREFIX, null, 10)).isEmpty();
    }

    /** Erin's connection to counter "a" (created if need be) through {@code socket}. */
    private static Placement.ConnectionHandle erinsConnection(
            Registry registry, ConnectionSink socket) {
        return registry.placement()
                .connect(
                        new ActorQuery.GetOrCreate("counter", ActorKey.of("a"), null),
                        java.util.Map.of("user", "erin"),
                        socket);
    }
}
