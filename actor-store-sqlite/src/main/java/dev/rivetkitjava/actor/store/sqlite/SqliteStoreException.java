package dev.rivetkitjava.actor.store.sqlite;

import java.nio.file.Path;

/** A {@link SqliteActorStore} operation failed; the message names the file and the operation. */
public final class SqliteStoreException extends RuntimeException {
    SqliteStoreException(Path file, String operation, Exception cause) {
        super("SQLite actor store " + file + ": " + operation + " failed: " + cause.getMessage(), cause);
    }
}
