package dev.rivetkitjava.app;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import java.nio.file.Path;
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

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Runs the actor registry on the embedded SQLite store until stopped (Ctrl-C saves every actor).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "data", description = "Where the SQLite store lives (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Override
        public Integer call() throws InterruptedException {
            Path file = dataDir.resolve("actors.db").toAbsolutePath();
            Registry registry = Registry.builder()
                    .use(Counter.TYPE)
                    .store(SqliteActorStore.open(file))
                    .build();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("stopping: putting awake actors to sleep");
                registry.close();
                stopped.countDown();
            }, "rivetkit-shutdown"));

            // Until the network server exists, show the runtime working: one durable counter per data directory.
            int count = registry.actor(Counter.TYPE).getOrCreate(ActorKey.of("serve-starts"))
                    .action("increment", Integer.class, 1);
            log.info("ready: store {}; counter `serve-starts` is now {} (it survives restarts)", file, count);
            log.info("the client endpoint (RivetKit protocol on 127.0.0.1:6420) is not built yet; press Ctrl-C to stop");
            stopped.await();
            return 0;
        }
    }
}
