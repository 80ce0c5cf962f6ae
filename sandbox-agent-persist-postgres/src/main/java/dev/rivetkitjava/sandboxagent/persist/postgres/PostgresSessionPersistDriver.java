package dev.rivetkitjava.sandboxagent.persist.postgres;

import static dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables.EVENT_COLUMNS;
import static dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables.SESSION_COLUMNS;

import com.zaxxer.hikari.HikariDataSource;
import dev.rivetkitjava.postgres.PostgresPool;
import dev.rivetkitjava.postgres.PostgresSchema;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Sessions and events in PostgreSQL, in two tables of a configurable schema ({@code public} by
 * default), with JSON as {@code jsonb}. Every call is durable on return (committed). No caps:
 * history is kept until deleted.
 *
 * <p>Either on a {@link DataSource} the application owns ({@link #create(DataSource)}), or on a
 * small pool of its own made from a JDBC URL ({@link Builder#jdbcUrl}), which {@link #close()}
 * closes.
 *
 * <p>Nothing waits unbounded on the database: a pool of its own connects within {@link
 * Builder#connectTimeout} (5 s), waits for a free connection at most {@link
 * Builder#connectionTimeout} (5 s), validates one within {@link Builder#validationTimeout} (2 s),
 * gives up a read from a server that stopped answering after {@link Builder#socketTimeout} (10 s),
 * and has statements cancelled by the server after {@link Builder#statementTimeout} (5 s). On a
 * data source the application owns, the socket timeout is set on each connection the driver borrows
 * (JDBC's network timeout), and the rest is the application's pool configuration.
 *
 * <p>PostgreSQL's {@code jsonb} cannot hold the character U+0000: a payload containing it is
 * refused with a {@link PostgresPersistException} and nothing of its batch is written.
 */
public final class PostgresSessionPersistDriver implements SessionPersistDriver, AutoCloseable {

    /**
     * Stored in the schema's {@code session_persist_version} table; raise it with every schema
     * change.
     */
    static final int SCHEMA_VERSION = 1;

    private final DataSource dataSource;
    private final @Nullable HikariDataSource ownedPool;
    private final String schema;
    private final String where;
    private final SessionTables tables;
    private final int networkTimeoutMillis;

    private PostgresSessionPersistDriver(
            DataSource dataSource,
            @Nullable HikariDataSource ownedPool,
            String schema,
            String where,
            Duration socketTimeout) {
        this.dataSource = dataSource;
        this.networkTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, socketTimeout.toMillis());
        this.ownedPool = ownedPool;
        this.schema = "\"" + schema + "\"";
        this.where = where;
        this.tables =
                new SessionTables(
                        "PostgreSQL session store " + where,
                        this.schema + ".",
                        "INSERT INTO "
                                + this.schema
                                + ".sessions ("
                                + SESSION_COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, ?, ?, "
                                + "CAST(? AS jsonb), CAST(? AS jsonb), CAST(? AS jsonb)) ON CONFLICT (id) DO UPDATE SET "
                                + "agent = EXCLUDED.agent, agent_session_id = EXCLUDED.agent_session_id, "
                                + "last_connection_id = EXCLUDED.last_connection_id, created_at = EXCLUDED.created_at, "
                                + "destroyed_at = EXCLUDED.destroyed_at, sandbox_id = EXCLUDED.sandbox_id, "
                                + "session_init_json = EXCLUDED.session_init_json, "
                                + "config_options_json = EXCLUDED.config_options_json, modes_json = EXCLUDED.modes_json",
                        "INSERT INTO "
                                + this.schema
                                + ".events ("
                                + EVENT_COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, ?, "
                                + "CAST(? AS jsonb)) ON CONFLICT (session_id, event_index) DO NOTHING");
    }

    /**
     * A driver on {@code dataSource}, in schema {@code public}; the caller keeps owning the data
     * source.
     */
    public static PostgresSessionPersistDriver create(DataSource dataSource) {
        return builder().dataSource(dataSource).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a driver: a data source or a JDBC URL, and the schema. */
    public static final class Builder {
        private @Nullable DataSource dataSource;
        private @Nullable String jdbcUrl;
        private @Nullable String user;
        private @Nullable String password;
        private int poolSize = 4;
        private String schema = "public";
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration socketTimeout = Duration.ofSeconds(10);
        private Duration statementTimeout = Duration.ofSeconds(5);
        private Duration connectionTimeout = Duration.ofSeconds(5);
        private Duration validationTimeout = Duration.ofSeconds(2);

        private Builder() {}

        /**
         * The owned pool's TCP connect and its login, each (pgjdbc's {@code connectTimeout} and
         * {@code loginTimeout}): 5 s by default, in whole seconds.
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = atLeastOneSecond(timeout);
            return this;
        }

        /**
         * The longest wait for the server's answer on an open connection (pgjdbc's {@code
         * socketTimeout}, and the network timeout of every connection the driver borrows): a server
         * that stopped answering fails the call after this. 10 s by default; keep it above {@link
         * #statementTimeout}.
         */
        public Builder socketTimeout(Duration timeout) {
            this.socketTimeout = atLeastOneSecond(timeout);
            return this;
        }

        /**
         * The server cancels a statement of the owned pool that runs longer ({@code
         * statement_timeout}): 5 s by default.
         */
        public Builder statementTimeout(Duration timeout) {
            this.statementTimeout = positive(timeout);
            return this;
        }

        /**
         * The longest wait for a connection of the owned pool (HikariCP's {@code
         * connectionTimeout}): 5 s by default.
         */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = positive(timeout);
            return this;
        }

        /**
         * The owned pool's check that a connection is alive (HikariCP's {@code validationTimeout}):
         * 2 s by default.
         */
        public Builder validationTimeout(Duration timeout) {
            this.validationTimeout = positive(timeout);
            return this;
        }

        private static Duration positive(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("a timeout must be positive, got " + timeout);
            }
            return timeout;
        }

        private static Duration atLeastOneSecond(Duration timeout) {
            if (positive(timeout).compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException(
                        "pgjdbc counts this timeout in whole seconds: at least 1 s, got "
                                + timeout);
            }
            return timeout;
        }

        /** Uses the application's data source (not closed by the driver). */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * Makes a pool of its own for {@code jdbcUrl} ({@code jdbc:postgresql://…}), closed with
         * the driver.
         */
        public Builder jdbcUrl(String jdbcUrl, @Nullable String user, @Nullable String password) {
            this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            this.user = user;
            this.password = password;
            return this;
        }

        /**
         * Connections of the owned pool: 4 by default; a few suffice, as every call is one short
         * transaction.
         */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 64) {
                throw new IllegalArgumentException("poolSize must be 1..64, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** The schema holding the tables, created if absent: {@code public} by default. */
        public Builder schema(String schema) {
            this.schema = PostgresPool.requireSchemaName(schema);
            return this;
        }

        /** Connects and creates the schema and tables if needed. */
        public PostgresSessionPersistDriver build() {
            if ((dataSource == null) == (jdbcUrl == null)) {
                throw new IllegalStateException(
                        "set exactly one of dataSource(...) and jdbcUrl(...)");
            }
            String where = PostgresPool.describe(schema, jdbcUrl);
            HikariDataSource pool = null;
            if (jdbcUrl != null) {
                PostgresPool settings =
                        new PostgresPool(
                                "sandbox-agent-persist",
                                jdbcUrl,
                                user,
                                password,
                                poolSize,
                                connectTimeout,
                                connectTimeout,
                                socketTimeout,
                                Duration.ofMillis(Math.max(250, connectionTimeout.toMillis())),
                                Duration.ofMillis(
                                        Math.max(
                                                250,
                                                Math.min(
                                                        validationTimeout.toMillis(),
                                                        connectionTimeout.toMillis() - 1))),
                                null,
                                statementTimeout,
                                null);
                try {
                    pool = settings.open();
                } catch (RuntimeException e) {
                    throw new PostgresPersistException(where, "connecting", e);
                }
            }
            PostgresSessionPersistDriver driver =
                    new PostgresSessionPersistDriver(
                            pool != null ? pool : Objects.requireNonNull(dataSource),
                            pool,
                            schema,
                            where,
                            socketTimeout);
            try {
                driver.prepare(schema);
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
            return driver;
        }
    }

    private void prepare(String schemaName) {
        transaction(
                "creating the schema",
                connection -> {
                    // The lock key names the quoted schema, as earlier versions' does: old and new
                    // drivers exclude each other.
                    PostgresSchema.prepare(
                            connection,
                            "sandbox-agent-persist:" + schema,
                            schemaName,
                            "session_persist_version",
                            SCHEMA_VERSION,
                            "PostgreSQL session store " + where,
                            statement -> {
                                // Column names follow sandbox-agent's v0.2.1 reference schema, plus
                                // the fields 0.4.x added.
                                // Ids compare as bytes (collation C), as in the other drivers,
                                // whatever the database's locale.
                                statement.execute(
                                        "CREATE TABLE IF NOT EXISTS "
                                                + schema
                                                + """
                        .sessions (
                            id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                            agent               TEXT   NOT NULL,
                            agent_session_id    TEXT,
                            last_connection_id  TEXT,
                            created_at          BIGINT NOT NULL,
                            destroyed_at        BIGINT,
                            sandbox_id          TEXT,
                            session_init_json   JSONB,
                            config_options_json JSONB,
                            modes_json          JSONB
                        )""");
                                statement.execute(
                                        "CREATE INDEX IF NOT EXISTS sessions_order ON "
                                                + schema
                                                + ".sessions (created_at, id)");
                                statement.execute(
                                        "CREATE TABLE IF NOT EXISTS "
                                                + schema
                                                + """
                        .events (
                            id            TEXT   NOT NULL,
                            event_index   BIGINT NOT NULL,
                            session_id    TEXT   NOT NULL,
                            created_at    BIGINT NOT NULL,
                            connection_id TEXT,
                            sender        TEXT   NOT NULL,
                            payload_json  JSONB  NOT NULL,
                            UNIQUE (session_id, event_index)
                        )""");
                            });
                });
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return read("getSession", connection -> tables.getSession(connection, id));
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        return read("listSessions", connection -> tables.listSessions(connection, request));
    }

    @Override
    public void updateSession(SessionRecord session) {
        transaction("updateSession", connection -> tables.updateSession(connection, session));
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        return read("listEvents", connection -> tables.listEvents(connection, sessionId, request));
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Adds the events in one transaction: all of them, or none when one conflicts. */
    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        transaction(
                "insertEvents", connection -> tables.insertEvents(connection, sessionId, events));
    }

    /** Closes the pool the driver made (not a data source it was given); later calls fail. */
    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    /** A read, tried once more on another connection if the first turned out to be stale. */
    private <T> T read(String operation, SqlWork<T> work) {
        return PostgresPool.retryOnStaleConnection(() -> onConnection(operation, work));
    }

    private <T> T onConnection(String operation, SqlWork<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            if (ownedPool == null) {
                // the application's pool may have no socket timeout: a server that stops answering
                // must not hang us
                connection.setNetworkTimeout(Runnable::run, networkTimeoutMillis);
            }
            return work.run(connection);
        } catch (SQLException e) {
            throw new PostgresPersistException(where, operation, e);
        }
    }

    /**
     * Runs {@code work} in one transaction, committed before returning, rolled back if it throws.
     */
    private void transaction(String operation, Statements work) {
        // not retried: a commit whose reply was lost may have happened
        onConnection(
                operation,
                statements(
                        connection -> {
                            connection.setAutoCommit(false);
                            try {
                                work.run(connection);
                                connection.commit();
                            } catch (Throwable t) {
                                // on a broken connection these fail too; the first failure is
                                // the one to report
                                try {
                                    connection.rollback();
                                    connection.setAutoCommit(true);
                                } catch (SQLException cleanupFailure) {
                                    t.addSuppressed(cleanupFailure);
                                }
                                throw t;
                            }
                            connection.setAutoCommit(true);
                        }));
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * {@code work} as an {@link SqlWork}: its result is null, the only {@link Void}, which nothing
     * reads.
     */
    // NullAway (outside its JSpecify mode) cannot be told SqlWork<@Nullable Void>.
    @SuppressWarnings("NullAway")
    private static SqlWork<Void> statements(Statements work) {
        return connection -> {
            work.run(connection);
            return null;
        };
    }

    /** Work on a connection that returns nothing. */
    @FunctionalInterface
    private interface Statements {
        void run(Connection connection) throws SQLException;
    }
}
