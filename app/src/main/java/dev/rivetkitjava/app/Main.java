package dev.rivetkitjava.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
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
            description = "Serves the multiplayer workspace (page, actors over RivetKit's client protocol, embedded SQLite store, a Sandbox Agent server), until stopped.")
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

        @Option(names = "--agent", defaultValue = "codex",
                description = "The agent a new workspace runs (default: ${DEFAULT-VALUE}, an offline stand-in unless --sandbox-agent-url is given).")
        String agent;

        @Option(names = "--sandbox-agent-url",
                description = "Use this Sandbox Agent server instead of starting one with the stand-in agent.")
        String sandboxAgentUrl;

        @Option(names = "--sandbox-agent-token", description = "The bearer token of the --sandbox-agent-url server.")
        String sandboxAgentToken;

        @Override
        public Integer call() throws Exception {
            String installed = System.getenv("RIVETKIT_SANDBOX_AGENT_DIR");
            WorkspaceServer server = WorkspaceServer.start(new WorkspaceServer.Options(host, port, dataDir, token,
                    Set.copyOf(corsOrigins), Duration.ofMillis(drainMillis), agent, sandboxAgentUrl,
                    sandboxAgentToken, installed == null ? null : Path.of(installed)));
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("stopping: actors sleep with their state saved, clients are told to reconnect");
                server.close();
                stopped.countDown();
            }, "rivetkit-shutdown"));
            log.info("rivetkit-java ready: endpoint {}, workspace page {}/ (store {}, Sandbox Agent {}{})",
                    server.endpoint(), server.endpoint(), server.store(),
                    sandboxAgentUrl == null ? server.sandboxAgentUrl() : sandboxAgentUrl,
                    token == null ? "" : ", token required");
            stopped.await();
            return 0;
        }
    }
}
