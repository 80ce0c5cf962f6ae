package dev.rivetkitjava.sandboxagent.persist.postgres;

import static dev.rivetkitjava.sandboxagent.SessionEvents.chunks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.sandboxagent.PromptResult;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.SandboxAgentException;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.SessionEvents;
import dev.rivetkitjava.sandboxagent.SessionPersistException;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK with the PostgreSQL driver against the real Sandbox Agent server while a real PostgreSQL
 * server (its own embedded one, not the shared fixture) stops answering (SIGSTOP of the postmaster
 * and its backends) or shuts down: prompts fail clearly within the configured timeouts, nothing
 * hangs, what was written before stays, and the session carries on once the database is back.
 */
@Tag("external")
class PostgresFailureTest {

    private static SandboxAgentServer sandbox;

    @BeforeAll
    static void startSandboxAgent() {
        sandbox = SandboxAgentFixture.start();
    }

    @AfterAll
    static void stopSandboxAgent() {
        if (sandbox != null) {
            sandbox.stop();
        }
    }

    private static PostgresSessionPersistDriver driver(EmbeddedPostgres pg) {
        return PostgresSessionPersistDriver.builder()
                .jdbcUrl(pg.getJdbcUrl("postgres", "postgres"), "postgres", null)
                .schema("failures")
                .connectTimeout(Duration.ofSeconds(1))
                .socketTimeout(Duration.ofSeconds(2))
                .statementTimeout(Duration.ofSeconds(1))
                .connectionTimeout(Duration.ofSeconds(2))
                .validationTimeout(Duration.ofSeconds(1))
                .build();
    }

    private static SandboxAgent sdk(PostgresSessionPersistDriver driver) {
        return SandboxAgent.builder(sandbox.baseUrl())
                .persist(driver)
                .persistRetryTimeout(Duration.ofSeconds(1))
                .flushTimeout(Duration.ofSeconds(8))
                .disposeTimeout(Duration.ofSeconds(3))
                .build();
    }

    private static void assertIndicesIncrease(List<SessionEvent> events) {
        assertThat(events).extracting(SessionEvent::eventIndex).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aDatabaseStoppedMidTurnFailsThePromptInBoundedTimeAndTheSessionCarriesOnAfterSigcont(
            @TempDir Path dataDir) throws Exception {
        List<Long> stopped = List.of();
        try (EmbeddedPostgres pg = EmbeddedPostgresFixture.startDedicated(dataDir, 0);
                PostgresSessionPersistDriver driver = driver(pg)) {
            try {
                SandboxAgent sdk = sdk(driver);
                Session session =
                        sdk.createSession(
                                SessionCreateRequest.of(SandboxAgentFixture.FAST_AGENT)
                                        .withId("pg"));
                assertThat(session.prompt("chunks=2").stopReason()).isEqualTo("end_turn");
                List<String> seen = new CopyOnWriteArrayList<>();
                List<SandboxAgentException> errors = new CopyOnWriteArrayList<>();
                session.onEvent(e -> seen.addAll(chunks(List.of(e))));
                session.onError(errors::add);

                CompletableFuture<PromptResult> turn =
                        CompletableFuture.supplyAsync(() -> session.prompt("chunks=200 delay=50"));
                await().until(() -> seen.contains("chunk 3"));
                stopped = EmbeddedPostgresFixture.freeze(dataDir);
                long sigstop = System.nanoTime();

                assertThat(turn)
                        .failsWithin(Duration.ofSeconds(30))
                        .withThrowableThat()
                        .havingCause()
                        .isInstanceOf(SessionPersistException.class)
                        .withMessageContaining("events not persisted")
                        .withMessageContaining("PostgreSQL session store");
                // a write waits at most the socket timeout (2 s) or the pool's connection timeout
                // (2 s), is retried
                // for 1 s, then the turn fails
                assertThat(Duration.ofNanos(System.nanoTime() - sigstop))
                        .isLessThan(Duration.ofSeconds(10));
                assertThat(errors).singleElement().isInstanceOf(SessionPersistException.class);

                // another prompt, still stopped: the record cannot be read, a clear error in
                // bounded time
                long next = System.nanoTime();
                assertThatThrownBy(() -> session.prompt("chunks=1"))
                        .isInstanceOf(SessionPersistException.class)
                        .hasMessageContaining("PostgreSQL session store");
                assertThat(Duration.ofNanos(System.nanoTime() - next))
                        .isLessThan(Duration.ofSeconds(10));

                long disposing = System.nanoTime();
                sdk.dispose();
                assertThat(Duration.ofNanos(System.nanoTime() - disposing))
                        .isLessThan(Duration.ofSeconds(5));
            } finally {
                EmbeddedPostgresFixture.thaw(stopped);
            }

            List<SessionEvent> afterFault = SessionEvents.all(driver, "pg");
            assertIndicesIncrease(afterFault);
            try (SandboxAgent sdk = sdk(driver)) {
                Session session =
                        sdk.resumeOrCreateSession(
                                SessionCreateRequest.of(SandboxAgentFixture.FAST_AGENT)
                                        .withId("pg"));
                assertThat(session.prompt("chunks=1").stopReason()).isEqualTo("end_turn");
            }
            List<SessionEvent> after = SessionEvents.all(driver, "pg");
            assertThat(after.subList(0, afterFault.size())).containsExactlyElementsOf(afterFault);
            assertIndicesIncrease(after);
            assertThat(chunks(after))
                    .startsWith("echo: 1 blocks: chunks=2", "chunk 1", "chunk 2")
                    .last()
                    .isEqualTo("chunk 1");
            assertThat(after)
                    .anySatisfy(
                            e ->
                                    assertThat(e.payload().path("method").asText())
                                            .isEqualTo("_sdk/session_restored"));
        }
    }

    @Test
    void aDatabaseThatShutsDownFailsClearlyAndARestartOnTheSameDataCarriesOn(@TempDir Path dataDir)
            throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgresFixture.startDedicated(dataDir, 0);
        int port = pg.getPort();
        try (PostgresSessionPersistDriver driver = driver(pg);
                SandboxAgent sdk = sdk(driver)) {
            Session session =
                    sdk.createSession(
                            SessionCreateRequest.of(SandboxAgentFixture.FAST_AGENT).withId("down"));
            assertThat(session.prompt("chunks=2").stopReason()).isEqualTo("end_turn");
            List<SessionEvent> before = SessionEvents.all(driver, "down");

            pg.close();
            long shutdown = System.nanoTime();
            assertThatThrownBy(() -> session.prompt("chunks=1"))
                    .isInstanceOf(SessionPersistException.class)
                    .hasMessageContaining("PostgreSQL session store")
                    .hasMessageContaining(":" + port + "/postgres")
                    .hasMessageContaining("session 'down'");
            assertThat(Duration.ofNanos(System.nanoTime() - shutdown))
                    .isLessThan(Duration.ofSeconds(10));

            pg = EmbeddedPostgresFixture.startDedicated(dataDir, port);
            assertThat(session.prompt("chunks=1").stopReason()).isEqualTo("end_turn");
            List<SessionEvent> after = SessionEvents.all(driver, "down");
            assertThat(after.subList(0, before.size())).containsExactlyElementsOf(before);
            assertIndicesIncrease(after);
            assertThat(chunks(after)).last().isEqualTo("chunk 1");
        } finally {
            pg.close();
        }
    }
}
