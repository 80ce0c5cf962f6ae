package dev.rivetkitjava.sandboxagent.persist.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriverContract;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The contract and PostgreSQL specifics against a real server; each test gets a schema of its own.
 */
@Tag("external")
class PostgresSessionPersistDriverTest extends SessionPersistDriverContract {
    private static final AtomicInteger schemas = new AtomicInteger();

    private String schema;

    @Override
    protected SessionPersistDriver newDriver() {
        schema = "contract_" + schemas.incrementAndGet();
        return PostgresSessionPersistDriver.builder()
                .dataSource(EmbeddedPostgresFixture.dataSource())
                .schema(schema)
                .build();
    }

    @Test
    void aDriverWithItsOwnPoolSeesWhatAnotherWroteAndClosesItsPool() {
        List<SessionEvent> events = writeSessionWithEvents();

        PostgresSessionPersistDriver pooled =
                PostgresSessionPersistDriver.builder()
                        .jdbcUrl(EmbeddedPostgresFixture.jdbcUrl(), "postgres", "postgres")
                        .poolSize(2)
                        .schema(schema)
                        .build();
        assertHoldsSessionWithEvents(pooled, events);
        pooled.close();
        assertThatThrownBy(() -> pooled.getSession("s-1"))
                .isInstanceOf(PostgresPersistException.class)
                .hasMessageContaining("getSession");
    }

    @Test
    void theDefaultSchemaIsPublic() {
        PostgresSessionPersistDriver inPublic =
                PostgresSessionPersistDriver.create(EmbeddedPostgresFixture.dataSource());
        inPublic.updateSession(session("in-public", 1));
        assertThat(driver.getSession("in-public")).isEmpty();
        assertThat(inPublic.getSession("in-public")).isPresent();
    }

    @Test
    void aPayloadThatJsonbCannotHoldIsAClearErrorAndLosesNothing() {
        SessionEvent first = event("s-1", 1);
        driver.insertEvent("s-1", first);
        SessionEvent withNul =
                new SessionEvent(
                        "e-nul",
                        2,
                        "s-1",
                        5,
                        "conn-1",
                        SessionEvent.Sender.AGENT,
                        json("{\"text\":\"a\\u0000b\"}"));
        assertThatThrownBy(() -> driver.insertEvents("s-1", List.of(event("s-1", 3), withNul)))
                .isInstanceOf(PostgresPersistException.class)
                .hasMessageContaining("insertEvents")
                .hasMessageContaining(schema);
        SessionEvent next = event("s-1", 2);
        driver.insertEvent("s-1", next);
        assertThat(driver.listEvents("s-1", PageRequest.first()).items())
                .containsExactly(first, next);
    }

    @Test
    void invalidSchemaNamesAreRefused() {
        for (String bad :
                List.of("", "1abc", "a-b", "x\"; DROP TABLE events; --", "a".repeat(64))) {
            assertThatThrownBy(() -> PostgresSessionPersistDriver.builder().schema(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid schema name");
        }
    }

    @Test
    void aSchemaFromANewerVersionIsRefusedAndLeftAlone() throws Exception {
        try (Connection connection = EmbeddedPostgresFixture.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(
                    "UPDATE "
                            + schema
                            + ".session_persist_version SET version = "
                            + (PostgresSessionPersistDriver.SCHEMA_VERSION + 1));
        }
        assertThatThrownBy(
                        () ->
                                PostgresSessionPersistDriver.builder()
                                        .dataSource(EmbeddedPostgresFixture.dataSource())
                                        .schema(schema)
                                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("schema version 2");
    }

    @Test
    void anUnreachableServerIsAClearErrorNamingTheUrl() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        assertThatThrownBy(
                        () ->
                                PostgresSessionPersistDriver.builder()
                                        .jdbcUrl(url + "?password=hunter2", "postgres", null)
                                        .build())
                .isInstanceOf(PostgresPersistException.class)
                .hasMessageContaining(url)
                .hasMessageNotContaining("hunter2");
    }
}
