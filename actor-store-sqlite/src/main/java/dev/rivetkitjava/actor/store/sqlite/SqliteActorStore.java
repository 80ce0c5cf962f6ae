package dev.rivetkitjava.actor.store.sqlite;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ScheduledEvent;
import dev.rivetkitjava.actor.store.ActorAlarm;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.actor.store.jdbc.ActorTables;
import dev.rivetkitjava.actor.store.jdbc.ActorTables.KeyColumn;
import dev.rivetkitjava.sqlite.SqliteFile;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An {@link ActorStore} in one SQLite file, in WAL mode with {@code synchronous=FULL}: every write
 * (state saves, key-value writes, schedules) is on disk once its method returns, so it survives a
 * process crash and a power loss; the file is never corrupt.
 *
 * <p>One connection serves all calls, one at a time. Writes that belong together run in one {@code
 * BEGIN IMMEDIATE} transaction, so other processes opening the same file (tools, a second runtime)
 * wait on {@code busy_timeout} instead of interleaving.
 */
public final class SqliteActorStore implements ActorStore {
    /**
     * Stored in {@code PRAGMA user_version}; raise it with every schema change and migrate older
     * files. Version 2 added the {@code kv} table; version 1 files get it when opened (the DDL
     * below only adds what is missing).
     */
    static final int SCHEMA_VERSION = 2;

    private static final List<String> SCHEMA =
            List.of(
                    """
            CREATE TABLE IF NOT EXISTS actors (
                id            TEXT    NOT NULL PRIMARY KEY,
                name          TEXT    NOT NULL,
                key           TEXT    NOT NULL,
                created_at    INTEGER NOT NULL,
                input         BLOB,
                state         BLOB,
                state_version INTEGER NOT NULL,
                generation    INTEGER NOT NULL,
                UNIQUE (name, key)
            ) STRICT""",
                    """
            CREATE TABLE IF NOT EXISTS schedules (
                id       TEXT    NOT NULL,
                actor_id TEXT    NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
                fire_at  INTEGER NOT NULL,
                action   TEXT    NOT NULL,
                args     BLOB,
                PRIMARY KEY (actor_id, id)
            ) STRICT""",
                    "CREATE INDEX IF NOT EXISTS schedules_fire_at ON schedules (fire_at)",
                    """
            CREATE TABLE IF NOT EXISTS kv (
                actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
                key      BLOB NOT NULL,
                value    BLOB NOT NULL,
                PRIMARY KEY (actor_id, key)
            ) STRICT""");

    /**
     * Actor keys are TEXT (compared as UTF-8 bytes); the transaction's write lock fences key-value
     * writes.
     */
    private static final ActorTables TABLES =
            new ActorTables("actors", "schedules", "kv", KeyColumn.TEXT, "");

    private final SqliteFile sqlite;

    private SqliteActorStore(SqliteFile sqlite) {
        this.sqlite = sqlite;
    }

    /**
     * Opens the store in {@code file}, creating the file, its parent directories and the schema as
     * needed.
     */
    public static SqliteActorStore open(Path file) {
        // FULL syncs the WAL at every commit: an actor's reply waits for its save, so what was
        // acknowledged stays.
        return new SqliteActorStore(
                SqliteFile.open(
                        file,
                        "actor store",
                        SCHEMA_VERSION,
                        SCHEMA,
                        List.of("foreign_keys = ON", "synchronous = FULL")));
    }

    /**
     * Runs {@code PRAGMA <pragma>} on the store's connection (the only one) and returns its first
     * value, or null: for tests and tools (for example {@code max_page_count}, to make the store
     * answer {@code SQLITE_FULL}).
     */
    @Nullable String pragma(String pragma) {
        return sqlite.locked(
                        "pragma",
                        connection -> {
                            try (Statement statement = connection.createStatement()) {
                                if (!statement.execute("PRAGMA " + pragma)) {
                                    return Optional.<String>empty();
                                }
                                try (ResultSet rows = statement.getResultSet()) {
                                    return rows.next()
                                            ? Optional.ofNullable(rows.getString(1))
                                            : Optional.<String>empty();
                                }
                            }
                        })
                .orElse(null);
    }

    @Override
    public ActorRecord insertIfAbsent(NewActor actor) {
        return sqlite.transaction(
                "insertIfAbsent",
                connection -> {
                    Optional<ActorRecord> inserted = TABLES.insert(connection, actor);
                    return inserted.isPresent()
                            ? inserted.get()
                            : TABLES.findByKey(connection, actor.name(), actor.key()).orElseThrow();
                });
    }

    @Override
    public Optional<ActorRecord> findById(String id) {
        return sqlite.locked("findById", connection -> TABLES.findById(connection, id));
    }

    @Override
    public Optional<ActorRecord> findByKey(String name, ActorKey key) {
        return sqlite.locked("findByKey", connection -> TABLES.findByKey(connection, name, key));
    }

    @Override
    public List<ActorRecord> list(String name, @Nullable ActorKey afterKey, int limit) {
        return sqlite.locked("list", connection -> TABLES.list(connection, name, afterKey, limit));
    }

    @Override
    public Optional<ActorRecord> claim(String id) {
        return sqlite.transaction("claim", connection -> TABLES.claim(connection, id));
    }

    @Override
    public Set<String> saveStates(List<StateWrite> writes) {
        if (writes.isEmpty()) {
            return Set.of();
        }
        // The saver's hot path: its statement is prepared once.
        return sqlite.transaction(
                "saveStates",
                connection -> TABLES.saveStates(sqlite.prepared(TABLES.saveStateSql()), writes));
    }

    @Override
    public void delete(String id) {
        sqlite.locked("delete", SqliteFile.statements(connection -> TABLES.delete(connection, id)));
    }

    @Override
    public void putSchedule(ScheduledEvent event) {
        sqlite.locked(
                "putSchedule",
                SqliteFile.statements(connection -> TABLES.putSchedule(connection, event)));
    }

    @Override
    public boolean deleteSchedule(String actorId, String eventId) {
        return sqlite.locked(
                "deleteSchedule",
                connection -> TABLES.deleteSchedule(connection, actorId, eventId));
    }

    @Override
    public List<ScheduledEvent> schedules(String actorId) {
        return sqlite.locked("schedules", connection -> TABLES.schedules(connection, actorId));
    }

    @Override
    public List<ActorAlarm> alarms() {
        return sqlite.locked("alarms", TABLES::alarms);
    }

    @Override
    public Optional<byte[]> kvGet(String actorId, String key) {
        return sqlite.locked("kvGet", connection -> TABLES.kvGet(connection, actorId, key));
    }

    @Override
    public List<KvEntry> kvList(
            String actorId, String prefix, @Nullable String afterKey, int limit) {
        // Keys are BLOBs, compared as bytes (memcmp).
        return sqlite.locked(
                "kvList",
                connection -> TABLES.kvList(connection, actorId, prefix, afterKey, limit));
    }

    @Override
    public boolean kvWrite(String actorId, long generation, KvBatch batch) {
        // BEGIN IMMEDIATE holds the file's write lock: no claim can come between the fence and the
        // writes.
        return sqlite.transaction(
                "kvWrite", connection -> TABLES.kvWrite(connection, actorId, generation, batch));
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
