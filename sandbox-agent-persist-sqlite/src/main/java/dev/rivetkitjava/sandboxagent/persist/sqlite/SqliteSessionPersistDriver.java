package dev.rivetkitjava.sandboxagent.persist.sqlite;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.sandboxagent.persist.Cursors;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions and events in one SQLite file, in WAL mode with {@code synchronous=NORMAL}: a write survives a process
 * crash once its method returns. No caps: history is kept until deleted by hand.
 *
 * <p>One connection serves all calls, one at a time; every write runs in a {@code BEGIN IMMEDIATE} transaction, so
 * another process on the same file waits on {@code busy_timeout} instead of interleaving.
 */
public final class SqliteSessionPersistDriver implements SessionPersistDriver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteSessionPersistDriver.class);

    /** Stored in {@code PRAGMA user_version}; raise it with every schema change and migrate older files. */
    static final int SCHEMA_VERSION = 1;
    private static final int BUSY_TIMEOUT_MILLIS = 5_000;
    // Column names follow sandbox-agent's v0.2.1 reference schema, plus the fields 0.4.x added.
    private static final List<String> SCHEMA = List.of("""
            CREATE TABLE IF NOT EXISTS sessions (
                id                  TEXT    NOT NULL PRIMARY KEY,
                agent               TEXT    NOT NULL,
                agent_session_id    TEXT,
                last_connection_id  TEXT,
                created_at          INTEGER NOT NULL,
                destroyed_at        INTEGER,
                sandbox_id          TEXT,
                session_init_json   TEXT,
                config_options_json TEXT,
                modes_json          TEXT
            ) STRICT""",
            "CREATE INDEX IF NOT EXISTS sessions_order ON sessions (created_at, id)", """
            CREATE TABLE IF NOT EXISTS events (
                id            TEXT    NOT NULL,
                event_index   INTEGER NOT NULL,
                session_id    TEXT    NOT NULL,
                created_at    INTEGER NOT NULL,
                connection_id TEXT,
                sender        TEXT    NOT NULL,
                payload_json  TEXT    NOT NULL,
                UNIQUE (session_id, event_index)
            ) STRICT""");
    private static final String SESSION_COLUMNS = "id, agent, agent_session_id, last_connection_id, created_at, "
            + "destroyed_at, sandbox_id, session_init_json, config_options_json, modes_json";
    private static final String EVENT_COLUMNS =
            "id, event_index, session_id, created_at, connection_id, sender, payload_json";

    private final Path file;
    private final Connection connection;
    private final ObjectMapper json = new ObjectMapper();
    private final ReentrantLock lock = new ReentrantLock();

    private SqliteSessionPersistDriver(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens the store in {@code file}, creating the file, its parent directories and the schema as needed. */
    public static SqliteSessionPersistDriver open(Path file) {
        Path path = file.toAbsolutePath();
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new SqlitePersistException(path, "creating its directory", e);
        }
        Connection connection;
        try {
            connection = DriverManager.getConnection("jdbc:sqlite:" + path);
        } catch (SQLException e) {
            throw new SqlitePersistException(path, "opening", e);
        }
        SqliteSessionPersistDriver driver = new SqliteSessionPersistDriver(path, connection);
        try {
            driver.prepare();
        } catch (RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        log.info("Opened session store {}", path);
        return driver;
    }

    private void prepare() {
        locked("opening", () -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
                String journalMode = queryString(statement, "PRAGMA journal_mode = WAL");
                if (!journalMode.equalsIgnoreCase("wal")) {
                    log.warn("Session store {} runs in journal mode {}: the file system does not support WAL",
                            file, journalMode);
                }
                statement.execute("PRAGMA synchronous = NORMAL");
            }
            return null;
        });
        transaction("creating the schema", () -> {
            try (Statement statement = connection.createStatement()) {
                int version = Integer.parseInt(queryString(statement, "PRAGMA user_version"));
                if (version > SCHEMA_VERSION) {
                    throw new IllegalStateException("Session store " + file + " has schema version " + version
                            + ", but this rivetkit-java reads up to version " + SCHEMA_VERSION
                            + "; open it with the newer rivetkit-java that wrote it");
                }
                for (String ddl : SCHEMA) {
                    statement.execute(ddl);
                }
                statement.execute("PRAGMA user_version = " + SCHEMA_VERSION);
            }
            return null;
        });
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return locked("getSession", () -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + SESSION_COLUMNS + " FROM sessions WHERE id = ?")) {
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
        return locked("listSessions", () -> {
            // One row more than the page tells whether another page follows.
            String where = after == null ? "" : " WHERE (created_at, id) > (?, ?)";
            try (PreparedStatement select = connection.prepareStatement("SELECT " + SESSION_COLUMNS
                    + " FROM sessions" + where + " ORDER BY created_at, id LIMIT ?")) {
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
        transaction("updateSession", () -> {
            try (PreparedStatement upsert = connection.prepareStatement("INSERT OR REPLACE INTO sessions ("
                    + SESSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
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
        return locked("listEvents", () -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + EVENT_COLUMNS
                    + " FROM events WHERE session_id = ? AND event_index > ? ORDER BY event_index LIMIT ?")) {
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
        List<String> payloads = events.stream().map(event -> text(event.payload())).toList();
        transaction("insertEvents", () -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO events (" + EVENT_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, event_index) DO NOTHING")) {
                for (int i = 0; i < events.size(); i++) {
                    SessionEvent event = events.get(i);
                    insert.setString(1, event.id());
                    insert.setLong(2, event.eventIndex());
                    insert.setString(3, sessionId);
                    insert.setLong(4, event.createdAt());
                    insert.setString(5, event.connectionId());
                    insert.setString(6, event.sender().wire());
                    insert.setString(7, payloads.get(i));
                    if (insert.executeUpdate() == 0) {
                        requireSameEvent(sessionId, event);
                    }
                }
            }
            return null;
        });
    }

    /** The index is taken: fine if by this very event (a retry), a conflict otherwise. */
    private void requireSameEvent(String sessionId, SessionEvent event) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id FROM events WHERE session_id = ? AND event_index = ?")) {
            select.setString(1, sessionId);
            select.setLong(2, event.eventIndex());
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next() || !rows.getString(1).equals(event.id())) {
                    throw new EventIndexConflictException(sessionId, event.eventIndex());
                }
            }
        }
    }

    /** Closes the connection, checkpointing the WAL into the file; later calls fail. Closing twice is harmless. */
    @Override
    public void close() {
        locked("close", () -> {
            if (!connection.isClosed()) {
                connection.close();
                log.info("Closed session store {}", file);
            }
            return null;
        });
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
            throw new IllegalStateException("Session store " + file + " holds JSON that does not parse: "
                    + e.getOriginalMessage(), e);
        }
    }

    private <T> T locked(String operation, SqlWork<T> work) {
        lock.lock();
        try {
            return work.run();
        } catch (SQLException e) {
            throw new SqlitePersistException(file, operation, e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} in one write transaction, rolled back if it throws. */
    private <T> T transaction(String operation, SqlWork<T> work) {
        return locked(operation, () -> {
            try (Statement statement = connection.createStatement()) {
                // Write lock first (IMMEDIATE), so another process's writer makes this wait on busy_timeout rather
                // than fail with SQLITE_BUSY halfway.
                statement.execute("BEGIN IMMEDIATE");
                try {
                    T result = work.run();
                    statement.execute("COMMIT");
                    return result;
                } catch (Throwable t) {
                    try {
                        statement.execute("ROLLBACK");
                    } catch (SQLException rollbackFailure) {
                        t.addSuppressed(rollbackFailure);
                    }
                    throw t;
                }
            }
        });
    }

    private static String queryString(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }
}
