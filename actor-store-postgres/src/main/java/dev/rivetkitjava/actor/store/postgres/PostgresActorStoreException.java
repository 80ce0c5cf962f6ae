package dev.rivetkitjava.actor.store.postgres;

/**
 * A {@link PostgresActorStore} call failed: the database refused it, timed out or could not be
 * reached. The message names the schema, the server and database (never the URL's parameters, which
 * may hold a password) and the call.
 */
public final class PostgresActorStoreException extends RuntimeException {
    PostgresActorStoreException(String where, String operation, Exception cause) {
        super(
                "PostgreSQL actor store "
                        + where
                        + ": "
                        + operation
                        + " failed: "
                        + cause.getMessage(),
                cause);
    }
}
