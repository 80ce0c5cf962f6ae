package dev.rivetkitjava.app;

import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import dev.rivetkitjava.workspace.Caller;
import dev.rivetkitjava.workspace.PermissionPolicy;
import dev.rivetkitjava.workspace.WorkspaceLimits;
import dev.rivetkitjava.workspace.WorkspaceTokens;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code rivetkit-java} command line. */
@Command(
        name = "rivetkit-java",
        mixinStandardHelpOptions = true,
        version = "rivetkit-java 0.1.0",
        description = "Rivet-Actors-style virtual actors for Java.",
        subcommands = {Main.Serve.class, Main.Token.class, Main.Postgres.class})
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Duration.class, new DurationConverter());
    }

    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description =
                    "Serves the multiplayer workspace (page, actors over RivetKit's client protocol, embedded SQLite store or PostgreSQL, a Sandbox Agent server), until stopped.")
    static final class Serve implements Callable<Integer> {
        @Option(
                names = "--host",
                defaultValue = "127.0.0.1",
                description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
        String host;

        @Option(
                names = "--port",
                defaultValue = "6420",
                description = "Port (default: ${DEFAULT-VALUE}, RivetKit's default endpoint).")
        int port;

        @Option(
                names = "--data-dir",
                defaultValue = "data",
                description =
                        "Where the SQLite store and the Sandbox "
                                + "Agent server's files live; one serve per data dir (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(
                names = "--store",
                paramLabel = "JDBC_URL",
                description =
                        "Keep the actors in PostgreSQL instead of "
                                + "the data dir's SQLite file: jdbc:postgresql://HOST:PORT/DB?user=USER&password=PASSWORD (tables in "
                                + "schema public, created if absent; every write fenced by the actor's generation). One serve per "
                                + "database until cluster mode: another one waking the same actors takes them over. The start fails, "
                                + "naming the reason, when the database cannot be reached (about 5 s, the pool's connection timeout). "
                                + "Try it with `rivetkit-java postgres`.")
        @Nullable String store;

        @Option(
                names = "--cluster-port",
                paramLabel = "PORT",
                description =
                        "Cluster mode (needs --store, shared by every node): this node joins the cluster of --seed-nodes "
                                + "(or forms it) on this port of --host, and each actor runs on one node at a time, reached "
                                + "through any. Run at least 3 nodes: a minority side of a split stops itself. Default: no "
                                + "cluster (nothing of it is started).")
        @Nullable Integer clusterPort;

        @Option(
                names = "--seed-nodes",
                paramLabel = "HOST:PORT,...",
                split = ",",
                description =
                        "The cluster's seed nodes, with --cluster-port (default: this node alone).")
        List<String> seedNodes = new ArrayList<>();

        @Option(
                names = "--token",
                description =
                        "Require this token on every actor route (the client's `token` option).")
        @Nullable String token;

        @Option(
                names = "--admin-token",
                description =
                        "The token of the admin routes (listing actors, deleting one, "
                                + "/metrics); default: --token. In token mode without either, they are closed.")
        @Nullable String adminToken;

        @Option(
                names = "--cors-origin",
                description =
                        "A browser origin whose pages may call the server, besides its own; "
                                + "repeat for more ('*': any origin, unsafe).")
        java.util.List<String> corsOrigins = new java.util.ArrayList<>();

        @Option(
                names = "--public-url",
                description =
                        "The URL browsers reach the server at (e.g. behind a proxy): its "
                                + "origin and host are allowed as the server's own.")
        @Nullable String publicUrl;

        @Option(
                names = "--allowed-host",
                description =
                        "Another name the server answers to in the Host header (besides "
                                + "localhost, --host and --public-url's); repeat for more.")
        java.util.List<String> allowedHosts = new java.util.ArrayList<>();

        @Option(
                names = "--max-subscriptions-per-connection",
                defaultValue = "64",
                description = "Events one connection may subscribe to (default: ${DEFAULT-VALUE}).")
        int maxSubscriptionsPerConnection;

        @Option(
                names = "--max-connections",
                defaultValue = "10000",
                description =
                        "Network connections the server holds open at a time; past it, new ones wait to be accepted (default: ${DEFAULT-VALUE}).")
        int maxConnections;

        @Option(
                names = "--drain-ms",
                defaultValue = "2000",
                description =
                        "On shutdown, keep the port answering 'retry' this long so clients reach the next server (default: ${DEFAULT-VALUE}).")
        long drainMillis;

        @Option(
                names = "--agent",
                defaultValue = "codex",
                description =
                        "The agent a new workspace runs (default: ${DEFAULT-VALUE}, an offline stand-in unless --sandbox-agent-url is given).")
        String agent;

        @Option(
                names = "--sandbox-agent-url",
                description =
                        "Use this Sandbox Agent server instead of starting one with the stand-in agent.")
        @Nullable String sandboxAgentUrl;

        @Option(
                names = "--sandbox-agent-token",
                description = "The bearer token of the --sandbox-agent-url server.")
        @Nullable String sandboxAgentToken;

        @Option(
                names = "--auth-secret-file",
                paramLabel = "FILE",
                description =
                        "Token mode: every connection needs a sign-in token signed with the secret in FILE "
                                + "(create it and issue tokens with `rivetkit-java token`). Without it, open demo mode: names "
                                + "are self-declared and only this machine is served.")
        @Nullable Path authSecretFile;

        @Option(
                names = "--permission-policy",
                defaultValue = "reject",
                paramLabel = "reject|approve",
                description =
                        "How a permission request nobody can answer is resolved: nobody listens, the last "
                                + "listener left, or the timeout passed (default: ${DEFAULT-VALUE}).")
        PermissionPolicy permissionPolicy;

        @Option(
                names = "--permission-timeout",
                defaultValue = "10m",
                description =
                        "How long a permission request waits for an answer, e.g. 30s, 10m, 1h (default: ${DEFAULT-VALUE}).")
        Duration permissionTimeout;

        @Option(
                names = "--max-prompt-bytes",
                defaultValue = "32768",
                description = "Largest prompt text, in UTF-8 bytes (default: ${DEFAULT-VALUE}).")
        int maxPromptBytes;

        @Option(
                names = "--max-queued-prompts",
                defaultValue = "100",
                description =
                        "Prompts waiting for the agent in one workspace (default: ${DEFAULT-VALUE}).")
        int maxQueuedPrompts;

        @Option(
                names = "--max-queued-prompts-per-user",
                defaultValue = "10",
                description =
                        "Prompts one user may have waiting in one workspace (default: ${DEFAULT-VALUE}).")
        int maxQueuedPromptsPerUser;

        @Option(
                names = "--max-connections-per-workspace",
                defaultValue = "1000",
                description = "Open connections to one workspace (default: ${DEFAULT-VALUE}).")
        int maxConnectionsPerWorkspace;

        @Option(
                names = "--history-max-events",
                defaultValue = "0",
                description =
                        "Timeline entries a workspace keeps; older ones are deleted (default: ${DEFAULT-VALUE}, unlimited).")
        long historyMaxEvents;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String installed = System.getenv("RIVETKIT_SANDBOX_AGENT_DIR");
            WorkspaceServer server;
            try {
                WorkspaceServer.Options options =
                        WorkspaceServer.Options.builder(dataDir)
                                .storeUrl(store)
                                .cluster(clusterPort, seedNodes)
                                .host(host)
                                .port(port)
                                .token(token)
                                .adminToken(adminToken)
                                .corsOrigins(Set.copyOf(corsOrigins))
                                .publicUrl(publicUrl)
                                .allowedHosts(Set.copyOf(allowedHosts))
                                .maxSubscriptionsPerConnection(maxSubscriptionsPerConnection)
                                .maxConnections(maxConnections)
                                .drainPeriod(Duration.ofMillis(drainMillis))
                                .agent(agent)
                                .sandboxAgent(sandboxAgentUrl, sandboxAgentToken)
                                .sandboxAgentDir(installed == null ? null : Path.of(installed))
                                .authSecretFile(authSecretFile)
                                .permissionPolicy(permissionPolicy)
                                .permissionTimeout(permissionTimeout)
                                .limits(
                                        new WorkspaceLimits(
                                                maxPromptBytes,
                                                maxQueuedPrompts,
                                                maxQueuedPromptsPerUser,
                                                maxConnectionsPerWorkspace,
                                                historyMaxEvents))
                                .build();
                server = WorkspaceServer.start(options);
            } catch (IllegalArgumentException | IllegalStateException e) {
                spec.commandLine().getErr().println("rivetkit-java serve: " + e.getMessage());
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        log.info(
                                                "stopping: actors sleep with their state saved, clients are told to reconnect");
                                        server.close();
                                        stopped.countDown();
                                    },
                                    "rivetkit-shutdown"));
            log.info(
                    "{}",
                    ReadyLine.format(
                            server.endpoint(),
                            server.signInRequired(),
                            server.store(),
                            sandboxAgentUrl != null
                                    ? sandboxAgentUrl
                                    // Not given one: serve started its own.
                                    : Objects.requireNonNull(server.sandboxAgentUrl()),
                            token != null,
                            server.clusterAddress()));
            stopped.await();
            return 0;
        }
    }

    @Command(
            name = "token",
            mixinStandardHelpOptions = true,
            description = {
                "Prints a sign-in token for `serve --auth-secret-file` on one line, then a join link "
                        + "per workspace (URL/?w=WORKSPACE&token=TOKEN).",
                "Creates the secret file (32 random bytes, readable by you only) when it does not exist."
            })
    static final class Token implements Callable<Integer> {
        @Option(
                names = "--auth-secret-file",
                required = true,
                paramLabel = "FILE",
                description = "The secret `serve --auth-secret-file` uses.")
        Path authSecretFile;

        @Option(
                names = "--user",
                required = true,
                description = "The user's stable id (the token's subject).")
        String user;

        @Option(
                names = "--name",
                description = "The display name others see (default: the user id).")
        @Nullable String name;

        @Option(
                names = "--workspace",
                required = true,
                paramLabel = "ID",
                description = "A workspace the token opens; repeat for more, or '*' for all.")
        List<String> workspaces;

        @Option(
                names = "--role",
                defaultValue = "member",
                paramLabel = "member|viewer",
                description =
                        "member (prompts, cancels, answers permissions) or viewer (reads and listens); default: ${DEFAULT-VALUE}.")
        String role;

        @Option(
                names = "--ttl",
                defaultValue = "12h",
                description =
                        "How long the token is valid, e.g. 30m, 12h, 7d (default: ${DEFAULT-VALUE}).")
        Duration ttl;

        @Option(
                names = "--url",
                defaultValue = "http://127.0.0.1:6420",
                description =
                        "The workspace page's address, for the join links (default: ${DEFAULT-VALUE}).")
        String url;

        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            Caller.Role callerRole;
            try {
                callerRole = Caller.Role.fromWireName(role);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--role is member or viewer, not '" + role + "'");
            }
            if (WorkspaceTokens.createSecretFile(authSecretFile)) {
                spec.commandLine()
                        .getErr()
                        .println(
                                "created the secret file "
                                        + authSecretFile
                                        + " (readable by you only); start serve "
                                        + "with --auth-secret-file "
                                        + authSecretFile);
            }
            String displayName = name == null || name.isBlank() ? user : name;
            String token;
            try {
                token =
                        WorkspaceTokens.fromSecretFile(authSecretFile)
                                .issue(user, displayName, workspaces, callerRole, ttl);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("rivetkit-java token: " + e.getMessage());
                return 2;
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(token);
            for (String link : joinLinks(url, workspaces, token)) {
                out.println(link);
            }
            out.flush();
            return 0;
        }
    }

    @Command(
            name = "postgres",
            mixinStandardHelpOptions = true,
            description = {
                "Runs a PostgreSQL server (the embedded binaries the tests use, no install) for trying "
                        + "`serve --store` on this machine, until stopped (Ctrl-C). Prints one line when it is ready: "
                        + "rivetkit-java postgres ready: JDBC_URL.",
                "For trying things out only: it listens on localhost, lets any local user in as superuser "
                        + "`postgres` without a password, and runs with fsync off (a crash of the machine may lose "
                        + "recent writes)."
            })
    static final class Postgres implements Callable<Integer> {
        @Option(
                names = "--port",
                defaultValue = "5432",
                description = "Port (default: ${DEFAULT-VALUE}; 0: any free port).")
        int port;

        @Option(
                names = "--data-dir",
                defaultValue = "pgdata",
                description =
                        "The database files, created when empty, kept when stopped (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Path data = dataDir.toAbsolutePath();
            Files.createDirectories(data);
            EmbeddedPostgres server;
            try {
                server = EmbeddedPostgresFixture.startDedicated(data, port);
            } catch (RuntimeException e) {
                spec.commandLine()
                        .getErr()
                        .println(
                                "rivetkit-java postgres: cannot start PostgreSQL on port "
                                        + port
                                        + " with the data dir "
                                        + data
                                        + ": "
                                        + e.getMessage()
                                        + (e.getCause() == null
                                                ? ""
                                                : " (" + e.getCause().getMessage() + ")"));
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        try {
                                            server.close();
                                        } catch (IOException e) {
                                            log.error("stopping PostgreSQL on {}", data, e);
                                        } finally {
                                            stopped.countDown();
                                        }
                                    },
                                    "rivetkit-postgres-shutdown"));
            PrintWriter out = spec.commandLine().getOut();
            // Tests parse "rivetkit-java postgres ready: JDBC_URL".
            out.println(
                    "rivetkit-java postgres ready: "
                            + server.getJdbcUrl("postgres", "postgres")
                            + " (data dir "
                            + data
                            + "; Ctrl-C stops it)");
            out.flush();
            stopped.await();
            return 0;
        }
    }

    /**
     * {@code URL/?w=W&token=T} per workspace; a {@code *} token gets {@code URL/?token=T} (the page
     * asks for the id).
     */
    static List<String> joinLinks(String url, List<String> workspaces, String token) {
        String base = url.replaceAll("/+$", "") + "/?";
        String t = "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        if (workspaces.contains(WorkspaceTokens.ANY_WORKSPACE)) {
            return List.of(base + t);
        }
        return workspaces.stream()
                .map(w -> base + "w=" + URLEncoder.encode(w, StandardCharsets.UTF_8) + "&" + t)
                .toList();
    }
}
