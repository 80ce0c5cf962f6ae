package dev.rivetkitjava.sandboxagent.persist.postgres;

/**
 * A {@link PostgresSessionPersistDriver} operation failed; the message names the schema and the
 * operation.
 */
public final class PostgresPersistException extends RuntimeException {
    PostgresPersistException(String where, String operation, Exception cause) {
        super(
                "PostgreSQL session store "
                        + where
                        + ": "
                        + operation
                        + " failed: "
                        + cause.getMessage(),
                cause);
    }
}
