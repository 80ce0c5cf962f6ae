package dev.rivetkitjava.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Opens a HikariCP pool of pgjdbc connections on which no call waits unbounded, even when the database host freezes
 * or vanishes: connecting, logging in, waiting for a pooled connection, validating one, waiting for any reply of the
 * server and running a statement each have a timeout. Parameters in the JDBC URL win over the settings.
 *
 * <p>With the checks both of their builders make ({@link #requireSchemaName}, {@link #describe}). Public only because
 * the PostgreSQL actor store and session persist driver live in other modules; applications configure those, not
 * this.
 *
 * @param name the pool's name, also the connections' {@code ApplicationName} (seen in {@code pg_stat_activity})
 * @param jdbcUrl {@code jdbc:postgresql://host:port/db…}
 * @param user null when the URL carries it
 * @param password null when the URL carries it
 * @param size the most connections; at most 2 are kept idle
 * @param connectTimeout opening a TCP connection (pgjdbc's {@code connectTimeout}, whole seconds)
 * @param loginTimeout connecting and logging in (pgjdbc's {@code loginTimeout}, whole seconds)
 * @param socketTimeout waiting for any reply of the server (pgjdbc's {@code socketTimeout}, whole seconds)
 * @param connectionTimeout waiting for a pooled connection (HikariCP's {@code connectionTimeout})
 * @param validationTimeout checking that an idle pooled connection works (HikariCP's {@code validationTimeout})
 * @param initializationFailTimeout how long opening the pool tries to make its first connection before it fails, or
 *     null for HikariCP's default (one attempt)
 * @param statementTimeout the server cancels a statement running longer ({@code statement_timeout})
 * @param idleInTransactionTimeout the server ends a session idle in an open transaction that long
 *     ({@code idle_in_transaction_session_timeout}), or null for the server's default
 */
public record PostgresPool(String name, String jdbcUrl, String user, String password, int size,
        Duration connectTimeout, Duration loginTimeout, Duration socketTimeout, Duration connectionTimeout,
        Duration validationTimeout, Duration initializationFailTimeout, Duration statementTimeout,
        Duration idleInTransactionTimeout) {
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

    /** Opens the pool; HikariCP's exception when it cannot (the caller names the database in its own). */
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
        config.addDataSourceProperty("options", "-c statement_timeout=" + statementTimeout.toMillis()
                + (idleInTransactionTimeout == null ? ""
                        : " -c idle_in_transaction_session_timeout=" + idleInTransactionTimeout.toMillis()));
        return new HikariDataSource(config);
    }

    /** {@code schema} if it is a name PostgreSQL takes unquoted: letters, digits and _, not starting with a digit, ≤ 63. */
    public static String requireSchemaName(String schema) {
        if (schema == null || !SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalArgumentException("invalid schema name: '" + schema + "' (letters, digits and _, "
                    + "not starting with a digit, at most 63 characters)");
        }
        return schema;
    }

    /**
     * Names the schema, and the server and database of {@code jdbcUrl} (null: none) for messages: never the URL's
     * parameters, which may hold a password.
     */
    public static String describe(String schema, String jdbcUrl) {
        return "schema \"" + schema + "\"" + (jdbcUrl == null ? "" : " at " + jdbcUrl.split("\\?", 2)[0]);
    }

    /** pgjdbc's timeouts are whole seconds: round up, so a timeout is never shorter than asked. */
    private static String seconds(Duration timeout) {
        return Long.toString(timeout.plusMillis(999).toSeconds());
    }
}
