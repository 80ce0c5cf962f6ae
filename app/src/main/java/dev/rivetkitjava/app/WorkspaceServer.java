package dev.rivetkitjava.app;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.ActorStore;
import dev.rivetkitjava.actor.store.postgres.PostgresActorStore;
import dev.rivetkitjava.actor.store.postgres.PostgresActorStoreException;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.cluster.ClusterNode;
import dev.rivetkitjava.cluster.ClusterPlacement;
import dev.rivetkitjava.postgres.PostgresPool;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.sandboxagent.pinned.PinnedSandboxAgent;
import dev.rivetkitjava.server.ClusterView;
import dev.rivetkitjava.server.RivetServer;
import dev.rivetkitjava.workspace.PermissionPolicy;
import dev.rivetkitjava.workspace.WorkspaceAccess;
import dev.rivetkitjava.workspace.WorkspaceActor;
import dev.rivetkitjava.workspace.WorkspaceConfig;
import dev.rivetkitjava.workspace.WorkspaceLimits;
import dev.rivetkitjava.workspace.WorkspaceTokens;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code serve} runs: the actors (the workspace and the canonical counter) on the embedded
 * SQLite store (or a PostgreSQL database, {@code --store}), the RivetKit server with the workspace
 * page at {@code /}, and the Sandbox Agent server the workspaces drive — one this process starts
 * itself with the offline stand-in agent, or one the user already runs.
 */
public final class WorkspaceServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkspaceServer.class);

    /**
     * The classpath folder the build puts the workspace page in (web/build.sh, run by this module's
     * pom).
     */
    static final String WEB_PAGE = "web";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration CLUSTER_JOIN_TIMEOUT = Duration.ofSeconds(60);

    /**
     * What {@code serve}'s flags set; {@link #builder(Path)} gives the defaults.
     *
     * @param token the token of every actor route ({@code --token}), or null
     * @param adminToken the admin routes' token ({@code --admin-token}), or null: {@code token},
     *     and in token mode without either they are closed
     * @param publicUrl the URL browsers reach the server at ({@code --public-url}), or null
     * @param allowedHosts more names for the {@code Host} header ({@code --allowed-host})
     * @param storeUrl the PostgreSQL actor store's JDBC URL ({@code --store}), or null for the
     *     SQLite file {@code actors.db} in the data dir
     * @param sandboxAgentUrl a Sandbox Agent server to use, or null to start one
     * @param sandboxAgentDir {@code sandbox-agent-server/} of this checkout (the pinned binary and
     *     the stand-in agents), used when {@code sandboxAgentUrl} is null
     * @param authSecretFile the sign-in tokens' secret ({@code --auth-secret-file}), or null for
     *     open demo mode
     * @param cluster cluster mode ({@code --cluster-port}, {@code --seed-nodes}), or null for one
     *     node
     */
    public record Options(
            String host,
            int port,
            Path dataDir,
            @Nullable String storeUrl,
            @Nullable String token,
            @Nullable String adminToken,
            Set<String> corsOrigins,
            @Nullable String publicUrl,
            Set<String> allowedHosts,
            int maxSubscriptionsPerConnection,
            int maxConnections,
            Duration drainPeriod,
            String agent,
            @Nullable String sandboxAgentUrl,
            @Nullable String sandboxAgentToken,
            @Nullable Path sandboxAgentDir,
            @Nullable Path authSecretFile,
            PermissionPolicy permissionPolicy,
            Duration permissionTimeout,
            WorkspaceLimits limits,
            @Nullable Cluster cluster) {

        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(dataDir, "dataDir");
            corsOrigins = Set.copyOf(corsOrigins);
            allowedHosts = Set.copyOf(allowedHosts);
            Objects.requireNonNull(drainPeriod, "drainPeriod");
            Objects.requireNonNull(agent, "agent");
            Objects.requireNonNull(permissionPolicy, "permissionPolicy");
            Objects.requireNonNull(permissionTimeout, "permissionTimeout");
            Objects.requireNonNull(limits, "limits");
            if (cluster != null && storeUrl == null) {
                throw new IllegalArgumentException(
                        "--cluster-port needs --store: every node of a cluster keeps the actors in the same PostgreSQL database");
            }
        }

        /**
         * @param port the cluster port on the server's host
         * @param seedNodes {@code host:port} of the seed nodes
         */
        public record Cluster(int port, List<String> seedNodes) {
            public Cluster {
                seedNodes = List.copyOf(seedNodes);
            }
        }

        /**
         * Defaults as {@code serve}'s: 127.0.0.1:6420, open demo mode, agent {@code codex}, reject
         * after 10 minutes.
         */
        public static Builder builder(Path dataDir) {
            return new Builder(dataDir);
        }

        /** {@link Options} with {@code serve}'s defaults. */
        public static final class Builder {
            private String host = "127.0.0.1";
            private int port = 6420;
            private final Path dataDir;
            private @Nullable String storeUrl;
            private @Nullable Cluster cluster;
            private @Nullable String token;
            private @Nullable String adminToken;
            private Set<String> corsOrigins = Set.of();
            private @Nullable String publicUrl;
            private Set<String> allowedHosts = Set.of();
            private int maxSubscriptionsPerConnection = 64;
            private int maxConnections = 10_000;
            private Duration drainPeriod = Duration.ofSeconds(2);
            private String agent = "codex";
            private @Nullable String sandboxAgentUrl;
            private @Nullable String sandboxAgentToken;
            private @Nullable Path sandboxAgentDir;
            private @Nullable Path authSecretFile;
            private PermissionPolicy permissionPolicy = PermissionPolicy.REJECT;
            private Duration permissionTimeout = Duration.ofMinutes(10);
            private WorkspaceLimits limits = WorkspaceLimits.DEFAULTS;

            private Builder(Path dataDir) {
                this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
            }

            public Builder host(String host) {
                this.host = host;
                return this;
            }

            public Builder port(int port) {
                this.port = port;
                return this;
            }

            /**
             * The actors in PostgreSQL at this JDBC URL instead of the data dir's SQLite file
             * (null: SQLite).
             */
            /**
             * Cluster mode on {@code port} (null: one node) with these seed nodes (empty: this node
             * forms the cluster alone).
             */
            public Builder cluster(@Nullable Integer port, List<String> seedNodes) {
                this.cluster =
                        port == null
                                ? null
                                : new Cluster(
                                        port,
                                        seedNodes.isEmpty()
                                                ? List.of(host + ":" + port)
                                                : seedNodes);
                return this;
            }

            public Builder storeUrl(@Nullable String jdbcUrl) {
                this.storeUrl = jdbcUrl;
                return this;
            }

            public Builder token(@Nullable String token) {
                this.token = token;
                return this;
            }

            public Builder adminToken(@Nullable String adminToken) {
                this.adminToken = adminToken;
                return this;
            }

            public Builder corsOrigins(Set<String> origins) {
                this.corsOrigins = origins;
                return this;
            }

            public Builder publicUrl(@Nullable String url) {
                this.publicUrl = url;
                return this;
            }

            public Builder allowedHosts(Set<String> hosts) {
                this.allowedHosts = hosts;
                return this;
            }

            public Builder maxSubscriptionsPerConnection(int max) {
                this.maxSubscriptionsPerConnection = max;
                return this;
            }

            public Builder maxConnections(int max) {
                this.maxConnections = max;
                return this;
            }

            public Builder drainPeriod(Duration period) {
                this.drainPeriod = period;
                return this;
            }

            public Builder agent(String agent) {
                this.agent = agent;
                return this;
            }

            /** A Sandbox Agent server to use (with its token, or null) instead of starting one. */
            public Builder sandboxAgent(@Nullable String url, @Nullable String token) {
                this.sandboxAgentUrl = url;
                this.sandboxAgentToken = token;
                return this;
            }

            public Builder sandboxAgentDir(@Nullable Path dir) {
                this.sandboxAgentDir = dir;
                return this;
            }

            /** Token mode: connections need a sign-in token signed with the secret in this file. */
            public Builder authSecretFile(@Nullable Path file) {
                this.authSecretFile = file;
                return this;
            }

            public Builder permissionPolicy(PermissionPolicy policy) {
                this.permissionPolicy = policy;
                return this;
            }

            public Builder permissionTimeout(Duration timeout) {
                this.permissionTimeout = timeout;
                return this;
            }

            public Builder limits(WorkspaceLimits limits) {
                this.limits = limits;
                return this;
            }

            public Options build() {
                return new Options(
                        host,
                        port,
                        dataDir,
                        storeUrl,
                        token,
                        adminToken,
                        corsOrigins,
                        publicUrl,
                        allowedHosts,
                        maxSubscriptionsPerConnection,
                        maxConnections,
                        drainPeriod,
                        agent,
                        sandboxAgentUrl,
                        sandboxAgentToken,
                        sandboxAgentDir,
                        authSecretFile,
                        permissionPolicy,
                        permissionTimeout,
                        limits,
                        cluster);
            }
        }
    }

    private final DataDirLock lock;
    private final String store;
    private final Thread shutdownHook = new Thread(this::close, "rivetkit-serve-shutdown");

    /**
     * What {@link #start} opened so far; {@link #close()} closes what is there. Guarded by this.
     */
    private @Nullable SandboxAgentServer sandboxAgent;

    private @Nullable Registry registry;
    private @Nullable ClusterNode clusterNode;

    /** Set once this node leaves the cluster on purpose (its actor system then terminates). */
    private volatile boolean leaving;

    private @Nullable RivetServer server;
    private boolean signInRequired;
    private boolean closed;

    private WorkspaceServer(DataDirLock lock, String store) {
        this.lock = lock;
        this.store = store;
    }

    /**
     * Starts it all: takes the data dir's lock (one {@code serve} per data dir), opens the store,
     * starts the Sandbox Agent server and listens. A start that fails closes whatever it opened,
     * lock included. A JVM that exits closes the server in {@link #close()}'s order (its own
     * shutdown hook), not in parallel with it.
     *
     * @throws IllegalArgumentException when the options cannot serve safely: open mode on an
     *     address other machines reach, a missing or too short secret file (the message says what
     *     to do)
     * @throws IllegalStateException when another {@code serve} holds the data dir (the message
     *     names its PID), the PostgreSQL store cannot be reached within its pool's timeouts, or the
     *     port cannot be bound
     */
    public static WorkspaceServer start(Options options) throws Exception {
        WorkspaceAccess access = access(options);
        DataDirLock lock = DataDirLock.acquire(options.dataDir());
        WorkspaceServer started =
                new WorkspaceServer(
                        lock,
                        options.storeUrl() == null
                                ? sqliteFile(options).toString()
                                // Without the URL's parameters, which may hold a password.
                                : "PostgreSQL "
                                        + PostgresPool.describe("public", options.storeUrl()));
        try {
            Runtime.getRuntime().addShutdownHook(started.shutdownHook);
            started.open(options, access);
            return started;
        } catch (Throwable e) {
            started.close();
            throw e;
        }
    }

    private synchronized void open(Options options, WorkspaceAccess access) throws Exception {
        // First, so that an unreachable database fails the start before any process is started.
        ActorStore actorStore = openStore(options);
        try {
            build(options, access, actorStore);
        } catch (Throwable e) {
            if (registry == null) {
                actorStore.close();
            }
            throw e;
        }
    }

    private void build(Options options, WorkspaceAccess access, ActorStore actorStore)
            throws Exception {
        String baseUrl = options.sandboxAgentUrl();
        String sandboxAgentToken = options.sandboxAgentToken();
        if (baseUrl == null) {
            // Its own random token, known to this process's workspaces only: no other local process
            // drives its agents.
            sandboxAgentToken = randomToken();
            sandboxAgent = startSandboxAgent(options, sandboxAgentToken);
            baseUrl = sandboxAgent.baseUrl();
        }
        WorkspaceConfig workspaces =
                WorkspaceConfig.builder(baseUrl)
                        .token(sandboxAgentToken)
                        .sandboxId(sandboxAgent == null ? sandboxId(baseUrl) : "local")
                        .defaultAgent(options.agent())
                        .access(access)
                        .permissionPolicy(options.permissionPolicy())
                        .permissionTimeout(options.permissionTimeout())
                        .limits(options.limits())
                        .build();
        Registry.Builder actors =
                Registry.builder()
                        .use(WorkspaceActor.type(workspaces))
                        .use(Counter.TYPE)
                        .store(actorStore);
        if (options.cluster() == null) {
            registry = actors.build();
        } else {
            clusterNode =
                    ClusterNode.start(
                            new ClusterNode.Settings(
                                    options.host(),
                                    options.cluster().port(),
                                    options.cluster().seedNodes(),
                                    options.publicUrl() != null
                                            ? options.publicUrl()
                                            : "http://" + options.host() + ":" + options.port()),
                            actors,
                            CLUSTER_JOIN_TIMEOUT);
            registry = clusterNode.registry();
            clusterNode
                    .system()
                    .getWhenTerminated()
                    .thenRun(
                            () -> {
                                if (!leaving) {
                                    // Downed (the minority side of a partition, a long pause): its
                                    // actors now run elsewhere, so this serve stops (exit 3) to be
                                    // restarted rather than answer errors.
                                    log.error("this node was removed from the cluster; stopping");
                                    Thread.ofPlatform().start(() -> System.exit(3));
                                }
                            });
        }
        signInRequired = access != WorkspaceAccess.open();
        RivetServer.Builder builder =
                RivetServer.builder(registry)
                        .host(options.host())
                        .port(options.port())
                        .token(options.token())
                        .adminToken(options.adminToken())
                        // A team's server does not list its workspaces to whoever asks.
                        .adminRoutesOpen(!signInRequired)
                        .corsOrigins(options.corsOrigins())
                        .publicUrl(options.publicUrl())
                        .allowedHosts(options.allowedHosts())
                        .maxSubscriptionsPerConnection(options.maxSubscriptionsPerConnection())
                        .maxConnections(options.maxConnections())
                        .drainPeriod(options.drainPeriod())
                        .staticResources(WEB_PAGE);
        if (clusterNode != null) {
            builder.cluster(clusterView(clusterNode));
        }
        RivetServer built = builder.build();
        try {
            server = built.start();
        } catch (java.io.IOException e) {
            built.close();
            throw new IllegalStateException(
                    "cannot listen on "
                            + options.host()
                            + ":"
                            + options.port()
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    private static ClusterView clusterView(ClusterNode node) {
        return new ClusterView() {
            @Override
            public List<Map<String, Object>> members() {
                return node.members();
            }

            @Override
            public Map<String, Object> owner(String actorId) {
                return node.placement().locate(actorId);
            }

            @Override
            public Counters counters() {
                ClusterPlacement placement = node.placement();
                return new Counters(
                        placement.forwardedCalls(),
                        placement.retriedCalls(),
                        placement.handOvers(),
                        placement.reattachedConnections());
            }
        };
    }

    private static Path sqliteFile(Options options) {
        return options.dataDir().resolve("actors.db").toAbsolutePath();
    }

    /**
     * PostgreSQL ({@code --store}, schema {@code public}, its default pool and timeouts), else the
     * SQLite file.
     */
    private static ActorStore openStore(Options options) {
        if (options.storeUrl() == null) {
            return SqliteActorStore.open(sqliteFile(options));
        }
        try {
            return PostgresActorStore.open(options.storeUrl());
        } catch (PostgresActorStoreException e) {
            throw new IllegalStateException(
                    "cannot open the actor store (--store): " + e.getMessage(), e);
        }
    }

    /**
     * Sign-in tokens with {@code --auth-secret-file}; else open demo mode, on a loopback address
     * only.
     */
    private static WorkspaceAccess access(Options options) throws UnknownHostException {
        if (options.authSecretFile() != null) {
            return WorkspaceTokens.fromSecretFile(options.authSecretFile());
        }
        InetAddress bound = InetAddress.getByName(options.host());
        if (!bound.isLoopbackAddress()) {
            throw new IllegalArgumentException(
                    "open mode serves this machine only; pass --auth-secret-file to serve a "
                            + "team (--host "
                            + options.host()
                            + " is not a loopback address)");
        }
        return WorkspaceAccess.open();
    }

    /**
     * What {@code getSessionInfo()} tells clients about a Sandbox Agent server given by URL: an id,
     * not the URL.
     */
    static String sandboxId(String url) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(url.getBytes(StandardCharsets.UTF_8));
            return "sbx_" + HexFormat.of().formatHex(digest).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
    }

    /** 48 hex characters (192 bits) from SecureRandom. */
    static String randomToken() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * The pinned Sandbox Agent server, with {@code codex} (and {@code amp}) as offline stand-ins,
     * in the data dir.
     */
    private static SandboxAgentServer startSandboxAgent(Options options, String token) {
        if (options.sandboxAgentDir() == null) {
            throw new IllegalStateException(
                    "no Sandbox Agent server to start: run through bin/rivetkit-java (it "
                            + "installs sandbox-agent-server/), or pass --sandbox-agent-url");
        }
        Path home = options.dataDir().resolve("sandbox-agent").toAbsolutePath();
        // Stopped by close(), after the workspaces let go of it: not by the JVM's exit at the same
        // time as they sleep.
        Path binary = PinnedSandboxAgent.at(options.sandboxAgentDir()).prepare(home);
        SandboxAgentServer server =
                SandboxAgentServer.builder()
                        .binary(binary)
                        .dataHome(home)
                        .pidFile(home.resolve("server.pid"))
                        .token(token)
                        .stopOnJvmExit(false)
                        .start();
        if (options.agent().equals("codex") || options.agent().equals("amp")) {
            log.warn(
                    "agent '{}' is a STAND-IN, not the real {}: {} (offline, no credentials). Use --agent for "
                            + "another agent, or --sandbox-agent-url for a Sandbox Agent server with real agents.",
                    options.agent(),
                    options.agent(),
                    options.agent().equals("codex")
                            ? "the ACP SDK's example agent, which streams text, tool calls and a permission request"
                            : "the project's fast test agent");
        }
        return server;
    }

    public synchronized String endpoint() {
        // Set once start returns: it either opened everything or closed it and threw.
        return Objects.requireNonNull(server, "not started").endpoint();
    }

    /**
     * Where the actors are: the SQLite file, or the PostgreSQL server and database (without the
     * URL's parameters).
     */
    /** This node's cluster address, or null when it runs on no cluster. */
    public synchronized @Nullable String clusterAddress() {
        return clusterNode == null ? null : clusterNode.address();
    }

    public String store() {
        return store;
    }

    /** The file holding the data dir's lock while this server runs. */
    public Path lockFile() {
        return lock.file();
    }

    /** Token mode ({@code --auth-secret-file}): every connection needs a sign-in token. */
    public synchronized boolean signInRequired() {
        return signInRequired;
    }

    /** The managed Sandbox Agent server's URL (null when {@code --sandbox-agent-url} was given). */
    public synchronized @Nullable String sandboxAgentUrl() {
        return sandboxAgent == null ? null : sandboxAgent.baseUrl();
    }

    /**
     * The one shutdown path (Ctrl-C, SIGTERM, a failed start), in order: new requests are told to
     * retry; every actor sleeps with its state saved (a workspace disposes its SDK, so its agent
     * session ends cleanly) and the store closes; then the Sandbox Agent server stops and the data
     * dir's lock is released (a next {@code serve} may start); the port answers "retry" for the
     * drain period, then it is released. Idempotent; a second caller (the JVM's hook and {@code
     * serve}'s) waits until the first is done.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (clusterNode != null) {
                leaving = true;
                // First the hand-over: the other nodes take this one's actors (each put to sleep
                // here, state saved) while this server still forwards to them.
                clusterNode.leave();
            }
            if (server != null) {
                server.close(this::releaseAfterActors);
            } else {
                try {
                    if (registry != null) {
                        registry.close();
                    }
                } finally {
                    releaseAfterActors();
                }
            }
        } finally {
            if (Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException | IllegalArgumentException e) {
                    // The JVM is exiting (its hook runs, or waits for this call), or the hook was
                    // never added.
                }
            }
        }
    }

    private void releaseAfterActors() {
        try {
            if (sandboxAgent != null) {
                sandboxAgent.stop();
            }
        } finally {
            lock.close();
        }
    }
}
