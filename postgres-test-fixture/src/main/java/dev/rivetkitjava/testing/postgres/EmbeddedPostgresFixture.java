package dev.rivetkitjava.testing.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Real PostgreSQL servers for tests (zonky's embedded binaries, no network needed): one shared
 * server per test JVM, started on first use and stopped at exit, and dedicated servers for tests
 * that stop or pause theirs (and for {@code rivetkit-java postgres}, which runs one on a data dir
 * of the user's).
 */
public final class EmbeddedPostgresFixture {
    private static @Nullable EmbeddedPostgres server;

    private EmbeddedPostgresFixture() {}

    /**
     * The shared server. Tests sharing it keep apart by schema or database, and never stop or pause
     * it.
     */
    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            server = start(EmbeddedPostgres.builder());
            EmbeddedPostgres started = server;
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        try {
                                            started.close();
                                        } catch (IOException e) {
                                            System.err.println(
                                                    "stopping the embedded PostgreSQL server: "
                                                            + e);
                                        }
                                    }));
        }
        return server;
    }

    /** The shared server's {@code postgres} database, as user {@code postgres}. */
    public static DataSource dataSource() {
        return server().getPostgresDatabase();
    }

    /**
     * A JDBC URL of the shared server's {@code postgres} database, user and password in its
     * parameters.
     */
    public static String jdbcUrl() {
        return server().getJdbcUrl("postgres", "postgres");
    }

    /**
     * Starts a server of the caller's own on {@code dataDirectory} (so {@link #postmasterPid} can
     * find it), which holds a database already or is empty; the caller closes the server and
     * deletes the directory. Closing leaves the data, so a test can start a server on it again, on
     * the same {@code port} (0: any free port).
     *
     * @throws IllegalStateException when another PostgreSQL server holds {@code port} (the message
     *     names its data directory)
     */
    public static EmbeddedPostgres startDedicated(Path dataDirectory, int port) {
        EmbeddedPostgres.Builder builder =
                EmbeddedPostgres.builder()
                        .setDataDirectory(dataDirectory)
                        .setCleanDataDirectory(false);
        EmbeddedPostgres server = start(port == 0 ? builder : builder.setPort(port));
        requireServing(server, dataDirectory);
        return server;
    }

    /**
     * zonky's start checks that a server answers on the port, not that it is the one it started:
     * with the port taken by another server, its own postmaster exits and the start still succeeds.
     */
    private static void requireServing(EmbeddedPostgres server, Path dataDirectory) {
        String served;
        try (Connection connection = server.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SHOW data_directory")) {
            rows.next();
            served = rows.getString(1);
        } catch (SQLException e) {
            stopQuietly(server);
            throw new IllegalStateException(
                    "the PostgreSQL server on port "
                            + server.getPort()
                            + " does not answer: "
                            + e.getMessage(),
                    e);
        }
        if (!sameFile(Path.of(served), dataDirectory)) {
            stopQuietly(server);
            throw new IllegalStateException(
                    "port "
                            + server.getPort()
                            + " is taken by another PostgreSQL server (its "
                            + "data directory: "
                            + served
                            + ")");
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false; // the other server's directory, not readable here
        }
    }

    private static void stopQuietly(EmbeddedPostgres server) {
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            // Its postmaster may have exited already (the port was taken): pg_ctl stop then fails,
            // nothing to stop.
        }
    }

    /**
     * The PID of the postmaster running on {@code dataDirectory}: the first line of its {@code
     * postmaster.pid}.
     */
    public static long postmasterPid(Path dataDirectory) {
        try {
            return Long.parseLong(
                    Files.readAllLines(dataDirectory.resolve("postmaster.pid")).getFirst().strip());
        } catch (IOException e) {
            throw new UncheckedIOException("reading postmaster.pid in " + dataDirectory, e);
        }
    }

    /**
     * Freezes the server on {@code dataDirectory} as a paused host would be: SIGSTOP to the
     * postmaster first (so it forks nothing more), then to its children until no new one appears (a
     * backend forked for a pool just before would otherwise keep answering). Pass the result to
     * {@link #thaw}, in a {@code finally}.
     */
    public static List<Long> freeze(Path dataDirectory) {
        long postmaster = postmasterPid(dataDirectory);
        List<Long> frozen = new ArrayList<>(List.of(postmaster));
        signal("STOP", frozen);
        while (true) {
            List<Long> fresh =
                    ProcessHandle.of(postmaster)
                            .orElseThrow()
                            .descendants()
                            .map(ProcessHandle::pid)
                            .filter(pid -> !frozen.contains(pid))
                            .toList();
            if (fresh.isEmpty()) {
                return frozen;
            }
            signal("STOP", fresh);
            frozen.addAll(fresh);
        }
    }

    /** SIGCONT to what {@link #freeze} stopped. */
    public static void thaw(List<Long> frozen) {
        if (!frozen.isEmpty()) {
            signal("CONT", frozen);
        }
    }

    private static void signal(String signal, List<Long> pids) {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output =
                    new String(
                            kill.getInputStream().readAllBytes(),
                            java.nio.charset.StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + " interrupted", e);
        }
    }

    private static EmbeddedPostgres start(EmbeddedPostgres.Builder builder) {
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting an embedded PostgreSQL server", e);
        }
    }
}
