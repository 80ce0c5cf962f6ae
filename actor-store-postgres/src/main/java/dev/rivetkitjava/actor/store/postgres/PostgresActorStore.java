package dev.rivetkitjava.actor.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.store.ActorAlarm;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.KvBatch;
import dev.rivetkitjava.actor.store.KvEntry;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.ScheduledEvent;
import dev.rivetkitjava.actor.store.StateWrite;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * An {@link ActorStore} in PostgreSQL, which several nodes (processes, machines) can share: each write is committed
 * when its method returns, and every state save and key-value write is fenced by the actor's generation
 * ({@code ... WHERE generation = ?}), so a stale owner (a node that was paused, say by {@code SIGSTOP} or a long GC,
 * while another node claimed its actor) writes nothing over the new owner's data.
 *
 * <pre>{@code
 * try (Registry registry = Registry.builder().use(COUNTER)
 *         .store(PostgresActorStore.open("jdbc:postgresql://db:5432/app?user=rivet&password=secret"))
 *         .build()) { ... }
 * }</pre>
 *
 * <p>or, to choose the schema, the pool size and the timeouts:
 *
 * <pre>{@code
 * PostgresActorStore store = PostgresActorStore.builder()
 *         .jdbcUrl("jdbc:postgresql://db:5432/app").credentials("rivet", secret)
 *         .schema("rivet").poolSize(16).socketTimeout(Duration.ofSeconds(20))
 *         .build();
 * }</pre>
 *
 * <p><b>Connections.</b> Given a URL, the store makes a HikariCP pool of its own, which {@link #close()} closes; given
 * a {@link DataSource} ({@link #open(DataSource)}), it uses it and leaves it open, and the timeouts are the data
 * source's business. The owned pool's timeouts, all settable on the {@link Builder}, bound every call even when the
 * database host freezes or vanishes: a call fails with a {@link PostgresActorStoreException} instead of hanging.
 * <ul>
 *   <li>{@code connectTimeout} (5 s): opening a TCP connection;
 *   <li>{@code socketTimeout} (30 s): waiting for any reply from the server, the bound on a frozen server;
 *   <li>{@code connectionTimeout} (5 s): waiting for a pooled connection (all busy, or none can be made);
 *   <li>{@code validationTimeout} (2 s): checking that an idle pooled connection still works;
 *   <li>{@code statementTimeout} (10 s): the server cancels a statement running longer, say one waiting for a lock;
 *   <li>{@code idleInTransactionTimeout} (5 s): the server ends a session that sits in an open transaction for that
 *       long, so a node frozen mid-transaction cannot keep an actor's row locked and block its new owner.
 * </ul>
 * Options in the URL ({@code ?socketTimeout=60}) win over the builder's.
 *
 * <p><b>Schema.</b> Tables {@code actors}, {@code actor_schedules}, {@code actor_kv} and {@code actor_store_version}
 * in a schema of your choice ({@code public} by default), created if absent when the store opens, under an advisory
 * lock, so any number of nodes may start at once. Actor keys and key-value keys are stored as UTF-8 {@code bytea}, so
 * lists order by their bytes (code point order) whatever the database's collation. Ids, names and action names are
 * {@code text}, which PostgreSQL refuses to hold U+0000 in.
 *
 * <p><b>Concurrency.</b> Reads and single-statement writes run on their own; {@link #saveStates} runs as one
 * transaction (the runtime's batch of dirty actors, in one round of statements), as does {@link #kvWrite}, which
 * locks the actor's row while it writes: a {@link #claim} waits for a key-value write under way and the write after
 * the claim is refused. Transactions that PostgreSQL aborts for a deadlock or a serialization failure are retried.
 */
public final class PostgresActorStore implements ActorStore {
    /** Stored in {@code actor_store_version}; raise it with every schema change and migrate older schemas. */
    static final int SCHEMA_VERSION = 1;
    private static final Pattern SCHEMA_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,62}$");
    private static final String ACTOR_COLUMNS = "id, name, key, created_at, input, state, state_version, generation";
    private static final int ATTEMPTS = 3;

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final String where;
    private final String actors;
    private final String schedules;
    private final String kv;

    private PostgresActorStore(DataSource dataSource, HikariDataSource ownedPool, String schema, String where) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.where = where;
        String prefix = "\"" + schema + "\".";
        this.actors = prefix + "actors";
        this.schedules = prefix + "actor_schedules";
        this.kv = prefix + "actor_kv";
    }

    /**
     * Opens the store at {@code jdbcUrl} ({@code jdbc:postgresql://host:port/db?user=…&password=…}), in schema
     * {@code public}, on a pool of its own with the default timeouts; creates the tables if absent.
     */
    public static PostgresActorStore open(String jdbcUrl) {
        return builder().jdbcUrl(jdbcUrl).build();
    }

    /** Opens the store on the caller's {@code dataSource} (left open by {@link #close()}), in schema {@code public}. */
    public static PostgresActorStore open(DataSource dataSource) {
        return builder().dataSource(dataSource).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a store: a JDBC URL or a data source, the schema, and the owned pool's size and timeouts. */
    public static final class Builder {
        private DataSource dataSource;
        private String jdbcUrl;
        private String user;
        private String password;
        private String schema = "public";
        private int poolSize = 8;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration socketTimeout = Duration.ofSeconds(30);
        private Duration connectionTimeout = Duration.ofSeconds(5);
        private Duration validationTimeout = Duration.ofSeconds(2);
        private Duration statementTimeout = Duration.ofSeconds(10);
        private Duration idleInTransactionTimeout = Duration.ofSeconds(5);

        private Builder() {
        }

        /** Uses the application's data source, which the store does not close; the pool settings do not apply. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /** Makes a pool of its own for {@code jdbcUrl} ({@code jdbc:postgresql://…}), closed with the store. */
        public Builder jdbcUrl(String jdbcUrl) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db): "
                        + jdbcUrl.split("\\?", 2)[0]);
            }
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /** The user and password of the owned pool, when the URL does not carry them. */
        public Builder credentials(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = password;
            return this;
        }

        /** The schema holding the tables, created if absent: {@code public} by default. */
        public Builder schema(String schema) {
            if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
                throw new IllegalArgumentException("invalid schema name: '" + schema + "' (letters, digits and _, "
                        + "not starting with a digit, at most 63 characters)");
            }
            this.schema = schema;
            return this;
        }

        /** The owned pool's connections: 8 by default. Every call holds one for a single short transaction. */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 256) {
                throw new IllegalArgumentException("poolSize must be 1..256, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /** How long opening a TCP connection may take: 5 s by default; whole seconds (pgjdbc's unit), at least 1. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = atLeast(timeout, Duration.ofSeconds(1), "connectTimeout");
            return this;
        }

        /**
         * How long to wait for any reply of the server before the connection is given up: 30 s by default; whole
         * seconds, at least 1. Keep it above {@link #statementTimeout}, so the server cancels a slow statement first.
         */
        public Builder socketTimeout(Duration timeout) {
            this.socketTimeout = atLeast(timeout, Duration.ofSeconds(1), "socketTimeout");
            return this;
        }

        /** How long a call may wait for a pooled connection: 5 s by default, at least 250 ms. */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = atLeast(timeout, Duration.ofMillis(250), "connectionTimeout");
            return this;
        }

        /** How long checking an idle pooled connection may take: 2 s by default, at least 250 ms. */
        public Builder validationTimeout(Duration timeout) {
            this.validationTimeout = atLeast(timeout, Duration.ofMillis(250), "validationTimeout");
            return this;
        }

        /** The server-side {@code statement_timeout} of the owned pool's sessions: 10 s by default. */
        public Builder statementTimeout(Duration timeout) {
            this.statementTimeout = atLeast(timeout, Duration.ofMillis(1), "statementTimeout");
            return this;
        }

        /** The server-side {@code idle_in_transaction_session_timeout} of the owned pool's sessions: 5 s by default. */
        public Builder idleInTransactionTimeout(Duration timeout) {
            this.idleInTransactionTimeout = atLeast(timeout, Duration.ofMillis(1), "idleInTransactionTimeout");
            return this;
        }

        /** Connects and creates the schema and tables if absent. */
        public PostgresActorStore build() {
            if ((dataSource == null) == (jdbcUrl == null)) {
                throw new IllegalStateException("set exactly one of dataSource(...) and jdbcUrl(...)");
            }
            if (validationTimeout.compareTo(connectionTimeout) >= 0) {
                throw new IllegalStateException("validationTimeout (" + validationTimeout
                        + ") must be shorter than connectionTimeout (" + connectionTimeout + ")");
            }
            // The URL's parameters may hold a password: messages name the server and database only.
            String where = "schema \"" + schema + "\"" + (jdbcUrl == null ? "" : " at " + jdbcUrl.split("\\?", 2)[0]);
            HikariDataSource pool = null;
            if (jdbcUrl != null) {
                HikariConfig config = new HikariConfig();
                config.setJdbcUrl(jdbcUrl);
                if (user != null) {
                    config.setUsername(user);
                    config.setPassword(password);
                }
                config.setPoolName("rivetkit-actor-store");
                config.setMaximumPoolSize(poolSize);
                config.setMinimumIdle(Math.min(2, poolSize));
                config.setConnectionTimeout(connectionTimeout.toMillis());
                config.setValidationTimeout(validationTimeout.toMillis());
                config.setInitializationFailTimeout(connectionTimeout.toMillis());
                // Driver properties; parameters in the URL win over them.
                config.addDataSourceProperty("connectTimeout", seconds(connectTimeout));
                config.addDataSourceProperty("socketTimeout", seconds(socketTimeout));
                config.addDataSourceProperty("loginTimeout", seconds(connectTimeout.plus(socketTimeout)));
                config.addDataSourceProperty("tcpKeepAlive", "true");
                config.addDataSourceProperty("ApplicationName", "rivetkit-actor-store");
                config.addDataSourceProperty("options", "-c statement_timeout=" + statementTimeout.toMillis()
                        + " -c idle_in_transaction_session_timeout=" + idleInTransactionTimeout.toMillis());
                try {
                    pool = new HikariDataSource(config);
                } catch (RuntimeException e) {
                    throw new PostgresActorStoreException(where, "connecting", e);
                }
            }
            PostgresActorStore store = new PostgresActorStore(pool != null ? pool : dataSource, pool, schema, where);
            try {
                store.prepare(schema);
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            return store;
        }

        private static Duration atLeast(Duration timeout, Duration minimum, String name) {
            Objects.requireNonNull(timeout, name);
            if (timeout.compareTo(minimum) < 0) {
                throw new IllegalArgumentException(name + " must be at least " + minimum + ", got " + timeout);
            }
            return timeout;
        }

        /** pgjdbc's timeouts are whole seconds: round up, so a timeout is never shorter than asked. */
        private static String seconds(Duration timeout) {
            return Long.toString(timeout.plusMillis(999).toSeconds());
        }
    }

    private void prepare(String schema) {
        String quoted = "\"" + schema + "\"";
        transaction("creating the schema", connection -> {
            try (Statement statement = connection.createStatement()) {
                // Nodes starting together would race on CREATE ... IF NOT EXISTS; one at a time per schema.
                statement.execute("SELECT pg_advisory_xact_lock(hashtext('rivetkit-actor-store:" + schema + "'))");
                // CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists (public).
                boolean exists;
                try (PreparedStatement select = connection.prepareStatement(
                        "SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
                    select.setString(1, schema);
                    try (ResultSet rows = select.executeQuery()) {
                        exists = rows.next();
                    }
                }
                if (!exists) {
                    statement.execute("CREATE SCHEMA IF NOT EXISTS " + quoted);
                }
                statement.execute("CREATE TABLE IF NOT EXISTS " + quoted
                        + ".actor_store_version (version INTEGER NOT NULL)");
                int version = 0;
                try (ResultSet rows = statement.executeQuery(
                        "SELECT coalesce(max(version), 0) FROM " + quoted + ".actor_store_version")) {
                    if (rows.next()) {
                        version = rows.getInt(1);
                    }
                }
                if (version > SCHEMA_VERSION) {
                    throw new IllegalStateException("PostgreSQL actor store " + where + " has schema version "
                            + version + ", but this rivetkit-java reads up to version " + SCHEMA_VERSION
                            + "; use the newer rivetkit-java that wrote it");
                }
                // Ids compare as bytes (collation C), as in the SQLite store, whatever the database's locale.
                statement.execute("CREATE TABLE IF NOT EXISTS " + actors + """
                         (
                            id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                            name          TEXT COLLATE "C" NOT NULL,
                            key           BYTEA   NOT NULL,
                            created_at    BIGINT  NOT NULL,
                            input         BYTEA,
                            state         BYTEA,
                            state_version INTEGER NOT NULL,
                            generation    BIGINT  NOT NULL,
                            UNIQUE (name, key)
                        )""");
                statement.execute("CREATE TABLE IF NOT EXISTS " + schedules + " (\n"
                        + "    actor_id TEXT COLLATE \"C\" NOT NULL REFERENCES " + actors + " (id) ON DELETE CASCADE,\n"
                        + """
                            id       TEXT COLLATE "C" NOT NULL,
                            fire_at  BIGINT NOT NULL,
                            action   TEXT   NOT NULL,
                            args     BYTEA,
                            PRIMARY KEY (actor_id, id)
                        )""");
                statement.execute("CREATE INDEX IF NOT EXISTS actor_schedules_fire_at ON " + schedules + " (fire_at)");
                statement.execute("CREATE TABLE IF NOT EXISTS " + kv + " (\n"
                        + "    actor_id TEXT COLLATE \"C\" NOT NULL REFERENCES " + actors + " (id) ON DELETE CASCADE,\n"
                        + """
                            key      BYTEA NOT NULL,
                            value    BYTEA NOT NULL,
                            PRIMARY KEY (actor_id, key)
                        )""");
                if (version < SCHEMA_VERSION) {
                    statement.execute("DELETE FROM " + quoted + ".actor_store_version");
                    statement.execute("INSERT INTO " + quoted + ".actor_store_version (version) VALUES ("
                            + SCHEMA_VERSION + ")");
                }
                return null;
            }
        });
    }

    @Override
    public ActorRecord insertIfAbsent(NewActor actor) {
        byte[] key = utf8(actor.key().serialize());
        return autocommit("insertIfAbsent", connection -> {
            // Each statement sees what committed before it: the SELECT finds the row a concurrent INSERT won with.
            // Between them the winner may be deleted, and then this caller inserts after all.
            while (true) {
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + actors + " ("
                        + ACTOR_COLUMNS + ") VALUES (?, ?, ?, ?, ?, NULL, 0, 0) ON CONFLICT (name, key) DO NOTHING "
                        + "RETURNING " + ACTOR_COLUMNS)) {
                    insert.setString(1, actor.id());
                    insert.setString(2, actor.name());
                    insert.setBytes(3, key);
                    insert.setLong(4, actor.createdAtMillis());
                    insert.setBytes(5, actor.input());
                    Optional<ActorRecord> inserted = single(insert);
                    if (inserted.isPresent()) {
                        return inserted.get();
                    }
                }
                Optional<ActorRecord> existing = selectByKey(connection, actor.name(), key);
                if (existing.isPresent()) {
                    return existing.get();
                }
            }
        });
    }

    @Override
    public Optional<ActorRecord> findById(String id) {
        return autocommit("findById", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + ACTOR_COLUMNS + " FROM " + actors + " WHERE id = ?")) {
                select.setString(1, id);
                return single(select);
            }
        });
    }

    @Override
    public Optional<ActorRecord> findByKey(String name, ActorKey key) {
        byte[] serialized = utf8(key.serialize());
        return autocommit("findByKey", connection -> selectByKey(connection, name, serialized));
    }

    @Override
    public List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        // No serialized key is empty, so the empty byte string starts before the first one; bytea compares as bytes.
        byte[] after = afterKey == null ? new byte[0] : utf8(afterKey.serialize());
        return autocommit("list", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + ACTOR_COLUMNS + " FROM " + actors
                    + " WHERE name = ? AND key > ? ORDER BY key LIMIT ?")) {
                select.setString(1, name);
                select.setBytes(2, after);
                select.setInt(3, Math.max(0, limit));
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
        // One statement: the row lock makes concurrent claims (from any node) take turns, each its own generation.
        return autocommit("claim", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE " + actors
                    + " SET generation = generation + 1 WHERE id = ? RETURNING " + ACTOR_COLUMNS)) {
                update.setString(1, id);
                return single(update);
            }
        });
    }

    @Override
    public Set<String> saveStates(List<StateWrite> writes) {
        if (writes.isEmpty()) {
            return Set.of();
        }
        // Rows are locked in id order (a stable sort keeps repeated saves of one actor in order), so two nodes'
        // batches over the same actors cannot deadlock.
        List<StateWrite> ordered = new ArrayList<>(writes);
        ordered.sort(Comparator.comparing(StateWrite::actorId));
        return transaction("saveStates", connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE " + actors
                    + " SET state = ?, state_version = ? WHERE id = ? AND generation = ?")) {
                for (StateWrite write : ordered) {
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
                        skipped.add(ordered.get(i).actorId());
                    }
                }
                writeKvPuts(connection, ordered, skipped);
                return skipped;
            }
        });
    }

    /** The writes' key-value entries, in the saves' transaction, for the writes that were applied. */
    private void writeKvPuts(Connection connection, List<StateWrite> writes, Set<String> skipped) throws SQLException {
        if (writes.stream().allMatch(write -> write.kvPuts().isEmpty())) {
            return;
        }
        try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + kv
                + " (actor_id, key, value) VALUES (?, ?, ?) "
                + "ON CONFLICT (actor_id, key) DO UPDATE SET value = EXCLUDED.value")) {
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

    @Override
    public void delete(String id) {
        // Schedules and kv entries go with the actor through ON DELETE CASCADE.
        update("delete", "DELETE FROM " + actors + " WHERE id = ?", id);
    }

    @Override
    public void putSchedule(ScheduledEvent event) {
        // The EXISTS guard ignores events of deleted actors instead of failing on the foreign key.
        autocommit("putSchedule", connection -> {
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + schedules
                    + " (actor_id, id, fire_at, action, args) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM "
                    + actors + " WHERE id = ?) ON CONFLICT (actor_id, id) DO UPDATE "
                    + "SET fire_at = EXCLUDED.fire_at, action = EXCLUDED.action, args = EXCLUDED.args")) {
                upsert.setString(1, event.actorId());
                upsert.setString(2, event.id());
                upsert.setLong(3, event.fireAtMillis());
                upsert.setString(4, event.action());
                upsert.setBytes(5, event.args());
                upsert.setString(6, event.actorId());
                return upsert.executeUpdate();
            } catch (SQLException e) {
                // The actor was deleted by another session between the guard and the insert: ignored as well.
                if ("23503".equals(e.getSQLState())) {
                    return 0;
                }
                throw e;
            }
        });
    }

    @Override
    public boolean deleteSchedule(String actorId, String eventId) {
        return update("deleteSchedule", "DELETE FROM " + schedules + " WHERE actor_id = ? AND id = ?",
                actorId, eventId) > 0;
    }

    @Override
    public List<ScheduledEvent> schedules(String actorId) {
        return autocommit("schedules", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, fire_at, action, args FROM "
                    + schedules + " WHERE actor_id = ? ORDER BY fire_at, id")) {
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
        return autocommit("alarms", connection -> {
            try (Statement select = connection.createStatement();
                 ResultSet rows = select.executeQuery("SELECT actor_id, min(fire_at) AS at FROM " + schedules
                         + " GROUP BY actor_id ORDER BY at, actor_id")) {
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
        return autocommit("kvGet", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT value FROM " + kv + " WHERE actor_id = ? AND key = ?")) {
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
        return autocommit("kvList", connection -> {
            // Keys are bytea, compared as bytes: a prefix is the range [prefix, prefixEnd).
            try (PreparedStatement select = connection.prepareStatement("SELECT key, value FROM " + kv
                    + " WHERE actor_id = ?" + (afterWithin ? " AND key > ?" : " AND key >= ?")
                    + (end == null ? "" : " AND key < ?") + " ORDER BY key LIMIT ?")) {
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
        return transaction("kvWrite", connection -> {
            // The fence locks the actor's row until commit: a claim waits for this write, and this write, if it comes
            // after a claim, finds the new generation and writes nothing. Writes to one actor take turns.
            try (PreparedStatement fence = connection.prepareStatement(
                    "SELECT 1 FROM " + actors + " WHERE id = ? AND generation = ? FOR NO KEY UPDATE")) {
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
                        "DELETE FROM " + kv + " WHERE actor_id = ? AND key = ?")) {
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
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + kv
                        + " WHERE actor_id = ? AND key >= ?" + (end == null ? "" : " AND key < ?"))) {
                    delete.setString(1, actorId);
                    delete.setBytes(2, start);
                    if (end != null) {
                        delete.setBytes(3, end);
                    }
                    delete.executeUpdate();
                }
            }
            if (!batch.puts().isEmpty()) {
                try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + kv
                        + " (actor_id, key, value) VALUES (?, ?, ?) "
                        + "ON CONFLICT (actor_id, key) DO UPDATE SET value = EXCLUDED.value")) {
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

    /** Closes the pool the store made (not a data source it was given); later calls fail. Closing twice is harmless. */
    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    @Override
    public String toString() {
        return "PostgresActorStore[" + where + "]";
    }

    // helpers

    @FunctionalInterface
    private interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Runs {@code work} on a connection in auto-commit mode: each statement commits on its own. */
    private <T> T autocommit(String operation, SqlWork<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            return work.apply(connection);
        } catch (SQLException e) {
            throw new PostgresActorStoreException(where, operation, e);
        }
    }

    /**
     * Runs {@code work} in one transaction, again (up to {@value #ATTEMPTS} times) when PostgreSQL aborted it for a
     * deadlock or a serialization failure, which undo everything and so are safe to retry.
     */
    private <T> T transaction(String operation, SqlWork<T> work) {
        for (int attempt = 1; ; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(false);
                try {
                    T result = work.apply(connection);
                    connection.commit();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    try {
                        connection.rollback();
                    } catch (SQLException rollback) {
                        e.addSuppressed(rollback);
                    }
                    throw e;
                } finally {
                    try {
                        connection.setAutoCommit(true);
                    } catch (SQLException ignored) {
                        // A broken connection: the pool discards it.
                    }
                }
            } catch (SQLException e) {
                String state = e.getSQLState();
                if (attempt < ATTEMPTS && ("40001".equals(state) || "40P01".equals(state))) {
                    continue;
                }
                throw new PostgresActorStoreException(where, operation, e);
            }
        }
    }

    private int update(String operation, String sql, String... params) {
        return autocommit(operation, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    statement.setString(i + 1, params[i]);
                }
                return statement.executeUpdate();
            }
        });
    }

    private Optional<ActorRecord> selectByKey(Connection connection, String name, byte[] key) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT " + ACTOR_COLUMNS + " FROM " + actors + " WHERE name = ? AND key = ?")) {
            select.setString(1, name);
            select.setBytes(2, key);
            return single(select);
        }
    }

    private static Optional<ActorRecord> single(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            return rows.next() ? Optional.of(actor(rows)) : Optional.empty();
        }
    }

    private static ActorRecord actor(ResultSet row) throws SQLException {
        return new ActorRecord(row.getString(1), row.getString(2),
                ActorKey.parse(new String(row.getBytes(3), StandardCharsets.UTF_8)), row.getLong(4),
                row.getBytes(5), row.getBytes(6), row.getInt(7), row.getLong(8));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
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
}
