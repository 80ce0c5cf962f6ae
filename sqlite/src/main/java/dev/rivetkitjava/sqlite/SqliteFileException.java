package dev.rivetkitjava.sqlite;

import java.nio.file.Path;

/** A {@link SqliteFile} operation failed; the message names the file and the operation. */
public final class SqliteFileException extends RuntimeException {
    SqliteFileException(String name, Path file, String operation, Exception cause) {
        super(
                "SQLite " + name + " " + file + ": " + operation + " failed: " + cause.getMessage(),
                cause);
    }
}
