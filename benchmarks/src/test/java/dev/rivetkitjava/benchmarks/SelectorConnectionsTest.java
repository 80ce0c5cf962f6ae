package dev.rivetkitjava.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.InMemoryActorStore;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.server.RivetServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The load tool's hand-framed WebSockets against a real server. */
class SelectorConnectionsTest {
    record Count(int count) {}

    private static final ActorType<Count, Void> COUNTER =
            ActorType.builder("counter", Count.class)
                    .createState(c -> new Count(0))
                    .action(
                            "increment",
                            Integer.class,
                            (c, amount) -> {
                                c.setState(new Count(c.state().count() + amount));
                                return c.state().count();
                            })
                    .action("text", Integer.class, (c, length) -> "x".repeat(length))
                    .build();

    private static RivetServer server(Duration pingInterval) throws Exception {
        Registry registry = Registry.builder().use(COUNTER).store(new InMemoryActorStore()).build();
        return RivetServer.builder(registry)
                .host("127.0.0.1")
                .port(0)
                .pingInterval(pingInterval)
                .build()
                .start();
    }

    private static List<SelectorConnections.Target> targets(RivetServer server, String... keys) {
        return java.util.Arrays.stream(keys)
                .map(k -> new SelectorConnections.Target(server.endpoint(), "counter", k))
                .toList();
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void actionsAreAnsweredOnEachConnectionEvenPastTheReadBuffer(Encoding encoding)
            throws Exception {
        try (RivetServer server = server(Duration.ofSeconds(30));
                SelectorConnections sockets =
                        SelectorConnections.open(
                                targets(server, "a", "b"), encoding, Duration.ofSeconds(10))) {
            SelectorConnections.Connection a = sockets.connections().get(0);
            SelectorConnections.Connection b = sockets.connections().get(1);
            for (int i = 1; i <= 3; i++) {
                assertThat(a.increment(2).get(10, TimeUnit.SECONDS).output().asInt())
                        .isEqualTo(2 * i);
            }
            assertThat(b.increment(5).get(10, TimeUnit.SECONDS).output().asInt()).isEqualTo(5);
            // Over the 64 KB a connection reads into at first: its buffer grows for it.
            String text =
                    a.action("text", IntNode.valueOf(300_000))
                            .get(10, TimeUnit.SECONDS)
                            .output()
                            .asText();
            assertThat(text).hasSize(300_000);
            assertThat(a.increment(1).get(10, TimeUnit.SECONDS).output().asInt()).isEqualTo(7);
        }
    }

    @Test
    void theServersPingsAreAnsweredSoAQuietConnectionStays() throws Exception {
        // The server drops a connection that answers nothing for two and a half intervals.
        try (RivetServer server = server(Duration.ofMillis(100));
                SelectorConnections sockets =
                        SelectorConnections.open(
                                targets(server, "quiet"), Encoding.BARE, Duration.ofSeconds(10))) {
            SelectorConnections.Connection quiet = sockets.connections().getFirst();
            await().during(Duration.ofMillis(800))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> quiet.isOpen() && server.connections() == 1);
            assertThat(quiet.increment(1).get(10, TimeUnit.SECONDS).output().asInt()).isEqualTo(1);
        }
    }

    @Test
    void aServerThatGoesAwayFailsWhatWaits() throws Exception {
        RivetServer server = server(Duration.ofSeconds(30));
        try (SelectorConnections sockets =
                SelectorConnections.open(
                        targets(server, "gone"), Encoding.BARE, Duration.ofSeconds(10))) {
            SelectorConnections.Connection gone = sockets.connections().getFirst();
            server.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> !gone.isOpen());
            assertThat(gone.increment(1)).failsWithin(Duration.ofSeconds(5));
        } finally {
            server.close();
        }
    }

    @Test
    void aConnectionRefusedBeforeInitFailsTheOpeningAndClosesTheOthers() throws Exception {
        try (RivetServer server = server(Duration.ofSeconds(30))) {
            List<SelectorConnections.Target> targets =
                    List.of(
                            new SelectorConnections.Target(server.endpoint(), "counter", "fine"),
                            new SelectorConnections.Target(
                                    server.endpoint(), "no-such-actor", "k"));
            assertThatThrownBy(
                            () ->
                                    SelectorConnections.open(
                                            targets, Encoding.BARE, Duration.ofSeconds(10)))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("no-such-actor");
            await().atMost(Duration.ofSeconds(10)).until(() -> server.connections() == 0);
        }
    }
}
