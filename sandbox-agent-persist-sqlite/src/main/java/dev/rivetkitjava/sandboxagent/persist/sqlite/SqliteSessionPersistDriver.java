package dev.rivetkitjava.sandboxagent.persist.sqlite;

import static dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables.EVENT_COLUMNS;
import static dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables.SESSION_COLUMNS;

import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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

    private final Path file;
    private final Connection connection;
    private final SessionTables tables;
    private final ReentrantLock lock = new ReentrantLock();

    private SqliteSessionPersistDriver(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
        this.tables = new SessionTables("SQLite session store " + file, "",
                "INSERT OR REPLACE INTO sessions (" + SESSION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "INSERT INTO events (" + EVENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (session_id, event_index) DO NOTHING");
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
        return locked("getSession", () -> tables.getSession(connection, id));
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        return locked("listSessions", () -> tables.listSessions(connection, request));
    }

    @Override
    public void updateSession(SessionRecord session) {
        transaction("updateSession", () -> {
            tables.updateSession(connection, session);
            return null;
        });
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        return locked("listEvents", () -> tables.listEvents(connection, sessionId, request));
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Adds the events in one transaction: all of them, or none when one conflicts. */
    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        transaction("insertEvents", () -> {
            tables.insertEvents(connection, sessionId, events);
            return null;
        });
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
