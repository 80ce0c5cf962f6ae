package dev.rivetkitjava.actor.store.jdbc;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ScheduledEvent;
import dev.rivetkitjava.actor.store.ActorAlarm;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The actors, schedules and key-value tables as every JDBC actor store reads and writes them: the
 * queries, the row ↔ record mapping, the generation fence of state saves and key-value writes, and
 * key-value prefixes as byte ranges.
 *
 * <p>A store keeps what differs: its connections and transactions, its schema (table names given
 * here), its exception type, and the dialect bits given to the constructor (how the actor key
 * column is typed, how the fence locks the actor's row). Every method runs on the caller's
 * connection, inside the caller's transaction where the caller wants one, and leaves an {@link
 * SQLException} for the caller to wrap. The SQL is what SQLite and PostgreSQL both accept ({@code
 * ON CONFLICT}, {@code RETURNING}).
 */
public final class ActorTables {
    private static final String ACTOR_COLUMNS =
            "id, name, key, created_at, input, state, state_version, generation";

    /** How the {@code key} column of the actors table holds an actor's serialized key. */
    public enum KeyColumn {
        /** Text, compared as UTF-8 bytes (SQLite's {@code TEXT}). */
        TEXT,
        /**
         * UTF-8 bytes (PostgreSQL's {@code bytea}), so keys order by bytes whatever the collation.
         */
        BYTES
    }

    private final String actors;
    private final String schedules;
    private final String kv;
    private final KeyColumn keyColumn;
    private final String fenceLock;

    /**
     * @param actors the actors table's name, qualified as the store needs
     * @param schedules the schedules table's name
     * @param kv the key-value table's name
     * @param keyColumn how the actors table's {@code key} column is typed
     * @param fenceLock appended to the fence's {@code SELECT} of a key-value write to lock the
     *     actor's row until commit ({@code " FOR NO KEY UPDATE"}), or {@code ""} where the
     *     transaction itself excludes other writers
     */
    public ActorTables(
            String actors, String schedules, String kv, KeyColumn keyColumn, String fenceLock) {
        this.actors = Objects.requireNonNull(actors, "actors");
        this.schedules = Objects.requireNonNull(schedules, "schedules");
        this.kv = Objects.requireNonNull(kv, "kv");
        this.keyColumn = Objects.requireNonNull(keyColumn, "keyColumn");
        this.fenceLock = Objects.requireNonNull(fenceLock, "fenceLock");
    }

    /**
     * Inserts {@code actor} unless its name and key are taken: the inserted row, or empty when they
     * were.
     */
    public Optional<ActorRecord> insert(Connection connection, NewActor actor) throws SQLException {
        try (PreparedStatement insert =
                connection.prepareStatement(
                        "INSERT INTO "
                                + actors
                                + " ("
                                + ACTOR_COLUMNS
                                + ") VALUES (?, ?, ?, ?, ?, NULL, 0, 0) ON CONFLICT (name, key) DO NOTHING RETURNING "
                                + ACTOR_COLUMNS)) {
            insert.setString(1, actor.id());
            insert.setString(2, actor.name());
            bindKey(insert, 3, actor.key().serialize());
            insert.setLong(4, actor.createdAtMillis());
            insert.setBytes(5, actor.input());
            return single(insert);
        }
    }

    public Optional<ActorRecord> findById(Connection connection, String id) throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT " + ACTOR_COLUMNS + " FROM " + actors + " WHERE id = ?")) {
            select.setString(1, id);
            return single(select);
        }
    }

    public Optional<ActorRecord> findByKey(Connection connection, String name, ActorKey key)
            throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT "
                                + ACTOR_COLUMNS
                                + " FROM "
                                + actors
                                + " WHERE name = ? AND key = ?")) {
            select.setString(1, name);
            bindKey(select, 2, key.serialize());
            return single(select);
        }
    }

    /**
     * The actors named {@code name} with keys after {@code afterKey} (null: from the first), at
     * most {@code limit}.
     */
    public List<ActorRecord> list(
            Connection connection, String name, @Nullable ActorKey afterKey, int limit)
            throws SQLException {
        // No serialized key is empty, so "" starts before the first one; both column kinds compare
        // as UTF-8 bytes.
        String after = afterKey == null ? "" : afterKey.serialize();
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT "
                                + ACTOR_COLUMNS
                                + " FROM "
                                + actors
                                + " WHERE name = ? AND key > ? ORDER BY key LIMIT ?")) {
            select.setString(1, name);
            bindKey(select, 2, after);
            select.setInt(3, limit);
            try (ResultSet rows = select.executeQuery()) {
                List<ActorRecord> records = new ArrayList<>();
                while (rows.next()) {
                    records.add(actor(rows));
                }
                return records;
            }
        }
    }

    /**
     * Raises the actor's generation by one: the claimed row, or empty when there is no such actor.
     */
    public Optional<ActorRecord> claim(Connection connection, String id) throws SQLException {
        try (PreparedStatement update =
                connection.prepareStatement(
                        "UPDATE "
                                + actors
                                + " SET generation = generation + 1 WHERE id = ? RETURNING "
                                + ACTOR_COLUMNS)) {
            update.setString(1, id);
            return single(update);
        }
    }

    /**
     * Saves the states as one batch, in their order, each fenced by its generation: the ids of the
     * actors whose generation had moved on (claimed elsewhere) or that are gone, whose writes wrote
     * nothing.
     */
    public Set<String> saveStates(Connection connection, List<StateWrite> writes)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(saveStateSql())) {
            return saveStates(update, writes);
        }
    }

    /**
     * The statement {@link #saveStates(PreparedStatement, List)} runs, for a store that prepares it
     * once.
     */
    public String saveStateSql() {
        return "UPDATE "
                + actors
                + " SET state = ?, state_version = ? WHERE id = ? AND generation = ?";
    }

    /**
     * As {@link #saveStates(Connection, List)}, on {@code update} prepared from {@link
     * #saveStateSql()}.
     */
    public Set<String> saveStates(PreparedStatement update, List<StateWrite> writes)
            throws SQLException {
        // A kept statement may hold the batch of a transaction that failed: it must not land in
        // this one.
        update.clearBatch();
        for (StateWrite write : writes) {
            update.setBytes(1, write.state());
            update.setInt(2, write.stateVersion());
            update.setString(3, write.actorId());
            update.setLong(4, write.generation());
            update.addBatch();
        }
        int[] counts = update.executeBatch();
        Set<String> skipped = new HashSet<>();
        // In the state's transaction, and only when the state was written (not fenced off); the
        // batches of different actors together, a round trip per kind of statement.
        Map<String, KvBatch> kvOfActors = new LinkedHashMap<>();
        for (int i = 0; i < counts.length; i++) {
            StateWrite write = writes.get(i);
            if (counts[i] == 0) {
                skipped.add(write.actorId());
            } else if (!write.kv().isEmpty()) {
                if (kvOfActors.containsKey(write.actorId())) {
                    // A second write of an actor applies after its first.
                    applyKv(update.getConnection(), kvOfActors);
                    kvOfActors.clear();
                }
                kvOfActors.put(write.actorId(), write.kv());
            }
        }
        applyKv(update.getConnection(), kvOfActors);
        return skipped;
    }

    public void delete(Connection connection, String id) throws SQLException {
        // Schedules and kv entries go with the actor through ON DELETE CASCADE.
        update(connection, "DELETE FROM " + actors + " WHERE id = ?", id);
    }

    /** Inserts or replaces the event; nothing for an actor that does not exist. */
    public void putSchedule(Connection connection, ScheduledEvent event) throws SQLException {
        // The EXISTS guard ignores events of deleted actors instead of failing on the foreign key.
        try (PreparedStatement upsert =
                connection.prepareStatement(
                        "INSERT INTO "
                                + schedules
                                + " (actor_id, id, fire_at, action, args) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM "
                                + actors
                                + " WHERE id = ?) ON CONFLICT (actor_id, id) DO UPDATE "
                                + "SET fire_at = excluded.fire_at, action = excluded.action, args = excluded.args")) {
            upsert.setString(1, event.actorId());
            upsert.setString(2, event.id());
            upsert.setLong(3, event.fireAtMillis());
            upsert.setString(4, event.action());
            upsert.setBytes(5, event.args());
            upsert.setString(6, event.actorId());
            upsert.executeUpdate();
        }
    }

    public boolean deleteSchedule(Connection connection, String actorId, String eventId)
            throws SQLException {
        return update(
                        connection,
                        "DELETE FROM " + schedules + " WHERE actor_id = ? AND id = ?",
                        actorId,
                        eventId)
                > 0;
    }

    public List<ScheduledEvent> schedules(Connection connection, String actorId)
            throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT id, fire_at, action, args FROM "
                                + schedules
                                + " WHERE actor_id = ? ORDER BY fire_at, id")) {
            select.setString(1, actorId);
            try (ResultSet rows = select.executeQuery()) {
                List<ScheduledEvent> events = new ArrayList<>();
                while (rows.next()) {
                    events.add(
                            new ScheduledEvent(
                                    rows.getString(1),
                                    actorId,
                                    rows.getLong(2),
                                    rows.getString(3),
                                    rows.getBytes(4)));
                }
                return events;
            }
        }
    }

    /** Each actor with schedules and its earliest one's time, earliest first. */
    public List<ActorAlarm> alarms(Connection connection) throws SQLException {
        try (Statement select = connection.createStatement();
                ResultSet rows =
                        select.executeQuery(
                                "SELECT actor_id, min(fire_at) AS at FROM "
                                        + schedules
                                        + " GROUP BY actor_id ORDER BY at, actor_id")) {
            List<ActorAlarm> alarms = new ArrayList<>();
            while (rows.next()) {
                alarms.add(new ActorAlarm(rows.getString(1), rows.getLong(2)));
            }
            return alarms;
        }
    }

    public Optional<byte[]> kvGet(Connection connection, String actorId, String key)
            throws SQLException {
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT value FROM " + kv + " WHERE actor_id = ? AND key = ?")) {
            select.setString(1, actorId);
            select.setBytes(2, utf8(key));
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.empty();
            }
        }
    }

    public List<KvEntry> kvList(
            Connection connection,
            String actorId,
            String prefix,
            @Nullable String afterKey,
            int limit)
            throws SQLException {
        byte[] start = utf8(prefix);
        byte[] after = afterKey == null ? null : utf8(afterKey);
        boolean afterWithin = after != null && Arrays.compareUnsigned(after, start) >= 0;
        byte[] end = prefixEnd(start);
        // Keys are bytes, compared as bytes: a prefix is the range [prefix, prefixEnd).
        try (PreparedStatement select =
                connection.prepareStatement(
                        "SELECT key, value FROM "
                                + kv
                                + " WHERE actor_id = ?"
                                + (afterWithin ? " AND key > ?" : " AND key >= ?")
                                + (end == null ? "" : " AND key < ?")
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
                    entries.add(
                            new KvEntry(
                                    new String(rows.getBytes(1), StandardCharsets.UTF_8),
                                    rows.getBytes(2)));
                }
                return entries;
            }
        }
    }

    /**
     * Writes the batch if the actor's generation is still {@code generation}: false, writing
     * nothing, when it is not. Run it in one transaction.
     */
    public boolean kvWrite(Connection connection, String actorId, long generation, KvBatch batch)
            throws SQLException {
        try (PreparedStatement fence =
                connection.prepareStatement(
                        "SELECT 1 FROM "
                                + actors
                                + " WHERE id = ? AND generation = ?"
                                + fenceLock)) {
            fence.setString(1, actorId);
            fence.setLong(2, generation);
            try (ResultSet rows = fence.executeQuery()) {
                if (!rows.next()) {
                    return false;
                }
            }
        }
        applyKv(connection, Map.of(actorId, batch));
        return true;
    }

    /**
     * Applies each actor's batch: every actor's deletes before its puts, the deletes of all of them
     * in one statement batch and the puts in another.
     */
    private void applyKv(Connection connection, Map<String, KvBatch> batches) throws SQLException {
        if (batches.values().stream().anyMatch(batch -> !batch.deletes().isEmpty())) {
            try (PreparedStatement delete =
                    connection.prepareStatement(
                            "DELETE FROM " + kv + " WHERE actor_id = ? AND key = ?")) {
                for (Map.Entry<String, KvBatch> actor : batches.entrySet()) {
                    for (String key : actor.getValue().deletes()) {
                        delete.setString(1, actor.getKey());
                        delete.setBytes(2, utf8(key));
                        delete.addBatch();
                    }
                }
                delete.executeBatch();
            }
        }
        for (Map.Entry<String, KvBatch> actor : batches.entrySet()) {
            for (String prefix : actor.getValue().deletePrefixes()) {
                byte[] start = utf8(prefix);
                byte[] end = prefixEnd(start);
                try (PreparedStatement delete =
                        connection.prepareStatement(
                                "DELETE FROM "
                                        + kv
                                        + " WHERE actor_id = ? AND key >= ?"
                                        + (end == null ? "" : " AND key < ?"))) {
                    delete.setString(1, actor.getKey());
                    delete.setBytes(2, start);
                    if (end != null) {
                        delete.setBytes(3, end);
                    }
                    delete.executeUpdate();
                }
            }
        }
        if (batches.values().stream().anyMatch(batch -> !batch.puts().isEmpty())) {
            try (PreparedStatement upsert =
                    connection.prepareStatement(
                            "INSERT INTO "
                                    + kv
                                    + " (actor_id, key, value) VALUES (?, ?, ?) "
                                    + "ON CONFLICT (actor_id, key) DO UPDATE SET value = excluded.value")) {
                for (Map.Entry<String, KvBatch> actor : batches.entrySet()) {
                    for (Map.Entry<String, byte[]> put : actor.getValue().puts().entrySet()) {
                        upsert.setString(1, actor.getKey());
                        upsert.setBytes(2, utf8(put.getKey()));
                        upsert.setBytes(3, put.getValue());
                        upsert.addBatch();
                    }
                }
                upsert.executeBatch();
            }
        }
    }

    private static int update(Connection connection, String sql, String... params)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setString(i + 1, params[i]);
            }
            return statement.executeUpdate();
        }
    }

    private void bindKey(PreparedStatement statement, int index, String serializedKey)
            throws SQLException {
        switch (keyColumn) {
            case TEXT -> statement.setString(index, serializedKey);
            case BYTES -> statement.setBytes(index, utf8(serializedKey));
        }
    }

    private Optional<ActorRecord> single(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            return rows.next() ? Optional.of(actor(rows)) : Optional.empty();
        }
    }

    private ActorRecord actor(ResultSet row) throws SQLException {
        String key =
                switch (keyColumn) {
                    case TEXT -> row.getString(3);
                    case BYTES -> new String(row.getBytes(3), StandardCharsets.UTF_8);
                };
        return new ActorRecord(
                row.getString(1),
                row.getString(2),
                ActorKey.parse(key),
                row.getLong(4),
                row.getBytes(5),
                row.getBytes(6),
                row.getInt(7),
                row.getLong(8));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The smallest byte string above every string that starts with {@code prefix}, or null when
     * there is none (an empty prefix). UTF-8 never contains 0xFF, so incrementing the last byte
     * never carries.
     */
    private static byte @Nullable [] prefixEnd(byte[] prefix) {
        if (prefix.length == 0) {
            return null;
        }
        byte[] end = prefix.clone();
        end[end.length - 1]++;
        return end;
    }
}
