package dev.rivetkitjava.sandboxagent.persist.sqlite;

import static dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables.EVENT_COLUMNS;
import static dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables.SESSION_COLUMNS;

import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import dev.rivetkitjava.sandboxagent.persist.jdbc.SessionTables;
import dev.rivetkitjava.sqlite.SqliteFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Sessions and events in one SQLite file, in WAL mode with {@code synchronous=NORMAL}: a write
 * survives a process crash once its method returns. No caps: history is kept until deleted by hand.
 *
 * <p>One connection serves all calls, one at a time; every write runs in a {@code BEGIN IMMEDIATE}
 * transaction, so another process on the same file waits on {@code busy_timeout} instead of
 * interleaving.
 */
public final class SqliteSessionPersistDriver implements SessionPersistDriver, AutoCloseable {
    /**
     * Stored in {@code PRAGMA user_version}; raise it with every schema change and migrate older
     * files.
     */
    static final int SCHEMA_VERSION = 1;

    // Column names follow sandbox-agent's v0.2.1 reference schema, plus the fields 0.4.x added.
    private static final List<String> SCHEMA =
            List.of(
                    """
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
                    "CREATE INDEX IF NOT EXISTS sessions_order ON sessions (created_at, id)",
                    """
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

    private final SqliteFile sqlite;
    private final SessionTables tables;

    private SqliteSessionPersistDriver(SqliteFile sqlite) {
        this.sqlite = sqlite;
        this.tables =
                new SessionTables(
                        "SQLite session store " + sqlite.path(),
                        "",
                        "INSERT OR REPLACE INTO sessions ("
                                + SESSION_COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "INSERT INTO events ("
                                + EVENT_COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, ?, ?) "
                                + "ON CONFLICT (session_id, event_index) DO NOTHING");
    }

    /**
     * Opens the store in {@code file}, creating the file, its parent directories and the schema as
     * needed.
     */
    public static SqliteSessionPersistDriver open(Path file) {
        return new SqliteSessionPersistDriver(
                SqliteFile.open(file, "session store", SCHEMA_VERSION, SCHEMA, List.of()));
    }

    @Override
    public Optional<SessionRecord> getSession(String id) {
        return sqlite.locked("getSession", connection -> tables.getSession(connection, id));
    }

    @Override
    public ListPage<SessionRecord> listSessions(PageRequest request) {
        return sqlite.locked(
                "listSessions", connection -> tables.listSessions(connection, request));
    }

    @Override
    public void updateSession(SessionRecord session) {
        sqlite.transaction(
                "updateSession",
                SqliteFile.statements(connection -> tables.updateSession(connection, session)));
    }

    @Override
    public ListPage<SessionEvent> listEvents(String sessionId, PageRequest request) {
        return sqlite.locked(
                "listEvents", connection -> tables.listEvents(connection, sessionId, request));
    }

    @Override
    public void insertEvent(String sessionId, SessionEvent event) {
        insertEvents(sessionId, List.of(event));
    }

    /** Adds the events in one transaction: all of them, or none when one conflicts. */
    @Override
    public void insertEvents(String sessionId, List<SessionEvent> events) {
        sqlite.transaction(
                "insertEvents",
                SqliteFile.statements(
                        connection -> tables.insertEvents(connection, sessionId, events)));
    }

    /**
     * Closes the connection, checkpointing the WAL into the file; later calls fail. Closing twice
     * is harmless.
     */
    @Override
    public void close() {
        sqlite.close();
    }
}
