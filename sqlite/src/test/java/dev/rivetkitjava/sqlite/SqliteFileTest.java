package dev.rivetkitjava.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteFileTest {
    private static final List<String> SCHEMA =
            List.of("CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL) STRICT");

    @TempDir Path dir;

    @Test
    void openingCreatesTheParentDirectoriesInWalModeWithTheSchemaVersion() throws SQLException {
        Path file = dir.resolve("a/b/notes.db");
        try (SqliteFile sqlite =
                SqliteFile.open(file, "note store", 3, SCHEMA, List.of("foreign_keys = ON"))) {
            assertThat(sqlite.path()).isEqualTo(file.toAbsolutePath());
            String foreignKeys =
                    sqlite.locked(
                            "reading", connection -> query(connection, "PRAGMA foreign_keys"));
            assertThat(foreignKeys).isEqualTo("1");
        }
        assertThat(Files.isRegularFile(file)).isTrue();
        assertThat(pragma(file, "journal_mode")).isEqualTo("wal");
        assertThat(pragma(file, "user_version")).isEqualTo("3");
    }

    @Test
    void aSchemaVersionNewerThanSupportedIsRefusedAndLeftAlone() throws SQLException {
        Path file = dir.resolve("newer.db");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA user_version = 4");
        }

        assertThatThrownBy(() -> SqliteFile.open(file, "note store", 3, SCHEMA, List.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("note store " + file.toAbsolutePath())
                .hasMessageContaining(
                        "has schema version 4, but this rivetkit-java reads up to version 3");
        assertThat(pragma(file, "user_version")).isEqualTo("4");
    }

    @Test
    void aTransactionThatThrowsIsRolledBack() {
        try (SqliteFile sqlite =
                SqliteFile.open(dir.resolve("notes.db"), "note store", 1, SCHEMA, List.of())) {
            assertThatThrownBy(
                            () ->
                                    sqlite.transaction(
                                            "adding a note",
                                            connection -> {
                                                try (Statement statement =
                                                        connection.createStatement()) {
                                                    statement.execute(
                                                            "INSERT INTO notes VALUES ('lost')");
                                                }
                                                throw new IllegalStateException("changed my mind");
                                            }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("changed my mind");

            String notes =
                    sqlite.locked(
                            "counting",
                            connection -> query(connection, "SELECT count(*) FROM notes"));
            assertThat(notes).isEqualTo("0");
        }
    }

    @Test
    void aFailedStatementNamesTheFileAndTheOperation() {
        try (SqliteFile sqlite =
                SqliteFile.open(dir.resolve("notes.db"), "note store", 1, SCHEMA, List.of())) {
            assertThatThrownBy(
                            () ->
                                    sqlite.locked(
                                            "reading",
                                            connection -> query(connection, "SELECT * FROM nope")))
                    .isInstanceOf(SqliteFileException.class)
                    .hasMessageStartingWith(
                            "SQLite note store " + sqlite.path() + ": reading failed: ");
        }
    }

    private static String pragma(Path file, String name) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            return query(connection, "PRAGMA " + name);
        }
    }

    private static String query(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
