package dev.rivetkitjava.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Opens a HikariCP pool of pgjdbc connections on which no call waits unbounded, even when the
 * database host freezes or vanishes: connecting, logging in, waiting for a pooled connection,
 * validating one, waiting for any reply of the server and running a statement each have a timeout.
 * Parameters in the JDBC URL win over the settings.
 *
 * <p>With the checks both of their builders make ({@link #requireSchemaName}, {@link #describe}).
 * Public only because the PostgreSQL actor store and session persist driver live in other modules;
 * applications configure those, not this.
 *
 * @param name the pool's name, also the connections' {@code ApplicationName} (seen in {@code
 *     pg_stat_activity})
 * @param jdbcUrl {@code jdbc:postgresql://host:port/db…}
 * @param user null when the URL carries it
 * @param password null when the URL carries it
 * @param size the most connections; at most 2 are kept idle
 * @param connectTimeout opening a TCP connection (pgjdbc's {@code connectTimeout}, whole seconds)
 * @param loginTimeout connecting and logging in (pgjdbc's {@code loginTimeout}, whole seconds)
 * @param socketTimeout waiting for any reply of the server (pgjdbc's {@code socketTimeout}, whole
 *     seconds)
 * @param connectionTimeout waiting for a pooled connection (HikariCP's {@code connectionTimeout})
 * @param validationTimeout checking that an idle pooled connection works (HikariCP's {@code
 *     validationTimeout})
 * @param initializationFailTimeout how long opening the pool tries to make its first connection
 *     before it fails, or null for HikariCP's default (one attempt)
 * @param statementTimeout the server cancels a statement running longer ({@code statement_timeout})
 * @param idleInTransactionTimeout the server ends a session idle in an open transaction that long
 *     ({@code idle_in_transaction_session_timeout}), or null for the server's default
 */
public record PostgresPool(
        String name,
        String jdbcUrl,
        @Nullable String user,
        @Nullable String password,
        int size,
        Duration connectTimeout,
        Duration loginTimeout,
        Duration socketTimeout,
        Duration connectionTimeout,
        Duration validationTimeout,
        @Nullable Duration initializationFailTimeout,
        Duration statementTimeout,
        @Nullable Duration idleInTransactionTimeout) {
    private static final Pattern SCHEMA_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,62}$");

    public PostgresPool {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(loginTimeout, "loginTimeout");
        Objects.requireNonNull(socketTimeout, "socketTimeout");
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
        Objects.requireNonNull(validationTimeout, "validationTimeout");
        Objects.requireNonNull(statementTimeout, "statementTimeout");
    }

    /**
     * Opens the pool; HikariCP's exception when it cannot (the caller names the database in its
     * own).
     */
    public HikariDataSource open() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(Math.min(2, size));
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.setValidationTimeout(validationTimeout.toMillis());
        if (initializationFailTimeout != null) {
            config.setInitializationFailTimeout(initializationFailTimeout.toMillis());
        }
        // Driver properties; parameters in the URL win over them.
        config.addDataSourceProperty("connectTimeout", seconds(connectTimeout));
        config.addDataSourceProperty("socketTimeout", seconds(socketTimeout));
        config.addDataSourceProperty("loginTimeout", seconds(loginTimeout));
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("ApplicationName", name);
        config.addDataSourceProperty(
                "options",
                "-c statement_timeout="
                        + statementTimeout.toMillis()
                        + (idleInTransactionTimeout == null
                                ? ""
                                : " -c idle_in_transaction_session_timeout="
                                        + idleInTransactionTimeout.toMillis()));
        return new HikariDataSource(config);
    }

    /**
     * {@code schema} if it is a name PostgreSQL takes unquoted: letters, digits and _, not starting
     * with a digit, ≤ 63.
     */
    public static String requireSchemaName(@Nullable String schema) {
        if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException(
                    "invalid schema name: '"
                            + schema
                            + "' (letters, digits and _, "
                            + "not starting with a digit, at most 63 characters)");
        }
        return schema;
    }

    /**
     * Names the schema, and the server and database of {@code jdbcUrl} (null: none) for messages:
     * never the URL's parameters, which may hold a password.
     */
    public static String describe(String schema, @Nullable String jdbcUrl) {
        return "schema \""
                + schema
                + "\""
                + (jdbcUrl == null ? "" : " at " + jdbcUrl.split("\\?", 2)[0]);
    }

    /**
     * Whether {@code e} says a pooled connection was already ended by the server (SQLState class
     * 08, or the server shutting down or ending the session: 57P01–57P03), not that the statement
     * failed nor that the pool had no connection to give. The pool discards such a connection, so a
     * read may be tried once more on another: after a restart of the server, each pooled connection
     * fails this way once.
     */
    private static boolean isStaleConnection(SQLException e) {
        String state = e.getSQLState();
        return !(e instanceof SQLTransientConnectionException)
                && state != null
                && (state.startsWith("08")
                        || state.equals("57P01")
                        || state.equals("57P02")
                        || state.equals("57P03"));
    }

    /**
     * Runs a read, and once more if it failed on a stale pooled connection ({@link
     * #isStaleConnection}: the {@link SQLException} is the failure's cause); the pool has discarded
     * that connection, so the second try gets another. Not for writes: a commit whose reply was
     * lost may have happened.
     */
    public static <T> T retryOnStaleConnection(Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            if (e.getCause() instanceof SQLException cause && isStaleConnection(cause)) {
                return read.get();
            }
            throw e;
        }
    }

    /** pgjdbc's timeouts are whole seconds: round up, so a timeout is never shorter than asked. */
    private static String seconds(Duration timeout) {
        return Long.toString(timeout.plusMillis(999).toSeconds());
    }
}
