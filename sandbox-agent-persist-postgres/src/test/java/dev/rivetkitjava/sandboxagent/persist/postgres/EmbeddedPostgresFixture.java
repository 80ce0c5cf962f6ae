package dev.rivetkitjava.sandboxagent.persist.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.sql.DataSource;

/** One real PostgreSQL server per test JVM (zonky's embedded binaries), started on first use, stopped at exit. */
final class EmbeddedPostgresFixture {
    private static EmbeddedPostgres server;

    private EmbeddedPostgresFixture() {
    }

    static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder().start();
            } catch (IOException e) {
                throw new UncheckedIOException("starting the embedded PostgreSQL server", e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException e) {
                    System.err.println("stopping the embedded PostgreSQL server: " + e);
                }
            }));
        }
        return server;
    }

    static DataSource dataSource() {
        return server().getPostgresDatabase();
    }

    static String jdbcUrl() {
        return server().getJdbcUrl("postgres", "postgres");
    }
}
