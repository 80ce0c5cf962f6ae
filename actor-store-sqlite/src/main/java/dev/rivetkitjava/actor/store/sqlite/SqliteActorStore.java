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
import dev.rivetkitjava.sqlite.SqliteFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
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

/**
 * An {@link ActorStore} in one SQLite file, in WAL mode with {@code synchronous=FULL}: every write (state saves, key-value
 * writes, schedules) is on disk once its method returns, so it survives a process crash and a power loss; the file is
 * never corrupt.
 *
 * <p>One connection serves all calls, one at a time. Writes that belong together run in one {@code BEGIN IMMEDIATE}
 * transaction, so other processes opening the same file (tools, a second runtime) wait on {@code busy_timeout}
 * instead of interleaving.
 */
public final class SqliteActorStore implements ActorStore {
    /**
     * Stored in {@code PRAGMA user_version}; raise it with every schema change and migrate older files. Version 2
     * added the {@code kv} table; version 1 files get it when opened (the DDL below only adds what is missing).
     */
    static final int SCHEMA_VERSION = 2;
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

    private final SqliteFile sqlite;

    private SqliteActorStore(SqliteFile sqlite) {
        this.sqlite = sqlite;
    }

    /** Opens the store in {@code file}, creating the file, its parent directories and the schema as needed. */
    public static SqliteActorStore open(Path file) {
        // FULL syncs the WAL at every commit: an actor's reply waits for its save, so what was acknowledged stays.
        return new SqliteActorStore(SqliteFile.open(file, "actor store", SCHEMA_VERSION, SCHEMA,
                List.of("foreign_keys = ON", "synchronous = FULL")));
    }

    /**
     * Runs {@code PRAGMA <pragma>} on the store's connection (the only one) and returns its first value, or null: for
     * tests and tools (for example {@code max_page_count}, to make the store answer {@code SQLITE_FULL}).
     */
    String pragma(String pragma) {
        return sqlite.locked("pragma", connection -> {
            try (Statement statement = connection.createStatement()) {
                if (!statement.execute("PRAGMA " + pragma)) {
                    return null;
                }
                try (ResultSet rows = statement.getResultSet()) {
                    return rows.next() ? rows.getString(1) : null;
                }
            }
        });
    }

    @Override
    public ActorRecord insertIfAbsent(NewActor actor) {
        String key = actor.key().serialize();
        return sqlite.transaction("insertIfAbsent", connection -> {
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO actors (" + ACTOR_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, NULL, 0, 0) ON CONFLICT (name, key) DO NOTHING")) {
                insert.setString(1, actor.id());
                insert.setString(2, actor.name());
                insert.setString(3, key);
                insert.setLong(4, actor.createdAtMillis());
                insert.setBytes(5, actor.input());
                insert.executeUpdate();
            }
            return selectActor(connection, "name = ? AND key = ?", actor.name(), key).orElseThrow();
        });
    }

    @Override
    public Optional<ActorRecord> findById(String id) {
        return sqlite.locked("findById", connection -> selectActor(connection, "id = ?", id));
    }

    @Override
    public Optional<ActorRecord> findByKey(String name, ActorKey key) {
        String serialized = key.serialize();
        return sqlite.locked("findByKey",
                connection -> selectActor(connection, "name = ? AND key = ?", name, serialized));
    }

    @Override
    public List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        // No serialized key is empty, so "" starts before the first one. TEXT compares as UTF-8 bytes.
        String after = afterKey == null ? "" : afterKey.serialize();
        return sqlite.locked("list", connection -> {
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
        return sqlite.transaction("claim", connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE actors SET generation = generation + 1 WHERE id = ?")) {
                update.setString(1, id);
                if (update.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return selectActor(connection, "id = ?", id);
        });
    }

    @Override
    public Set<String> saveStates(List<StateWrite> writes) {
        if (writes.isEmpty()) {
            return Set.of();
        }
        return sqlite.transaction("saveStates", connection -> {
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
                if (writes.stream().anyMatch(write -> !write.kvPuts().isEmpty())) {
                    // The writes' key-value entries, in the saves' transaction, for the writes that were applied.
                    try (PreparedStatement upsert = connection.prepareStatement("""
                            INSERT INTO kv (actor_id, key, value) VALUES (?, ?, ?)
                            ON CONFLICT (actor_id, key) DO UPDATE SET value = excluded.value""")) {
                        for (StateWrite write : writes) {
                            if (skipped.contains(write.actorId())) {
                                continue;
                            }
                            for (Map.Entry<String, byte[]> put : write.kvPuts().entrySet()) {
                                upsert.setString(1, write.actorId());
                                upsert.setBytes(2, utf8(put.getKey()));
                                upsert.setBytes(3, put.getValue());
                                upsert.addBatch();
                            }
                        }
                        upsert.executeBatch();
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
        sqlite.locked("putSchedule", connection -> {
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
        return sqlite.locked("schedules", connection -> {
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
        return sqlite.locked("alarms", connection -> {
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
        return sqlite.locked("kvGet", connection -> {
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
        return sqlite.locked("kvList", connection -> {
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
        return sqlite.transaction("kvWrite", connection -> {
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
        sqlite.close();
    }

    private static Optional<ActorRecord> selectActor(Connection connection, String where, String... params)
            throws SQLException {
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
        return sqlite.locked(operation, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    statement.setString(i + 1, params[i]);
                }
                return statement.executeUpdate();
            }
        });
    }
}
