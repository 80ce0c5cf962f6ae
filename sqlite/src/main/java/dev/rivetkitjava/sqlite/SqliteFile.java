package dev.rivetkitjava.sqlite;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SQLite file in WAL mode with {@code synchronous=NORMAL}: a write survives a process crash
 * once it returns; a power loss may undo the last few commits, never corrupt the file. A caller's
 * pragmas may raise it to {@code FULL} (the actor store does), which survives a power loss too.
 *
 * <p>One connection serves all calls, one at a time. Transactions start with {@code BEGIN
 * IMMEDIATE}, so other processes opening the same file wait on {@code busy_timeout} instead of
 * interleaving.
 */
public final class SqliteFile implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteFile.class);
    private static final int BUSY_TIMEOUT_MILLIS = 5_000;

    private final String name;
    private final Path path;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();

    /** Statements kept for the connection's lifetime, by SQL; under the lock. */
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    private SqliteFile(String name, Path path, Connection connection) {
        this.name = name;
        this.path = path;
        this.connection = connection;
    }

    /**
     * Opens {@code file}, creating it, its parent directories and the schema as needed.
     *
     * @param name what the file holds, such as {@code "actor store"}; it names the file in messages
     *     and logs
     * @param schemaVersion stored in {@code PRAGMA user_version}; a file with a higher one is
     *     refused
     * @param schema DDL that only adds what is missing ({@code IF NOT EXISTS}), run in one
     *     transaction
     * @param pragmas settings applied after the journal ones, such as {@code "foreign_keys = ON"}
     */
    public static SqliteFile open(
            Path file, String name, int schemaVersion, List<String> schema, List<String> pragmas) {
        Path path = file.toAbsolutePath();
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new SqliteFileException(name, path, "creating its directory", e);
        }
        Connection connection;
        try {
            connection = DriverManager.getConnection("jdbc:sqlite:" + path);
        } catch (SQLException e) {
            throw new SqliteFileException(name, path, "opening", e);
        }
        SqliteFile sqlite = new SqliteFile(name, path, connection);
        try {
            sqlite.prepare(schemaVersion, schema, pragmas);
        } catch (RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        log.info("Opened {} {}", name, path);
        return sqlite;
    }

    private void prepare(int schemaVersion, List<String> schema, List<String> pragmas) {
        locked(
                "opening",
                statements(
                        connection -> {
                            try (Statement statement = connection.createStatement()) {
                                statement.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
                                String journalMode =
                                        queryString(statement, "PRAGMA journal_mode = WAL");
                                if (!journalMode.equalsIgnoreCase("wal")) {
                                    log.warn(
                                            "SQLite {} {} runs in journal mode {}: the file system does not support WAL",
                                            name,
                                            path,
                                            journalMode);
                                }
                                statement.execute("PRAGMA synchronous = NORMAL");
                                for (String pragma : pragmas) {
                                    statement.execute("PRAGMA " + pragma);
                                }
                            }
                        }));
        transaction(
                "creating the schema",
                statements(
                        connection -> {
                            try (Statement statement = connection.createStatement()) {
                                int version =
                                        Integer.parseInt(
                                                queryString(statement, "PRAGMA user_version"));
                                if (version > schemaVersion) {
                                    throw new IllegalStateException(
                                            "SQLite "
                                                    + name
                                                    + " "
                                                    + path
                                                    + " has schema version "
                                                    + version
                                                    + ", but this rivetkit-java reads up to version "
                                                    + schemaVersion
                                                    + "; open it with the newer rivetkit-java that wrote it");
                                }
                                for (String ddl : schema) {
                                    statement.execute(ddl);
                                }
                                statement.execute("PRAGMA user_version = " + schemaVersion);
                            }
                        }));
    }

    /** The absolute path of the file. */
    public Path path() {
        return path;
    }

    /**
     * Runs {@code work} with the connection to itself: reads, or a single write statement, which is
     * atomic alone. An {@link SQLException} becomes a {@link SqliteFileException} naming {@code
     * operation}.
     */
    public <T> T locked(String operation, SqlWork<T> work) {
        lock.lock();
        try {
            return work.run(connection);
        } catch (SQLException e) {
            throw new SqliteFileException(name, path, operation, e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} in one write transaction, rolled back if it throws. */
    public <T> T transaction(String operation, SqlWork<T> work) {
        return locked(
                operation,
                connection -> {
                    // IMMEDIATE takes the write lock up front: a deferred transaction that must
                    // upgrade later can fail with
                    // SQLITE_BUSY without waiting for busy_timeout.
                    prepared("BEGIN IMMEDIATE").execute();
                    try {
                        T result = work.run(connection);
                        prepared("COMMIT").execute();
                        return result;
                    } catch (Throwable t) {
                        try {
                            prepared("ROLLBACK").execute();
                        } catch (SQLException rollbackFailure) {
                            t.addSuppressed(rollbackFailure);
                        }
                        throw t;
                    }
                });
    }

    /**
     * The statement for {@code sql}, prepared once and kept until the file closes (preparing costs
     * more than a small write): for work run by {@link #locked} or {@link #transaction}, which must
     * not close it.
     */
    public PreparedStatement prepared(String sql) throws SQLException {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException(
                    "a kept statement of SQLite " + name + " is used outside its lock");
        }
        PreparedStatement statement = prepared.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            prepared.put(sql, statement);
        }
        return statement;
    }

    /**
     * Closes the connection, checkpointing the WAL into the file; later calls fail. Closing twice
     * is harmless.
     */
    @Override
    public void close() {
        locked(
                "close",
                statements(
                        connection -> {
                            if (!connection.isClosed()) {
                                for (PreparedStatement statement : prepared.values()) {
                                    statement.close();
                                }
                                prepared.clear();
                                connection.close();
                                log.info("Closed {} {}", name, path);
                            }
                        }));
    }

    private static String queryString(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    /**
     * {@code work}, which returns nothing, as an {@link SqlWork} for {@link #locked} or {@link
     * #transaction}: its result is null, the only {@link Void}, which nothing reads.
     */
    // NullAway (outside its JSpecify mode) cannot be told SqlWork<@Nullable Void>.
    @SuppressWarnings("NullAway")
    public static SqlWork<Void> statements(Statements work) {
        return connection -> {
            work.run(connection);
            return null;
        };
    }

    /** Work on the connection that returns nothing. */
    @FunctionalInterface
    public interface Statements {
        void run(Connection connection) throws SQLException;
    }

    /** Work on the file's connection, run while holding its lock. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
