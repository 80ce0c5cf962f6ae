package dev.rivetkitjava.sandboxagent.persist.sqlite;

import java.nio.file.Path;

/** A {@link SqliteSessionPersistDriver} operation failed; the message names the file and the operation. */
public final class SqlitePersistException extends RuntimeException {
    SqlitePersistException(Path file, String operation, Exception cause) {
        super("SQLite session store " + file + ": " + operation + " failed: " + cause.getMessage(), cause);
    }
}
