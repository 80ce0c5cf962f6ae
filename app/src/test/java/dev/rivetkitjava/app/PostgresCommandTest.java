package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rivetkit-java postgres} in a JVM of its own: it prints a JDBC URL that works once the
 * server is ready, stops the server with the JVM (SIGTERM runs the shutdown hook Ctrl-C runs),
 * keeps its data dir for the next start, and refuses a port another PostgreSQL server holds.
 */
@Tag("external")
class PostgresCommandTest {
    private static final Pattern READY =
            Pattern.compile("rivetkit-java postgres ready: (jdbc:postgresql://\\S+)");

    @TempDir Path dir;

    @Test
    void printsAWorkingUrlStopsWithTheJvmAndKeepsItsData() throws Exception {
        Path data = dir.resolve("pgdata");
        int port;
        try (Running postgres =
                Running.start(
                        dir.resolve("first.log"), "--port", "0", "--data-dir", data.toString())) {
            long postmaster = EmbeddedPostgresFixture.postmasterPid(data);
            port = Integer.parseInt(postgres.url().replaceAll(".*://localhost:(\\d+)/.*", "$1"));
            try (Connection connection = DriverManager.getConnection(postgres.url());
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE kept (value INTEGER)");
                statement.execute("INSERT INTO kept VALUES (42)");
            }

            // Another server on the same port is refused, instead of printing a URL that reaches
            // this one.
            Path other = dir.resolve("other.log");
            Process second =
                    ServeProcess.mainCommand(
                                    List.of(
                                            "postgres",
                                            "--port",
                                            Integer.toString(port),
                                            "--data-dir",
                                            dir.resolve("other").toString()))
                            .redirectOutput(other.toFile())
                            .start();
            try {
                assertThat(second.waitFor(90, TimeUnit.SECONDS))
                        .as("the second one exits")
                        .isTrue();
            } finally {
                second.destroyForcibly();
            }
            assertThat(second.exitValue()).isEqualTo(2);
            assertThat(Files.readString(other))
                    .contains("rivetkit-java postgres: cannot start PostgreSQL on port " + port)
                    .contains(
                            "is taken by another PostgreSQL server (its data directory: "
                                    + data.toAbsolutePath()
                                    + ")");

            postgres.close();
            // pg_ctl stop returns once the postmaster removed its PID file, just before it exits.
            await("the postmaster to exit")
                    .atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    ProcessHandle.of(postmaster)
                                            .filter(ProcessHandle::isAlive)
                                            .isEmpty());
            assertThat(data.resolve("postmaster.pid")).doesNotExist();
        }

        // The next start, on the same data dir and port, has the table.
        try (Running again =
                        Running.start(
                                dir.resolve("again.log"),
                                "--port",
                                Integer.toString(port),
                                "--data-dir",
                                data.toString());
                Connection connection = DriverManager.getConnection(again.url());
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT value FROM kept")) {
            assertThat(again.url())
                    .isEqualTo("jdbc:postgresql://localhost:" + port + "/postgres?user=postgres");
            assertThat(rows.next()).isTrue();
            assertThat(rows.getInt(1)).isEqualTo(42);
        }
        assertThat(data.resolve("postmaster.pid")).doesNotExist();
    }

    /**
     * {@code rivetkit-java postgres} running, its output in a log file; closing it sends SIGTERM
     * and waits.
     */
    private record Running(Process process, String url) implements AutoCloseable {
        static Running start(Path log, String... options) throws IOException {
            List<String> arguments = new ArrayList<>(List.of("postgres"));
            arguments.addAll(List.of(options));
            Process process =
                    ServeProcess.mainCommand(arguments).redirectOutput(log.toFile()).start();
            try {
                Matcher ready =
                        await("postgres ready (see " + log + ")")
                                .atMost(Duration.ofSeconds(90))
                                .pollInterval(Duration.ofMillis(100))
                                .failFast(
                                        "postgres exited (see " + log + ")",
                                        () -> !process.isAlive())
                                .until(
                                        () -> READY.matcher(ServeProcess.readFrom(log, 0)),
                                        Matcher::find);
                return new Running(process, ready.group(1));
            } catch (RuntimeException e) {
                process.destroyForcibly();
                throw e;
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                assertThat(process.waitFor(60, TimeUnit.SECONDS))
                        .as("postgres exits on SIGTERM")
                        .isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                process.destroyForcibly();
            }
        }
    }
}
