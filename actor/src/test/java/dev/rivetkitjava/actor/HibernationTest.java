package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
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
                .sleepTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** A transport that stays open while the actor sleeps. */
    static final class Socket implements ConnectionSink {
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
            Placement.ConnectionHandle conn =
                    registry.placement()
                            .connect(
                                    new ActorQuery.GetOrCreate("counter", ActorKey.of("a"), null),
                                    java.util.Map.of("user", "erin"),
                                    socket);
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
}
