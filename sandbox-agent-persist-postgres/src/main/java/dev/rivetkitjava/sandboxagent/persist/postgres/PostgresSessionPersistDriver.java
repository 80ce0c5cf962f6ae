package dev.rivetkitjava.sandboxagent.persist.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.rivetkitjava.sandboxagent.persist.Cursors;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Sessions and events in PostgreSQL, in two tables of a configurable schema ({@code public} by default), with
 * JSON as {@code jsonb}. Every call is durable on return (committed). No caps: history is kept until deleted.
 *
 * <p>Either on a {@link DataSource} the application owns ({@link #create(DataSource)}), or on a small pool of
 * its own made from a JDBC URL ({@link Builder#jdbcUrl}), which {@link #close()} closes.
 *
 * <p>PostgreSQL's {@code jsonb} cannot hold the character U+0000: a payload containing it is refused with a
 * {@link PostgresPersistException} and nothing of its batch is written.
 */
public final class PostgresSessionPersistDriver implements SessionPersistDriver, AutoCloseable {

    /** Stored in the schema's {@code session_persist_version} table; raise it with every schema change. */
    static final int SCHEMA_VERSION = 1;
    private static final Pattern SCHEMA_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    private static final int MAX_SCHEMA_NAME_LENGTH = 63;
    private static final String SESSION_COLUMNS = "id, agent, agent_session_id, last_connection_id, created_at, "
            + "destroyed_at, sandbox_id, session_init_json, config_options_json, modes_json";
    private static final String EVENT_COLUMNS =
            "id, event_index, session_id, created_at, connection_id, sender, payload_json";

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final String schema;
    private final String where;
    private final ObjectMapper json = new ObjectMapper();

    private PostgresSessionPersistDriver(DataSource dataSource, HikariDataSource ownedPool, String schema,
            String where) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.schema = "\"" + schema + "\"";
        this.where = where;
    }

    /** A driver on {@code dataSource}, in schema {@code public}; the caller keeps owning the data source. */
    public static PostgresSessionPersistDriver create(DataSource dataSource) {
        return builder().dataSource(dataSource).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a driver: a data source or a JDBC URL, and the schema. */
    public static final class Builder {
        private DataSource dataSource;
        private String jdbcUrl;
        private String user;
        private String password;
        private int poolSize = 4;
        private String schema = "public";

        private Builder() {
        }

        /** Uses the application's data source (not closed by the driver). */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Makes a pool of its own for {@code jdbcUrl} ({@code jdbc:postgresql://…}), closed with the driver. */
        public Builder jdbcUrl(String jdbcUrl, String user, String password) {
            this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            this.user = user;
            this.password = password;
            return this;
        }

        /** Connections of the owned pool: 4 by default; a few suffice, as every call is one short transaction. */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 64) {
                throw new IllegalArgumentException("poolSize must be 1..64, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** The schema holding the tables, created if absent: {@code public} by default. */
        public Builder schema(String schema) {
            if (schema == null || !SCHEMA_NAME.matcher(schema).matches() || schema.length() > MAX_SCHEMA_NAME_LENGTH) {
                throw new IllegalArgumentException("invalid schema name: '" + schema + "' (letters, digits and _, "
                        + "not starting with a digit, at most " + MAX_SCHEMA_NAME_LENGTH + " characters)");
            }
            this.schema = schema;
            return this;
        }

        /** Connects and creates the schema and tables if needed. */
        public PostgresSessionPersistDriver build() {
            if ((dataSource == null) == (jdbcUrl == null)) {
                throw new IllegalStateException("set exactly one of dataSource(...) and jdbcUrl(...)");
            }
            // The URL's parameters may hold a password: messages name the server and database only.
            String where = "schema \"" + schema + "\""
                    + (jdbcUrl == null ? "" : " at " + jdbcUrl.split("\\?", 2)[0]);
            HikariDataSource pool = null;
            if (jdbcUrl != null) {
                HikariConfig config = new HikariConfig();
                config.setJdbcUrl(jdbcUrl);
                config.setUsername(user);
                config.setPassword(password);
                config.setMaximumPoolSize(poolSize);
                config.setMinimumIdle(Math.min(2, poolSize));
                config.setConnectionTimeout(10_000);
                config.setPoolName("sandbox-agent-persist");
                try {
                    pool = new HikariDataSource(config);
                } catch (RuntimeException e) {
                    throw new PostgresPersistException(where, "connecting", e);
                }
            }
            PostgresSessionPersistDriver driver =
                    new PostgresSessionPersistDriver(pool != null ? pool : dataSource, pool, schema, where);
            try {
                driver.prepare();
            } catch (RuntimeException e) {
                driver.close();
                throw e;
            }
            return driver;
        }
    }

    private void prepare() {
        transaction("creating the schema", connection -> {
            try (Statement statement = connection.createStatement()) {
                // Drivers starting together would race on CREATE ... IF NOT EXISTS; one at a time per schema.
                statement.execute("SELECT pg_advisory_xact_lock(hashtext('sandbox-agent-persist:" + schema + "'))");
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
                statement.execute("CREATE TABLE IF NOT EXISTS " + schema + ".session_persist_version "
                        + "(version INTEGER NOT NULL)");
                int version = 0;
                try (ResultSet rows = statement.executeQuery(
                        "SELECT max(version) FROM " + schema + ".session_persist_version")) {
                    if (rows.next()) {
                        version = rows.getInt(1);
                    }
                }
                if (version > SCHEMA_VERSION) {
                    throw new IllegalStateException("PostgreSQL session store " + where + " has schema version "
                            + version + ", but this rivetkit-java reads up to version " + SCHEMA_VERSION
                            + "; use the newer rivetkit-java that wrote it");
                }
                // Column names follow sandbox-agent's v0.2.1 reference schema, plus the fields 0.4.x added.
                // Ids compare as bytes (collation C), as in the other drivers, whatever the database's locale.
                statement.execute("CREATE TABLE IF NOT EXISTS " + schema + """
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
                statement.execute("CREATE INDEX IF NOT EXISTS sessions_order ON " + schema
                        + ".sessions (created_at, id)");
                statement.execute("CREATE TABLE IF NOT EXISTS " + schema + """
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
                if (version < SCHEMA_VERSION) {
                    statement.execute("DELETE FROM " + schema + ".session_persist_version");
                    statement.execute("INSERT INTO " + schema + ".session_persist_version VALUES (" + SCHEMA_VERSION
                            + ")");
                }
            }
            return null;
        });
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return read("getSession", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + SESSION_COLUMNS + " FROM " + schema + ".sessions WHERE id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(session(rows)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        Cursors.SessionPosition after = Cursors.sessionAfter(request);
        return read("listSessions", connection -> {
            // One row more than the page tells whether another page follows.
            String afterClause = after == null ? "" : " WHERE (created_at, id) > (?, ?)";
            try (PreparedStatement select = connection.prepareStatement("SELECT " + SESSION_COLUMNS + " FROM "
                    + schema + ".sessions" + afterClause + " ORDER BY created_at, id LIMIT ?")) {
                int next = 1;
                if (after != null) {
                    select.setLong(next++, after.createdAt());
                    select.setString(next++, after.id());
                }
                select.setInt(next, request.limit() + 1);
                List<SessionRecord> sessions = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        sessions.add(session(rows));
                    }
                }
                return ListPage.ofLookahead(sessions, request.limit(), Cursors::afterSession);
            }
        });
    }

    @Override
    public void updateSession(SessionRecord session) {
        String sessionInit = text(session.sessionInit());
        String configOptions = text(session.configOptions());
        String modes = text(session.modes());
        transaction("updateSession", connection -> {
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + schema + ".sessions ("
                    + SESSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), "
                    + "CAST(? AS jsonb)) ON CONFLICT (id) DO UPDATE SET agent = EXCLUDED.agent, "
                    + "agent_session_id = EXCLUDED.agent_session_id, "
                    + "last_connection_id = EXCLUDED.last_connection_id, created_at = EXCLUDED.created_at, "
                    + "destroyed_at = EXCLUDED.destroyed_at, sandbox_id = EXCLUDED.sandbox_id, "
                    + "session_init_json = EXCLUDED.session_init_json, "
                    + "config_options_json = EXCLUDED.config_options_json, modes_json = EXCLUDED.modes_json")) {
                upsert.setString(1, session.id());
                upsert.setString(2, session.agent());
                upsert.setString(3, session.agentSessionId());
                upsert.setString(4, session.lastConnectionId());
                upsert.setLong(5, session.createdAt());
                if (session.destroyedAt() == null) {
                    upsert.setNull(6, Types.BIGINT);
                } else {
                    upsert.setLong(6, session.destroyedAt());
                }
                upsert.setString(7, session.sandboxId());
                upsert.setString(8, sessionInit);
                upsert.setString(9, configOptions);
                upsert.setString(10, modes);
                return upsert.executeUpdate();
            }
        });
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        long after = Cursors.eventIndexAfter(request);
        return read("listEvents", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + EVENT_COLUMNS + " FROM " + schema
                    + ".events WHERE session_id = ? AND event_index > ? ORDER BY event_index LIMIT ?")) {
                select.setString(1, sessionId);
                select.setLong(2, after);
                select.setInt(3, request.limit() + 1);
                List<SessionEvent> events = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        events.add(event(rows));
                    }
                }
                return ListPage.ofLookahead(events, request.limit(), Cursors::afterEvent);
            }
        });
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
        List<String> payloads = events.stream().map(event -> text(event.payload())).toList();
        transaction("insertEvents", connection -> {
            boolean allInserted = true;
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + schema + ".events ("
                    + EVENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, CAST(? AS jsonb)) "
                    + "ON CONFLICT (session_id, event_index) DO NOTHING")) {
                for (int i = 0; i < events.size(); i++) {
                    SessionEvent event = events.get(i);
                    insert.setString(1, event.id());
                    insert.setLong(2, event.eventIndex());
                    insert.setString(3, sessionId);
                    insert.setLong(4, event.createdAt());
                    insert.setString(5, event.connectionId());
                    insert.setString(6, event.sender().wire());
                    insert.setString(7, payloads.get(i));
                    insert.addBatch();
                }
                for (int count : insert.executeBatch()) {
                    allInserted &= count == 1;   // 0: skipped; SUCCESS_NO_INFO: unknown, so check
                }
            }
            if (!allInserted) {
                requireSameEvents(connection, sessionId, events);
            }
            return null;
        });
    }

    /** Some indexes were taken: fine if by these very events (a retry), a conflict otherwise. */
    private void requireSameEvents(Connection connection, String sessionId, List<SessionEvent> events)
            throws SQLException {
        Map<Long, String> stored = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT event_index, id FROM " + schema
                + ".events WHERE session_id = ? AND event_index = ANY (?)")) {
            select.setString(1, sessionId);
            select.setArray(2, connection.createArrayOf("bigint",
                    events.stream().map(SessionEvent::eventIndex).toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    stored.put(rows.getLong(1), rows.getString(2));
                }
            }
        }
        for (SessionEvent event : events) {
            if (!event.id().equals(stored.get(event.eventIndex()))) {
                throw new EventIndexConflictException(sessionId, event.eventIndex());
            }
        }
    }

    /** Closes the pool the driver made (not a data source it was given); later calls fail. */
    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    private SessionRecord session(ResultSet row) throws SQLException {
        long destroyedAt = row.getLong(6);
        Long destroyed = row.wasNull() ? null : destroyedAt;
        return new SessionRecord(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                row.getLong(5), destroyed, row.getString(7), tree(row.getString(8)), tree(row.getString(9)),
                tree(row.getString(10)));
    }

    private SessionEvent event(ResultSet row) throws SQLException {
        return new SessionEvent(row.getString(1), row.getLong(2), row.getString(3), row.getLong(4), row.getString(5),
                SessionEvent.Sender.fromWire(row.getString(6)), tree(row.getString(7)));
    }

    private String text(JsonNode node) {
        if (node == null) {
            return null;
        }
        try {
            return json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    private JsonNode tree(String text) {
        if (text == null) {
            return null;
        }
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("PostgreSQL session store " + where + " holds JSON that does not parse: "
                    + e.getOriginalMessage(), e);
        }
    }

    private <T> T read(String operation, SqlWork<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw new PostgresPersistException(where, operation, e);
        }
    }

    /** Runs {@code work} in one transaction, committed before returning, rolled back if it throws. */
    private <T> T transaction(String operation, SqlWork<T> work) {
        return read(operation, connection -> {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (Throwable t) {
                try {
                    connection.rollback();
                } catch (SQLException rollbackFailure) {
                    t.addSuppressed(rollbackFailure);
                }
                throw t;
            } finally {
                connection.setAutoCommit(true);
            }
        });
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
