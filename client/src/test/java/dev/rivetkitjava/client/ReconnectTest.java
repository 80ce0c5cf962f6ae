package dev.rivetkitjava.client;

import static dev.rivetkitjava.client.ClientScenarios.awaitSubscribed;
import static dev.rivetkitjava.client.ClientScenarios.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.client.ActorConnection.Status;
import dev.rivetkitjava.protocol.Encoding;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A connection survives what happens to the server: kicks, restarts, and a server that is not there
 * yet.
 */
class ReconnectTest {
    private static final Duration RECONNECT = Duration.ofSeconds(30);

    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aRestartedServerGetsTheConnectionBackWithStateAndSubscriptionsIntact(Encoding encoding)
            throws Exception {
        Path store = dir.resolve("actors.db");
        JavaServer first = JavaServer.start(store, 0, null);
        int port = first.port();
        JavaServer second = null;
        try (RivetClient client =
                RivetClient.builder().endpoint(first.endpoint()).encoding(encoding).build()) {
            ActorHandle counter = client.actor("counter").getOrCreate(unique("restart"));
            ActorConnection conn = counter.connect();
            List<Status> statuses = new CopyOnWriteArrayList<>();
            conn.onStatus(statuses::add);
            List<Integer> seen = new CopyOnWriteArrayList<>();
            conn.on("newCount", Integer.class, seen::add);
            awaitSubscribed(conn, seen, Duration.ofSeconds(60));
            assertThat(conn.action("increment", Integer.class, 3)).isEqualTo(3);
            String firstConnection = conn.connectionId();
            String actorId = conn.actorId();

            first.close();
            await().atMost(RECONNECT).until(() -> statuses.contains(Status.DISCONNECTED));
            // While the server is down an action waits for the connection instead of failing.
            CompletableFuture<Integer> waiting = conn.actionAsync("increment", Integer.class, 1);
            await().atMost(RECONNECT)
                    .until(() -> Collections.frequency(statuses, Status.DISCONNECTED) >= 2);
            assertThat(waiting).isNotDone();

            second = JavaServer.start(store, port, null);
            assertThat(waiting.get(RECONNECT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(4);
            assertThat(conn.status()).isEqualTo(Status.CONNECTED);
            assertThat(conn.connectionId()).isNotEqualTo(firstConnection);
            assertThat(conn.actorId()).isEqualTo(actorId);
            // The listener's subscription was sent again after the new Init: increment(0)
            // broadcasts 4.
            seen.clear();
            awaitSubscribed(conn, seen, Duration.ofSeconds(60));
            assertThat(seen).contains(4);
            assertThat(statuses)
                    .containsSubsequence(
                            Status.DISCONNECTED,
                            Status.CONNECTING,
                            Status.DISCONNECTED,
                            Status.CONNECTING,
                            Status.CONNECTED)
                    .doesNotContain(Status.IDLE);
        } finally {
            if (second != null) {
                second.close();
            }
        }
    }

    /** RivetKit's JS client goes idle when the server cannot be reached; this one keeps trying. */
    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aServerThatIsNotUpYetIsRetriedUntilItIs(Encoding encoding) throws Exception {
        int port = JavaServer.freePort();
        JavaServer server = null;
        try (RivetClient client =
                RivetClient.builder()
                        .endpoint("http://127.0.0.1:" + port)
                        .encoding(encoding)
                        .build()) {
            ActorConnection conn = client.actor("counter").getOrCreate(unique("late")).connect();
            List<Status> statuses = new CopyOnWriteArrayList<>();
            conn.onStatus(statuses::add);
            CompletableFuture<Integer> waiting = conn.actionAsync("increment", Integer.class, 7);
            await().atMost(RECONNECT)
                    .until(() -> Collections.frequency(statuses, Status.CONNECTING) >= 2);
            assertThat(conn.status()).isNotEqualTo(Status.IDLE);
            assertThat(waiting).isNotDone();

            server = JavaServer.start(null, port, null);
            assertThat(waiting.get(RECONNECT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(7);
            assertThat(conn.status()).isEqualTo(Status.CONNECTED);
            assertThat(statuses).doesNotContain(Status.IDLE);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void aKickedConnectionReconnectsAndSendsItsSubscriptionsAgain(Encoding encoding) {
        try (JavaServer server = JavaServer.start();
                RivetClient client =
                        RivetClient.builder()
                                .endpoint(server.endpoint())
                                .encoding(encoding)
                                .build()) {
            ActorConnection conn = client.actor("counter").getOrCreate(unique("kick")).connect();
            List<Integer> seen = new CopyOnWriteArrayList<>();
            conn.on("newCount", Integer.class, seen::add);
            awaitSubscribed(conn, seen, Duration.ofSeconds(60));
            String before = conn.connectionId();
            CompletableFuture<Integer> inFlight = conn.actionAsync("slow", Integer.class, 1000);

            assertThat(conn.action("kick", String.class)).isEqualTo("kicking");
            // An action that was sent on the dropped socket fails: it may or may not have run.
            assertThatThrownBy(() -> inFlight.get(RECONNECT.toSeconds(), TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOf(ClientError.class)
                    .hasMessageContaining("kicked");
            await().atMost(RECONNECT)
                    .until(
                            () ->
                                    conn.status() == Status.CONNECTED
                                            && !before.equals(conn.connectionId()));
            seen.clear();
            awaitSubscribed(conn, seen, Duration.ofSeconds(60));
            assertThat(conn.action("increment", Integer.class, 2)).isEqualTo(2);
            await().untilAsserted(() -> assertThat(seen).contains(2));
        }
    }

    @ParameterizedTest
    @EnumSource(Encoding.class)
    void closingTheClientClosesItsConnections(Encoding encoding) {
        try (JavaServer server = JavaServer.start()) {
            RivetClient client =
                    RivetClient.builder().endpoint(server.endpoint()).encoding(encoding).build();
            ActorConnection conn = client.actor("counter").getOrCreate(unique("close")).connect();
            assertThat(conn.action("increment", Integer.class, 1)).isEqualTo(1);
            client.close();
            assertThat(conn.status()).isEqualTo(Status.IDLE);
            assertThatThrownBy(() -> conn.action("increment", Integer.class, 1))
                    .isInstanceOf(ClientError.class);
        }
    }
}
