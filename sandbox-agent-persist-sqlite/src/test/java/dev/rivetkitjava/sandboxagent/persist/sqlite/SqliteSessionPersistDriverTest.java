package dev.rivetkitjava.sandboxagent.persist.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriverContract;
import dev.rivetkitjava.sqlite.SqliteFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteSessionPersistDriverTest extends SessionPersistDriverContract {

    @TempDir Path dir;

    private Path file() {
        return dir.resolve("sessions/sessions.db");
    }

    @Override
    protected SessionPersistDriver newDriver() {
        return SqliteSessionPersistDriver.open(file());
    }

    @Test
    void sessionsAndEventsSurviveReopening() {
        List<SessionEvent> events = writeSessionWithEvents();
        ((SqliteSessionPersistDriver) driver).close();

        driver = SqliteSessionPersistDriver.open(file());
        assertHoldsSessionWithEvents(driver, events);
    }

    @Test
    void storedJsonThatDoesNotParseIsAClearErrorAndIsLeftAsItIs() throws Exception {
        driver.updateSession(session("s-1", 10));
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file());
                Statement statement = raw.createStatement()) {
            statement.execute(
                    "UPDATE sessions SET session_init_json = '{\"cwd\":' WHERE id = 's-1'");
        }
        assertThatThrownBy(() -> driver.getSession("s-1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("holds JSON that does not parse");
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file());
                Statement statement = raw.createStatement();
                var rows =
                        statement.executeQuery(
                                "SELECT session_init_json FROM sessions WHERE id = 's-1'")) {
            assertThat(rows.getString(1)).isEqualTo("{\"cwd\":");
        }
    }

    @Test
    void aFileFromANewerVersionIsRefusedAndLeftAlone() throws Exception {
        ((SqliteSessionPersistDriver) driver).close();
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file());
                Statement statement = raw.createStatement()) {
            statement.execute(
                    "PRAGMA user_version = " + (SqliteSessionPersistDriver.SCHEMA_VERSION + 1));
        }
        assertThatThrownBy(() -> SqliteSessionPersistDriver.open(file()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("schema version 2");
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file());
                Statement statement = raw.createStatement();
                var rows = statement.executeQuery("PRAGMA user_version")) {
            assertThat(rows.getInt(1)).isEqualTo(SqliteSessionPersistDriver.SCHEMA_VERSION + 1);
        }
        driver = SqliteSessionPersistDriver.open(dir.resolve("other.db"));
    }

    @Test
    void aFileThatIsNotSqliteIsAClearError() throws Exception {
        Path garbage = dir.resolve("garbage.db");
        Files.writeString(
                garbage,
                "this is not a database, just some text ".repeat(200),
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> SqliteSessionPersistDriver.open(garbage))
                .isInstanceOf(SqliteFileException.class)
                .hasMessageContaining(garbage.toString());
        assertThat(Files.readString(garbage)).startsWith("this is not a database");
    }

    @Test
    void callsAfterCloseFailClearlyAndClosingTwiceIsHarmless() {
        SqliteSessionPersistDriver sqlite = (SqliteSessionPersistDriver) driver;
        sqlite.close();
        sqlite.close();
        assertThatThrownBy(() -> sqlite.getSession("s-1"))
                .isInstanceOf(SqliteFileException.class)
                .hasMessageContaining("getSession");
    }
}
