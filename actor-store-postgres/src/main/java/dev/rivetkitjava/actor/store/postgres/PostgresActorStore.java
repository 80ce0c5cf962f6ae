package dev.rivetkitjava.actor.store.postgres;

import com.zaxxer.hikari.HikariDataSource;
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
import dev.rivetkitjava.postgres.PostgresPool;
import dev.rivetkitjava.postgres.PostgresSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * An {@link ActorStore} in PostgreSQL, which several nodes (processes, machines) can share: each
 * write is committed when its method returns, and every state save and key-value write is fenced by
 * the actor's generation ({@code ... WHERE generation = ?}), so a stale owner (a node that was
 * paused, say by {@code SIGSTOP} or a long GC, while another node claimed its actor) writes nothing
 * over the new owner's data.
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
 * <p><b>Connections.</b> Given a URL, the store makes a HikariCP pool of its own, which {@link
 * #close()} closes; given a {@link DataSource} ({@link #open(DataSource)}), it uses it and leaves
 * it open, and the timeouts are the data source's business. The owned pool's timeouts, all settable
 * on the {@link Builder}, bound every call even when the database host freezes or vanishes: a call
 * fails with a {@link PostgresActorStoreException} instead of hanging.
 *
 * <ul>
 *   <li>{@code connectTimeout} (5 s): opening a TCP connection;
 *   <li>{@code socketTimeout} (30 s): waiting for any reply from the server, the bound on a frozen
 *       server;
 *   <li>{@code connectionTimeout} (5 s): waiting for a pooled connection (all busy, or none can be
 *       made);
 *   <li>{@code validationTimeout} (2 s): checking that an idle pooled connection still works;
 *   <li>{@code statementTimeout} (10 s): the server cancels a statement running longer, say one
 *       waiting for a lock;
 *   <li>{@code idleInTransactionTimeout} (5 s): the server ends a session that sits in an open
 *       transaction for that long, so a node frozen mid-transaction cannot keep an actor's row
 *       locked and block its new owner.
 * </ul>
 *
 * Options in the URL ({@code ?socketTimeout=60}) win over the builder's.
 *
 * <p><b>Schema.</b> Tables {@code actors}, {@code actor_schedules}, {@code actor_kv} and {@code
 * actor_store_version} in a schema of your choice ({@code public} by default), created if absent
 * when the store opens, under an advisory lock, so any number of nodes may start at once. Actor
 * keys and key-value keys are stored as UTF-8 {@code bytea}, so lists order by their bytes (code
 * point order) whatever the database's collation. Ids, names and action names are {@code text},
 * which PostgreSQL refuses to hold U+0000 in.
 *
 * <p><b>Concurrency.</b> Reads and single-statement writes run on their own; {@link #saveStates}
 * runs as one transaction (the runtime's batch of dirty actors, in one round of statements), as
 * does {@link #kvWrite}, which locks the actor's row while it writes: a {@link #claim} waits for a
 * key-value write under way and the write after the claim is refused. Transactions that PostgreSQL
 * aborts for a deadlock or a serialization failure are retried.
 */
public final class PostgresActorStore implements ActorStore {
    /**
     * Stored in {@code actor_store_version}; raise it with every schema change and migrate older
     * schemas.
     */
    static final int SCHEMA_VERSION = 1;

    private static final int ATTEMPTS = 3;

    private final DataSource dataSource;
    private final @Nullable HikariDataSource ownedPool;
    private final String where;
    private final String actors;
    private final String schedules;
    private final String kv;
    private final ActorTables tables;

    private PostgresActorStore(
            DataSource dataSource,
            @Nullable HikariDataSource ownedPool,
            String schema,
            String where) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.where = where;
        String prefix = "\"" + schema + "\".";
        this.actors = prefix + "actors";
        this.schedules = prefix + "actor_schedules";
        this.kv = prefix + "actor_kv";
        // Keys are bytea, so they compare as bytes whatever the collation; the fence locks the
        // actor's row.
        this.tables = new ActorTables(actors, schedules, kv, KeyColumn.BYTES, " FOR NO KEY UPDATE");
    }

    /**
     * Opens the store at {@code jdbcUrl} ({@code
     * jdbc:postgresql://host:port/db?user=…&password=…}), in schema {@code public}, on a pool of
     * its own with the default timeouts; creates the tables if absent.
     */
    public static PostgresActorStore open(String jdbcUrl) {
        return builder().jdbcUrl(jdbcUrl).build();
    }

    /**
     * Opens the store on the caller's {@code dataSource} (left open by {@link #close()}), in schema
     * {@code public}.
     */
    public static PostgresActorStore open(DataSource dataSource) {
        return builder().dataSource(dataSource).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Configures a store: a JDBC URL or a data source, the schema, and the owned pool's size and
     * timeouts.
     */
    public static final class Builder {
        private @Nullable DataSource dataSource;
        private @Nullable String jdbcUrl;
        private @Nullable String user;
        private @Nullable String password;
        private String schema = "public";
        private int poolSize = 8;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration socketTimeout = Duration.ofSeconds(30);
        private Duration connectionTimeout = Duration.ofSeconds(5);
        private Duration validationTimeout = Duration.ofSeconds(2);
        private Duration statementTimeout = Duration.ofSeconds(10);
        private Duration idleInTransactionTimeout = Duration.ofSeconds(5);

        private Builder() {}

        /**
         * Uses the application's data source, which the store does not close; the pool settings do
         * not apply.
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            return this;
        }

        /**
         * Makes a pool of its own for {@code jdbcUrl} ({@code jdbc:postgresql://…}), closed with
         * the store.
         */
        public Builder jdbcUrl(String jdbcUrl) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException(
                        "not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db): "
                                + jdbcUrl.split("\\?", 2)[0]);
            }
            this.jdbcUrl = jdbcUrl;
            return this;
        }

        /** The user and password of the owned pool, when the URL does not carry them. */
        public Builder credentials(String user, @Nullable String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = password;
            return this;
        }

        /** The schema holding the tables, created if absent: {@code public} by default. */
        public Builder schema(String schema) {
            this.schema = PostgresPool.requireSchemaName(schema);
            return this;
        }

        /**
         * The owned pool's connections: 8 by default. Every call holds one for a single short
         * transaction.
         */
        public Builder poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 256) {
                throw new IllegalArgumentException("poolSize must be 1..256, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /**
         * How long opening a TCP connection may take: 5 s by default; whole seconds (pgjdbc's
         * unit), at least 1.
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = atLeast(timeout, Duration.ofSeconds(1), "connectTimeout");
            return this;
        }

        /**
         * How long to wait for any reply of the server before the connection is given up: 30 s by
         * default; whole seconds, at least 1. Keep it above {@link #statementTimeout}, so the
         * server cancels a slow statement first.
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

        /**
         * How long checking an idle pooled connection may take: 2 s by default, at least 250 ms.
         */
        public Builder validationTimeout(Duration timeout) {
            this.validationTimeout = atLeast(timeout, Duration.ofMillis(250), "validationTimeout");
            return this;
        }

        /**
         * The server-side {@code statement_timeout} of the owned pool's sessions: 10 s by default.
         */
        public Builder statementTimeout(Duration timeout) {
            this.statementTimeout = atLeast(timeout, Duration.ofMillis(1), "statementTimeout");
            return this;
        }

        /**
         * The server-side {@code idle_in_transaction_session_timeout} of the owned pool's sessions:
         * 5 s by default.
         */
        public Builder idleInTransactionTimeout(Duration timeout) {
            this.idleInTransactionTimeout =
                    atLeast(timeout, Duration.ofMillis(1), "idleInTransactionTimeout");
            return this;
        }

        /** Connects and creates the schema and tables if absent. */
        public PostgresActorStore build() {
            if ((dataSource == null) == (jdbcUrl == null)) {
                throw new IllegalStateException(
                        "set exactly one of dataSource(...) and jdbcUrl(...)");
            }
            if (validationTimeout.compareTo(connectionTimeout) >= 0) {
                throw new IllegalStateException(
                        "validationTimeout ("
                                + validationTimeout
                                + ") must be shorter than connectionTimeout ("
                                + connectionTimeout
                                + ")");
            }
            String where = PostgresPool.describe(schema, jdbcUrl);
            HikariDataSource pool = null;
            if (jdbcUrl != null) {
                PostgresPool settings =
                        new PostgresPool(
                                "rivetkit-actor-store",
                                jdbcUrl,
                                user,
                                password,
                                poolSize,
                                connectTimeout,
                                connectTimeout.plus(socketTimeout),
                                socketTimeout,
                                connectionTimeout,
                                validationTimeout,
                                connectionTimeout,
                                statementTimeout,
                                idleInTransactionTimeout);
                try {
                    pool = settings.open();
                } catch (RuntimeException e) {
                    throw new PostgresActorStoreException(where, "connecting", e);
                }
            }
            PostgresActorStore store =
                    new PostgresActorStore(
                            pool != null ? pool : Objects.requireNonNull(dataSource),
                            pool,
                            schema,
                            where);
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
                throw new IllegalArgumentException(
                        name + " must be at least " + minimum + ", got " + timeout);
            }
            return timeout;
        }
    }

    private void prepare(String schema) {
        transaction(
                "creating the schema",
                statements(
                        connection -> {
                            PostgresSchema.prepare(
                                    connection,
                                    "rivetkit-actor-store:" + schema,
                                    schema,
                                    "actor_store_version",
                                    SCHEMA_VERSION,
                                    "PostgreSQL actor store " + where,
                                    statement -> {
                                        // Ids compare as bytes (collation C), as in the SQLite
                                        // store,
                                        // whatever the database's locale.
                                        statement.execute(
                                                "CREATE TABLE IF NOT EXISTS "
                                                        + actors
                                                        + """
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
                                        statement.execute(
                                                "CREATE TABLE IF NOT EXISTS "
                                                        + schedules
                                                        + " (\n"
                                                        + "    actor_id TEXT COLLATE \"C\" NOT NULL REFERENCES "
                                                        + actors
                                                        + " (id) ON DELETE CASCADE,\n"
                                                        + """
                            id       TEXT COLLATE "C" NOT NULL,
                            fire_at  BIGINT NOT NULL,
                            action   TEXT   NOT NULL,
                            args     BYTEA,
                            PRIMARY KEY (actor_id, id)
                        )""");
                                        statement.execute(
                                                "CREATE INDEX IF NOT EXISTS actor_schedules_fire_at ON "
                                                        + schedules
                                                        + " (fire_at)");
                                        statement.execute(
                                                "CREATE TABLE IF NOT EXISTS "
                                                        + kv
                                                        + " (\n"
                                                        + "    actor_id TEXT COLLATE \"C\" NOT NULL REFERENCES "
                                                        + actors
                                                        + " (id) ON DELETE CASCADE,\n"
                                                        + """
                            key      BYTEA NOT NULL,
                            value    BYTEA NOT NULL,
                            PRIMARY KEY (actor_id, key)
                        )""");
                                    });
                        }));
    }

    @Override
    public ActorRecord insertIfAbsent(NewActor actor) {
        return autocommit(
                "insertIfAbsent",
                connection -> {
                    // Each statement sees what committed before it: the SELECT finds the row a
                    // concurrent INSERT won with.
                    // Between them the winner may be deleted, and then this caller inserts after
                    // all.
                    while (true) {
                        Optional<ActorRecord> inserted = tables.insert(connection, actor);
                        if (inserted.isPresent()) {
                            return inserted.get();
                        }
                        Optional<ActorRecord> existing =
                                tables.findByKey(connection, actor.name(), actor.key());
                        if (existing.isPresent()) {
                            return existing.get();
                        }
                    }
                });
    }

    @Override
    public Optional<ActorRecord> findById(String id) {
        return read("findById", connection -> tables.findById(connection, id));
    }

    @Override
    public Optional<ActorRecord> findByKey(String name, ActorKey key) {
        return read("findByKey", connection -> tables.findByKey(connection, name, key));
    }

    @Override
    public List<ActorRecord> list(String name, @Nullable ActorKey afterKey, int limit) {
        return read(
                "list", connection -> tables.list(connection, name, afterKey, Math.max(0, limit)));
    }

    @Override
    public Optional<ActorRecord> claim(String id) {
        // One statement: the row lock makes concurrent claims (from any node) take turns, each its
        // own generation.
        return autocommit("claim", connection -> tables.claim(connection, id));
    }

    @Override
    public Set<String> saveStates(List<StateWrite> writes) {
        if (writes.isEmpty()) {
            return Set.of();
        }
        // Rows are locked in id order, so two nodes' batches over the same actors cannot deadlock
        // (the sort is stable: a batch with two saves of one actor keeps them in order).
        List<StateWrite> ordered = new ArrayList<>(writes);
        ordered.sort(Comparator.comparing(StateWrite::actorId));
        return transaction("saveStates", connection -> tables.saveStates(connection, ordered));
    }

    @Override
    public void delete(String id) {
        autocommit(
                "delete",
                statements(
                        connection -> {
                            tables.delete(connection, id);
                        }));
    }

    @Override
    public void putSchedule(ScheduledEvent event) {
        autocommit(
                "putSchedule",
                statements(
                        connection -> {
                            try {
                                tables.putSchedule(connection, event);
                            } catch (SQLException e) {
                                // The actor was deleted by another session between the guard
                                // and the insert: ignored as well.
                                if (!"23503".equals(e.getSQLState())) {
                                    throw e;
                                }
                            }
                        }));
    }

    @Override
    public boolean deleteSchedule(String actorId, String eventId) {
        return autocommit(
                "deleteSchedule",
                connection -> tables.deleteSchedule(connection, actorId, eventId));
    }

    @Override
    public List<ScheduledEvent> schedules(String actorId) {
        return read("schedules", connection -> tables.schedules(connection, actorId));
    }

    @Override
    public List<ActorAlarm> alarms() {
        return read("alarms", tables::alarms);
    }

    @Override
    public Optional<byte[]> kvGet(String actorId, String key) {
        return read("kvGet", connection -> tables.kvGet(connection, actorId, key));
    }

    @Override
    public List<KvEntry> kvList(
            String actorId, String prefix, @Nullable String afterKey, int limit) {
        return read(
                "kvList",
                connection -> tables.kvList(connection, actorId, prefix, afterKey, limit));
    }

    @Override
    public boolean kvWrite(String actorId, long generation, KvBatch batch) {
        // The fence locks the actor's row until commit (FOR NO KEY UPDATE): a claim waits for this
        // write, and this write, if it comes after a claim, finds the new generation and writes
        // nothing. Writes to one actor take turns.
        return transaction(
                "kvWrite", connection -> tables.kvWrite(connection, actorId, generation, batch));
    }

    /**
     * Closes the pool the store made (not a data source it was given); later calls fail. Closing
     * twice is harmless.
     */
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

    /**
     * {@code work} as an {@link SqlWork}: its result is null, the only {@link Void}, which nothing
     * reads.
     */
    // NullAway (outside its JSpecify mode) cannot be told SqlWork<@Nullable Void>.
    @SuppressWarnings("NullAway")
    private static SqlWork<Void> statements(Statements work) {
        return connection -> {
            work.apply(connection);
            return null;
        };
    }

    /** Work on a connection that returns nothing. */
    @FunctionalInterface
    private interface Statements {
        void apply(Connection connection) throws SQLException;
    }

    /** A read, tried once more on another connection if the first turned out to be stale. */
    private <T> T read(String operation, SqlWork<T> work) {
        return PostgresPool.retryOnStaleConnection(() -> autocommit(operation, work));
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
     * Runs {@code work} in one transaction, again (up to {@value #ATTEMPTS} times) when PostgreSQL
     * aborted it for a deadlock or a serialization failure, which undo everything and so are safe
     * to retry.
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
}
