package dev.rivetkitjava.actor.store.postgres;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that stops answering: every call fails within the configured timeouts instead of
 * hanging, and the store works again once the database is back. Each test has a server of its own,
 * which it freezes or stops.
 */
@Tag("external")
class PostgresOutageTest {
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);

    /**
     * A call may wait for a connection and then for the server, plus scheduling slack on a busy
     * machine.
     */
    private static final Duration BOUND = SOCKET_TIMEOUT.plus(CONNECTION_TIMEOUT).plusSeconds(2);

    @TempDir Path dataDirectory;

    private EmbeddedPostgres server;
    private PostgresActorStore store;

    @BeforeEach
    void start() {
        server = EmbeddedPostgresFixture.startDedicated(dataDirectory, 0);
        store = open();
    }

    @AfterEach
    void stop() throws IOException {
        if (store != null) {
            store.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aFrozenServerMakesCallsFailWithinTheTimeoutsAndTheyWorkAgainAfterItThaws()
            throws Exception {
        store.insertIfAbsent(new NewActor("a1", "counter", ActorKey.of("k"), 1, null));
        long generation = store.claim("a1").orElseThrow().generation();
        store.saveStates(List.of(new StateWrite("a1", generation, bytes("before"), 1)));

        List<Long> frozen = EmbeddedPostgresFixture.freeze(dataDirectory);
        try {
            assertThat(frozen).hasSizeGreaterThan(1);
            failsWithinBound("findById", s -> s.findById("a1"));
            failsWithinBound(
                    "saveStates",
                    s ->
                            s.saveStates(
                                    List.of(new StateWrite("a1", generation, bytes("during"), 1))));
            failsWithinBound(
                    "kvWrite",
                    s ->
                            s.kvWrite(
                                    "a1",
                                    generation,
                                    KvBatch.builder().put("k", bytes("during")).build()));
            failsWithinBound("list", s -> s.list("counter", null, 10));
        } finally {
            EmbeddedPostgresFixture.thaw(frozen);
        }

        // A call that timed out may still have been applied: its statement sat in the frozen
        // server's socket.
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(store.findById("a1")).isPresent());
        long next = store.claim("a1").orElseThrow().generation();
        assertThat(store.saveStates(List.of(new StateWrite("a1", next, bytes("after"), 2))))
                .isEmpty();
        assertThat(store.kvWrite("a1", next, KvBatch.builder().put("k", bytes("after")).build()))
                .isTrue();
        ActorRecord stored = store.findById("a1").orElseThrow();
        assertThat(stored.state()).isEqualTo(bytes("after"));
        assertThat(stored.generation()).isEqualTo(next);
        assertThat(store.kvGet("a1", "k")).get().isEqualTo(bytes("after"));
    }

    @Test
    void aStoppedServerMakesCallsFailFastAndARestartedOneServesTheSameData() throws Exception {
        store.insertIfAbsent(new NewActor("a1", "counter", ActorKey.of("k"), 1, null));
        long generation = store.claim("a1").orElseThrow().generation();
        store.saveStates(List.of(new StateWrite("a1", generation, bytes("kept"), 1)));
        int port = server.getPort();

        server.close();
        server = null;
        failsWithinBound("findById", s -> s.findById("a1"));
        failsWithinBound("claim", s -> s.claim("a1"));

        server = EmbeddedPostgresFixture.startDedicated(dataDirectory, port);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .untilAsserted(
                        () ->
                                assertThat(store.findById("a1"))
                                        .get()
                                        .satisfies(
                                                r ->
                                                        assertThat(r.state())
                                                                .isEqualTo(bytes("kept"))));
        long next = store.claim("a1").orElseThrow().generation();
        assertThat(next).isGreaterThan(generation);
        assertThat(store.saveStates(List.of(new StateWrite("a1", generation, bytes("stale"), 1))))
                .containsExactly("a1");
    }

    private PostgresActorStore open() {
        return PostgresActorStore.builder()
                .jdbcUrl(server.getJdbcUrl("postgres", "postgres"))
                .poolSize(2)
                .connectTimeout(Duration.ofSeconds(1))
                .socketTimeout(SOCKET_TIMEOUT)
                .connectionTimeout(CONNECTION_TIMEOUT)
                .validationTimeout(Duration.ofMillis(500))
                .statementTimeout(Duration.ofSeconds(1))
                .build();
    }

    private void failsWithinBound(String operation, Consumer<PostgresActorStore> call) {
        long started = System.nanoTime();
        assertThatThrownBy(() -> call.accept(store))
                .as(operation)
                .isInstanceOf(PostgresActorStoreException.class)
                .hasMessageContaining(operation);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("%s failed after", operation)
                .isLessThan(BOUND);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }
}
