package dev.rivetkitjava.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The start-up both PostgreSQL stores share: in a schema of the user's choice, under an advisory
 * lock, create what is absent and keep the version of the tables in a one-row table, refusing
 * tables a newer rivetkit-java wrote.
 *
 * <p>Public only because the PostgreSQL actor store and session persist driver live in other
 * modules.
 */
public final class PostgresSchema {
    /**
     * Creates a store's tables if absent, in the schema's transaction; {@code statement} is open on
     * it.
     */
    @FunctionalInterface
    public interface Tables {
        void create(Statement statement) throws SQLException;
    }

    private PostgresSchema() {}

    /**
     * In {@code connection}'s open transaction: takes the advisory lock {@code lockKey} until the
     * transaction ends, creates the schema {@code schema} (a name {@link
     * PostgresPool#requireSchemaName} accepted) and its table {@code versionTable} if absent,
     * refuses a stored version above {@code version}, runs {@code tables}, and then stores {@code
     * version} if the stored one was older.
     *
     * @param store names the store and where it is in the refusal's message, e.g. {@code PostgreSQL
     *     actor store schema "public" at jdbc:postgresql://db/app}
     */
    public static void prepare(
            Connection connection,
            String lockKey,
            String schema,
            String versionTable,
            int version,
            String store,
            Tables tables)
            throws SQLException {
        String quoted = "\"" + schema + "\"";
        try (Statement statement = connection.createStatement()) {
            // Nodes starting together would race on CREATE ... IF NOT EXISTS; one at a time per
            // schema.
            try (PreparedStatement lock =
                    connection.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                lock.setString(1, lockKey);
                lock.execute();
            }
            // CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists
            // (public).
            boolean exists;
            try (PreparedStatement select =
                    connection.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
                select.setString(1, schema);
                try (ResultSet rows = select.executeQuery()) {
                    exists = rows.next();
                }
            }
            if (!exists) {
                statement.execute("CREATE SCHEMA IF NOT EXISTS " + quoted);
            }
            String versions = quoted + "." + versionTable;
            statement.execute(
                    "CREATE TABLE IF NOT EXISTS " + versions + " (version INTEGER NOT NULL)");
            int stored = 0;
            try (ResultSet rows =
                    statement.executeQuery("SELECT coalesce(max(version), 0) FROM " + versions)) {
                if (rows.next()) {
                    stored = rows.getInt(1);
                }
            }
            if (stored > version) {
                throw new IllegalStateException(
                        store
                                + " has schema version "
                                + stored
                                + ", but this rivetkit-java reads up to version "
                                + version
                                + "; use the newer rivetkit-java that wrote it");
            }
            tables.create(statement);
            if (stored < version) {
                statement.execute("DELETE FROM " + versions);
                statement.execute(
                        "INSERT INTO " + versions + " (version) VALUES (" + version + ")");
            }
        }
    }
}
