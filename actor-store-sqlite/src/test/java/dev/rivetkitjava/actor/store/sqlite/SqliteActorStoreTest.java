package dev.rivetkitjava.actor.store.sqlite;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.ScheduledEvent;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.ActorStoreContract;
import dev.rivetkitjava.actor.store.NewActor;
import dev.rivetkitjava.actor.store.StateWrite;
import dev.rivetkitjava.sqlite.SqliteFileException;
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

class SqliteActorStoreTest extends ActorStoreContract {
    @TempDir Path dir;

    private Path file() {
        return dir.resolve("data/actors/actors.db");
    }

    @Override
    protected ActorStore newStore() {
        return SqliteActorStore.open(file());
    }

    @Override
    protected ActorStore reopen(ActorStore closed) {
        return SqliteActorStore.open(file());
    }

    @Test
    void createsTheFileInMissingDirectoriesInWalModeWithTheSchemaVersion() throws SQLException {
        assertThat(file()).isRegularFile();
        assertThat(pragma(file(), "journal_mode")).isEqualTo("wal");
        assertThat(pragma(file(), "user_version"))
                .isEqualTo(String.valueOf(SqliteActorStore.SCHEMA_VERSION));
    }

    @Test
    void refusesAFileThatIsNotASqliteDatabaseAndLeavesItAlone() throws Exception {
        Path garbage = dir.resolve("garbage.db");
        byte[] bytes =
                "this is not a database, just some text that is long enough to have a header"
                        .repeat(100)
                        .getBytes(UTF_8);
        Files.write(garbage, bytes);

        assertThatThrownBy(() -> SqliteActorStore.open(garbage))
                .isInstanceOf(SqliteFileException.class)
                .hasMessageContaining(garbage.toString())
                .hasMessageContaining("not a database");
        assertThat(Files.readAllBytes(garbage)).isEqualTo(bytes);
    }

    @Test
    void refusesASchemaVersionNewerThanItReads() throws SQLException {
        Path newer = dir.resolve("newer.db");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + newer);
                Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA user_version = " + (SqliteActorStore.SCHEMA_VERSION + 1));
        }

        assertThatThrownBy(() -> SqliteActorStore.open(newer))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(newer.toString())
                .hasMessageContaining("schema version " + (SqliteActorStore.SCHEMA_VERSION + 1));
        assertThat(pragma(newer, "user_version"))
                .isEqualTo(String.valueOf(SqliteActorStore.SCHEMA_VERSION + 1));
    }

    @Test
    void aVersionOneFileIsMigratedKeepingItsActorsAndGainsTheKeyValueStore() throws SQLException {
        Path old = dir.resolve("v1.db");
        // The schema of version 1 as it shipped, with one actor and one schedule in it.
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + old);
                Statement statement = connection.createStatement()) {
            statement.execute(
                    """
                    CREATE TABLE actors (
                        id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, key TEXT NOT NULL,
                        created_at INTEGER NOT NULL, input BLOB, state BLOB, state_version INTEGER NOT NULL,
                        generation INTEGER NOT NULL, UNIQUE (name, key)) STRICT""");
            statement.execute(
                    """
                    CREATE TABLE schedules (
                        id TEXT NOT NULL, actor_id TEXT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
                        fire_at INTEGER NOT NULL, action TEXT NOT NULL, args BLOB, PRIMARY KEY (actor_id, id)) STRICT""");
            statement.execute("CREATE INDEX schedules_fire_at ON schedules (fire_at)");
            statement.execute(
                    "INSERT INTO actors VALUES ('a1', 'counter', 'k', 1, NULL, X'7B7D', 1, 3)");
            statement.execute("INSERT INTO schedules VALUES ('e1', 'a1', 100, 'tick', NULL)");
            statement.execute("PRAGMA user_version = 1");
        }

        try (SqliteActorStore store = SqliteActorStore.open(old)) {
            assertThat(store.findById("a1").orElseThrow())
                    .usingRecursiveComparison()
                    .isEqualTo(
                            new ActorRecord(
                                    "a1",
                                    "counter",
                                    ActorKey.of("k"),
                                    1,
                                    null,
                                    "{}".getBytes(UTF_8),
                                    1,
                                    3));
            assertThat(store.schedules("a1")).extracting(ScheduledEvent::id).containsExactly("e1");
            assertThat(
                            store.kvWrite(
                                    "a1",
                                    3,
                                    KvBatch.builder().put("k", "v".getBytes(UTF_8)).build()))
                    .isTrue();
        }
        assertThat(pragma(old, "user_version"))
                .isEqualTo(String.valueOf(SqliteActorStore.SCHEMA_VERSION));
        try (SqliteActorStore store = SqliteActorStore.open(old)) {
            assertThat(store.kvGet("a1", "k")).get().isEqualTo("v".getBytes(UTF_8));
        }
    }

    @Test
    void aCorruptStateBlobIsStoredAndReturnedUnchanged() {
        Path path = dir.resolve("corrupt.db");
        // Invalid UTF-8, a NUL and truncated JSON: the store must not look inside.
        byte[] corrupt = {'{', '"', 'n', '"', ':', (byte) 0xC3, 0, (byte) 0xFF, (byte) 0xFE};
        try (SqliteActorStore store = SqliteActorStore.open(path)) {
            store.insertIfAbsent(new NewActor("a1", "counter", ActorKey.of("k"), 1, corrupt));
            store.claim("a1");
            assertThat(store.saveStates(List.of(new StateWrite("a1", 1, corrupt, 1)))).isEmpty();
            assertThat(store.findById("a1").orElseThrow().state()).isEqualTo(corrupt);
        }
        try (SqliteActorStore store = SqliteActorStore.open(path)) {
            ActorRecord reopened = store.findById("a1").orElseThrow();
            assertThat(reopened.state()).isEqualTo(corrupt);
            assertThat(reopened.input()).isEqualTo(corrupt);
        }
    }

    @Test
    void callsAfterCloseFailNamingTheFileAndCloseIsIdempotent() {
        Path path = dir.resolve("closed.db");
        SqliteActorStore store = SqliteActorStore.open(path);
        store.close();
        store.close();

        assertThatThrownBy(() -> store.findById("a1"))
                .isInstanceOf(SqliteFileException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("findById");
    }

    @Test
    void twoStoresOnOneFileAgreeOnConcurrentInserts() throws Exception {
        try (SqliteActorStore first = SqliteActorStore.open(file());
                SqliteActorStore second = SqliteActorStore.open(file())) {
            List<ActorRecord> records =
                    concurrently(
                            40,
                            i ->
                                    () ->
                                            (i % 2 == 0 ? first : second)
                                                    .insertIfAbsent(
                                                            new NewActor(
                                                                    "id-" + i,
                                                                    "counter",
                                                                    ActorKey.of("shared"),
                                                                    i,
                                                                    null)));

            String winner = records.getFirst().id();
            assertThat(records).extracting(ActorRecord::id).containsOnly(winner);
            assertThat(first.list("counter", null, 100))
                    .extracting(ActorRecord::id)
                    .containsExactly(winner);
            assertThat(second.findByKey("counter", ActorKey.of("shared")))
                    .get()
                    .extracting(ActorRecord::id)
                    .isEqualTo(winner);
        }
    }

    private static String pragma(Path path, String name) throws SQLException {
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + path);
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("PRAGMA " + name)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
