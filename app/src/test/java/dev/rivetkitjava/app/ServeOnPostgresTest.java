package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --store JDBC_URL} in JVMs of their own on a real PostgreSQL server: the actors live
 * in the database, not in the data dir, so a serve started on another data dir finds them.
 */
@Tag("external")
class ServeOnPostgresTest {

    @TempDir Path dir;

    @Test
    void theCounterSurvivesARestartOnTheSameDatabase() throws Exception {
        String database = "serve_restart";
        try (Connection connection = EmbeddedPostgresFixture.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + database);
        }
        String url = EmbeddedPostgresFixture.server().getJdbcUrl("postgres", database);

        Path first = dir.resolve("first");
        try (ServeProcess serve = ServeProcess.start(first, 0, "--store", url);
                RivetClient client = RivetClient.create(serve.endpoint())) {
            // The store's place without the URL's parameters (a password may be there).
            assertThat(serve.readyLine())
                    .contains(
                            "store PostgreSQL schema \"public\" at " + url.split("\\?", 2)[0] + ",")
                    .doesNotContain("user=");
            assertThat(
                            client.actor("counter")
                                    .getOrCreate("kept")
                                    .action("increment", Integer.class, 5))
                    .isEqualTo(5);
        } // SIGTERM: the actors sleep, the server stops
        assertThat(first.resolve("actors.db")).as("no SQLite store").doesNotExist();

        try (ServeProcess serve = ServeProcess.start(dir.resolve("second"), 0, "--store", url);
                RivetClient client = RivetClient.create(serve.endpoint())) {
            assertThat(
                            client.actor("counter")
                                    .getOrCreate("kept")
                                    .action("increment", Integer.class, 1))
                    .isEqualTo(6);
        }
        try (Connection connection =
                        EmbeddedPostgresFixture.server()
                                .getDatabase("postgres", database)
                                .getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows =
                        statement.executeQuery(
                                "SELECT count(*), max(generation) FROM actors WHERE name = 'counter'")) {
            rows.next();
            assertThat(rows.getLong(1)).as("one counter row").isEqualTo(1);
            assertThat(rows.getLong(2)).as("claimed by each serve that woke it").isEqualTo(2);
        }
    }
}
