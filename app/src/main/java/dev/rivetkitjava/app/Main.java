package dev.rivetkitjava.app;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.server.RivetServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code rivetkit-java} command line. */
@Command(name = "rivetkit-java", mixinStandardHelpOptions = true, version = "rivetkit-java 0.1.0",
        description = "Rivet-Actors-style virtual actors for Java.",
        subcommands = {Main.Serve.class})
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** The classpath folder the build puts the workspace page in (web/build.sh, run by this module's pom). */
    static final String WEB_PAGE = "web";

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Serves the actors over RivetKit's client protocol on the embedded SQLite store, until stopped.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
        String host;

        @Option(names = "--port", defaultValue = "6420", description = "Port (default: ${DEFAULT-VALUE}, RivetKit's default endpoint).")
        int port;

        @Option(names = "--data-dir", defaultValue = "data", description = "Where the SQLite store lives (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--token", description = "Require this token on every actor route (the client's `token` option).")
        String token;

        @Option(names = "--cors-origin", description = "A browser origin allowed by CORS; repeat for more (default: any origin is echoed, as the engine does).")
        java.util.List<String> corsOrigins = new java.util.ArrayList<>();

        @Option(names = "--drain-ms", defaultValue = "2000",
                description = "On shutdown, keep the port answering 'retry' this long so clients reach the next server (default: ${DEFAULT-VALUE}).")
        long drainMillis;

        @Override
        public Integer call() throws Exception {
            Path file = dataDir.resolve("actors.db").toAbsolutePath();
            Registry registry = Registry.builder()
                    .use(Counter.TYPE)
                    .store(SqliteActorStore.open(file))
                    .build();
            RivetServer server = RivetServer.builder(registry).host(host).port(port).token(token)
                    .corsOrigins(java.util.Set.copyOf(corsOrigins)).drainPeriod(Duration.ofMillis(drainMillis))
                    .staticResources(WEB_PAGE).build().start();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("stopping: actors sleep with their state saved, clients are told to reconnect");
                server.close();
                stopped.countDown();
            }, "rivetkit-shutdown"));
            log.info("rivetkit-java ready: endpoint {}, workspace page {}/ (store {}{})", server.endpoint(),
                    server.endpoint(), file, token == null ? "" : ", token required");
            stopped.await();
            return 0;
        }
    }
}
