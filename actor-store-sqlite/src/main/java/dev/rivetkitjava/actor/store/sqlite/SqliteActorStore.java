package dev.rivetkitjava.actor.store.sqlite;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.store.ActorAlarm;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.KvBatch;
import dev.rivetkitjava.actor.store.KvEntry;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.ScheduledEvent;
import dev.rivetkitjava.actor.store.StateWrite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ActorStore} in one SQLite file, in WAL mode with {@code synchronous=NORMAL}: a write survives a process
 * crash once its method returns; a power loss may undo the last few commits, never corrupt the file.
 *
 * <p>One connection serves all calls, one at a time. Writes that belong together run in one {@code BEGIN IMMEDIATE}
 * transaction, so other processes opening the same file (tools, a second runtime) wait on {@code busy_timeout}
 * instead of interleaving.
 */
public final class SqliteActorStore implements ActorStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteActorStore.class);

    /**
     * Stored in {@code PRAGMA user_version}; raise it with every schema change and migrate older files. Version 2
     * added the {@code kv} table; version 1 files get it when opened (the DDL below only adds what is missing).
     */
    static final int SCHEMA_VERSION = 2;
    private static final int BUSY_TIMEOUT_MILLIS = 5_000;
    private static final List<String> SCHEMA = List.of("""
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
            ) STRICT""", """
            CREATE TABLE IF NOT EXISTS schedules (
                id       TEXT    NOT NULL,
                actor_id TEXT    NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
                fire_at  INTEGER NOT NULL,
                action   TEXT    NOT NULL,
                args     BLOB,
                PRIMARY KEY (actor_id, id)
            ) STRICT""",
            "CREATE INDEX IF NOT EXISTS schedules_fire_at ON schedules (fire_at)", """
            CREATE TABLE IF NOT EXISTS kv (
                actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
                key      BLOB NOT NULL,
                value    BLOB NOT NULL,
                PRIMARY KEY (actor_id, key)
            ) STRICT""");
    private static final String ACTOR_COLUMNS = "id, name, key, created_at, input, state, state_version, generation";

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    private SqliteActorStore(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /** Opens the store in {@code file}, creating the file, its parent directories and the schema as needed. */
    public static SqliteActorStore open(Path file) {
        Path path = file.toAbsolutePath();
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new SqliteStoreException(path, "creating its directory", e);
        }
        Connection connection;
        try {
            connection = DriverManager.getConnection("jdbc:sqlite:" + path);
        } catch (SQLException e) {
            throw new SqliteStoreException(path, "opening", e);
        }
        try {
            prepare(connection, path);
        } catch (SQLException e) {
            closeAfterFailure(connection, e);
            throw new SqliteStoreException(path, "opening", e);
        } catch (RuntimeException e) {
            closeAfterFailure(connection, e);
            throw e;
        }
        log.info("Opened actor store {}", path);
        return new SqliteActorStore(path, connection);
    }

    private static void prepare(Connection connection, Path path) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
            String journalMode = queryString(statement, "PRAGMA journal_mode = WAL");
            if (!journalMode.equalsIgnoreCase("wal")) {
                log.warn("Actor store {} runs in journal mode {}: the file system does not support WAL",
                        path, journalMode);
            }
            statement.execute("PRAGMA synchronous = NORMAL");
            statement.execute("PRAGMA foreign_keys = ON");
        }
        inTransaction(connection, () -> {
            try (Statement statement = connection.createStatement()) {
                int version = Integer.parseInt(queryString(statement, "PRAGMA user_version"));
                if (version > SCHEMA_VERSION) {
                    throw new IllegalStateException("Actor store " + path + " has schema version " + version
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
    public ActorRecord insertIfAbsent(NewActor actor) {
        String key = actor.key().serialize();
        return transaction("insertIfAbsent", () -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO actors (" + ACTOR_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, NULL, 0, 0) ON CONFLICT (name, key) DO NOTHING")) {
                insert.setString(1, actor.id());
                insert.setString(2, actor.name());
                insert.setString(3, key);
                insert.setLong(4, actor.createdAtMillis());
                insert.setBytes(5, actor.input());
                insert.executeUpdate();
            }
            return selectActor("name = ? AND key = ?", actor.name(), key).orElseThrow();
        });
    }

    @Override
    public Optional<ActorRecord> findById(String id) {
        return locked("findById", () -> selectActor("id = ?", id));
    }

    @Override
    public Optional<ActorRecord> findByKey(String name, ActorKey key) {
        String serialized = key.serialize();
        return locked("findByKey", () -> selectActor("name = ? AND key = ?", name, serialized));
    }

    @Override
    public List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        // No serialized key is empty, so "" starts before the first one. TEXT compares as UTF-8 bytes.
        String after = afterKey == null ? "" : afterKey.serialize();
        return locked("list", () -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + ACTOR_COLUMNS
                    + " FROM actors WHERE name = ? AND key > ? ORDER BY key LIMIT ?")) {
                select.setString(1, name);
                select.setString(2, after);
                select.setInt(3, limit);
                try (ResultSet rows = select.executeQuery()) {
                    List<ActorRecord> records = new ArrayList<>();
                    while (rows.next()) {
                        records.add(actor(rows));
                    }
                    return records;
                }
            }
        });
    }

    @Override
    public Optional<ActorRecord> claim(String id) {
        return transaction("claim", () -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE actors SET generation = generation + 1 WHERE id = ?")) {
                update.setString(1, id);
                if (update.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return selectActor("id = ?", id);
        });
    }

    @Override
    public Set<String> saveStates(List<StateWrite> writes) {
        if (writes.isEmpty()) {
            return Set.of();
        }
        return transaction("saveStates", () -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE actors SET state = ?, state_version = ? WHERE id = ? AND generation = ?")) {
                for (StateWrite write : writes) {
                    update.setBytes(1, write.state());
                    update.setInt(2, write.stateVersion());
                    update.setString(3, write.actorId());
                    update.setLong(4, write.generation());
                    update.addBatch();
                }
                int[] counts = update.executeBatch();
                Set<String> skipped = new HashSet<>();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] == 0) {
                        skipped.add(writes.get(i).actorId());
                    }
                }
                return skipped;
            }
        });
    }

    @Override
    public void delete(String id) {
        // Schedules and kv entries go with the actor through ON DELETE CASCADE.
        update("delete", "DELETE FROM actors WHERE id = ?", id);
    }

    @Override
    public void putSchedule(ScheduledEvent event) {
        // The EXISTS guard ignores events of deleted actors instead of failing on the foreign key.
        locked("putSchedule", () -> {
            try (PreparedStatement upsert = connection.prepareStatement("""
                    INSERT INTO schedules (actor_id, id, fire_at, action, args)
                    SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM actors WHERE id = ?)
                    ON CONFLICT (actor_id, id) DO UPDATE
                    SET fire_at = excluded.fire_at, action = excluded.action, args = excluded.args""")) {
                upsert.setString(1, event.actorId());
                upsert.setString(2, event.id());
                upsert.setLong(3, event.fireAtMillis());
                upsert.setString(4, event.action());
                upsert.setBytes(5, event.args());
                upsert.setString(6, event.actorId());
                return upsert.executeUpdate();
            }
        });
    }

    @Override
    public boolean deleteSchedule(String actorId, String eventId) {
        return update("deleteSchedule", "DELETE FROM schedules WHERE actor_id = ? AND id = ?", actorId, eventId) > 0;
    }

    @Override
    public List<ScheduledEvent> schedules(String actorId) {
        return locked("schedules", () -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, fire_at, action, args FROM schedules WHERE actor_id = ? ORDER BY fire_at, id")) {
                select.setString(1, actorId);
                try (ResultSet rows = select.executeQuery()) {
                    List<ScheduledEvent> events = new ArrayList<>();
                    while (rows.next()) {
                        events.add(new ScheduledEvent(rows.getString(1), actorId, rows.getLong(2), rows.getString(3),
                                rows.getBytes(4)));
                    }
                    return events;
                }
            }
        });
    }

    @Override
    public List<ActorAlarm> alarms() {
        return locked("alarms", () -> {
            try (Statement select = connection.createStatement();
                 ResultSet rows = select.executeQuery("""
                         SELECT actor_id, MIN(fire_at) AS at FROM schedules
                         GROUP BY actor_id ORDER BY at, actor_id""")) {
                List<ActorAlarm> alarms = new ArrayList<>();
                while (rows.next()) {
                    alarms.add(new ActorAlarm(rows.getString(1), rows.getLong(2)));
                }
                return alarms;
            }
        });
    }

    @Override
    public Optional<byte[]> kvGet(String actorId, String key) {
        return locked("kvGet", () -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT value FROM kv WHERE actor_id = ? AND key = ?")) {
                select.setString(1, actorId);
                select.setBytes(2, utf8(key));
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<KvEntry> kvList(String actorId, String prefix, String afterKey, int limit) {
        byte[] start = utf8(prefix);
        byte[] after = afterKey == null ? null : utf8(afterKey);
        boolean afterWithin = after != null && Arrays.compareUnsigned(after, start) >= 0;
        byte[] end = prefixEnd(start);
        return locked("kvList", () -> {
            // Keys are BLOBs, compared as bytes (memcmp): a prefix is the range [prefix, prefixEnd).
            try (PreparedStatement select = connection.prepareStatement("SELECT key, value FROM kv WHERE actor_id = ?"
                    + (afterWithin ? " AND key > ?" : " AND key >= ?") + (end == null ? "" : " AND key < ?")
                    + " ORDER BY key LIMIT ?")) {
                int p = 1;
                select.setString(p++, actorId);
                select.setBytes(p++, afterWithin ? after : start);
                if (end != null) {
                    select.setBytes(p++, end);
                }
                select.setInt(p, Math.max(0, limit));
                try (ResultSet rows = select.executeQuery()) {
                    List<KvEntry> entries = new ArrayList<>();
                    while (rows.next()) {
                        entries.add(new KvEntry(new String(rows.getBytes(1), StandardCharsets.UTF_8),
                                rows.getBytes(2)));
                    }
                    return entries;
                }
            }
        });
    }

    @Override
    public boolean kvWrite(String actorId, long generation, KvBatch batch) {
        return transaction("kvWrite", () -> {
            try (PreparedStatement fence = connection.prepareStatement(
                    "SELECT 1 FROM actors WHERE id = ? AND generation = ?")) {
                fence.setString(1, actorId);
                fence.setLong(2, generation);
                try (ResultSet rows = fence.executeQuery()) {
                    if (!rows.next()) {
                        return false;
                    }
                }
            }
            if (!batch.deletes().isEmpty()) {
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM kv WHERE actor_id = ? AND key = ?")) {
                    for (String key : batch.deletes()) {
                        delete.setString(1, actorId);
                        delete.setBytes(2, utf8(key));
                        delete.addBatch();
                    }
                    delete.executeBatch();
                }
            }
            for (String prefix : batch.deletePrefixes()) {
                byte[] start = utf8(prefix);
                byte[] end = prefixEnd(start);
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM kv WHERE actor_id = ? AND key >= ?" + (end == null ? "" : " AND key < ?"))) {
                    delete.setString(1, actorId);
                    delete.setBytes(2, start);
                    if (end != null) {
                        delete.setBytes(3, end);
                    }
                    delete.executeUpdate();
                }
            }
            if (!batch.puts().isEmpty()) {
                try (PreparedStatement upsert = connection.prepareStatement("""
                        INSERT INTO kv (actor_id, key, value) VALUES (?, ?, ?)
                        ON CONFLICT (actor_id, key) DO UPDATE SET value = excluded.value""")) {
                    for (Map.Entry<String, byte[]> put : batch.puts().entrySet()) {
                        upsert.setString(1, actorId);
                        upsert.setBytes(2, utf8(put.getKey()));
                        upsert.setBytes(3, put.getValue());
                        upsert.addBatch();
                    }
                    upsert.executeBatch();
                }
            }
            return true;
        });
    }

    private static byte[] utf8(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The smallest byte string above every string that starts with {@code prefix}, or null when there is none (an
     * empty prefix). UTF-8 never contains 0xFF, so incrementing the last byte never carries.
     */
    private static byte[] prefixEnd(byte[] prefix) {
        if (prefix.length == 0) {
            return null;
        }
        byte[] end = prefix.clone();
        end[end.length - 1]++;
        return end;
    }

    /** Closes the connection, checkpointing the WAL into the file; later calls fail. Closing twice is harmless. */
    @Override
    public void close() {
        locked("close", () -> {
            if (!connection.isClosed()) {
                connection.close();
                log.info("Closed actor store {}", file);
            }
            return null;
        });
    }

    private Optional<ActorRecord> selectActor(String where, String... params) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + ACTOR_COLUMNS + " FROM actors WHERE " + where)) {
            for (int i = 0; i < params.length; i++) {
                select.setString(i + 1, params[i]);
            }
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(actor(rows)) : Optional.empty();
            }
        }
    }

    private static ActorRecord actor(ResultSet row) throws SQLException {
        return new ActorRecord(row.getString(1), row.getString(2), ActorKey.parse(row.getString(3)), row.getLong(4),
                row.getBytes(5), row.getBytes(6), row.getInt(7), row.getLong(8));
    }

    private int update(String operation, String sql, String... params) {
        return locked(operation, () -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    statement.setString(i + 1, params[i]);
                }
                return statement.executeUpdate();
            }
        });
    }

    /** Runs {@code work} with the connection to itself: reads, or a single write statement, which is atomic alone. */
    private <T> T locked(String operation, SqlWork<T> work) {
        lock.lock();
        try {
            return work.run();
        } catch (SQLException e) {
            throw new SqliteStoreException(file, operation, e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} in one write transaction. */
    private <T> T transaction(String operation, SqlWork<T> work) {
        return locked(operation, () -> inTransaction(connection, work));
    }

    private static <T> T inTransaction(Connection connection, SqlWork<T> work) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // IMMEDIATE takes the write lock up front: a deferred transaction that must upgrade later can fail
            // with SQLITE_BUSY without waiting for busy_timeout.
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
    }

    private static void closeAfterFailure(Connection connection, Exception failure) {
        try {
            connection.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
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
