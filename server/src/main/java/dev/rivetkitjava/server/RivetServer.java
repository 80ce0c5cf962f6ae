package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.Registry;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.ResourceService;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link Registry} over RivetKit's client protocol, so {@code createClient({ endpoint })}
 * from npm {@code rivetkit} works against it unchanged, with no Rivet Engine. Closing the server
 * closes the registry.
 *
 * <pre>{@code
 * try (Registry registry = Registry.builder().use(COUNTER).build();
 *      RivetServer server = RivetServer.builder(registry).port(6420).build().start()) {
 *     ...
 * }
 * }</pre>
 */
public final class RivetServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RivetServer.class);

    private final Server jetty;
    private final ServerConnector connector;
    private final OpenSockets sockets = new OpenSockets();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService pinger =
            Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("rivetkit-ws-ping").factory());
    private final String host;
    private final Registry registry;
    private final Duration drainPeriod;
    private final Duration pingInterval;
    private final AtomicBoolean draining = new AtomicBoolean();

    private RivetServer(Builder b) {
        this.host = b.host;
        this.registry = b.registry;
        this.drainPeriod = b.drainPeriod;
        this.pingInterval = b.pingInterval;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("rivetkit-http");
        threads.setVirtualThreadsExecutor(new VirtualThreadPool());
        jetty = new Server(threads);
        connector = new ServerConnector(jetty);
        connector.setHost(b.host);
        connector.setPort(b.port);
        // A new server may bind the port while this one drains: restarts leave no moment without a
        // listener.
        connector.setReusePort(true);
        jetty.addConnector(connector);
        // Past the limit the server stops accepting (new connections wait in the kernel's backlog)
        // rather than run out of file descriptors and memory.
        jetty.addBean(new NetworkConnectionLimit(b.maxConnections, connector));
        ServerConfig config =
                new ServerConfig(
                        b.token,
                        b.adminToken,
                        b.adminRoutesOpen,
                        new OriginPolicy(b.host, b.publicUrl, b.allowedHosts, b.corsOrigins),
                        b.namespaces,
                        b.maxIncomingMessageBytes,
                        b.maxHttpBodyBytes,
                        b.maxConnParamsBytes,
                        b.maxQueryInputBytes,
                        b.maxPendingOutboundBytes,
                        b.maxSubscriptionsPerConnection);
        if (config.origins().anyOrigin()) {
            log.warn(
                    "CORS allows any origin (`*`): any web page a user of this server visits can call its actors");
        }
        WireValues values = new WireValues(b.registry.objectMapper());
        ServerMetrics metrics = new ServerMetrics(b.registry.placement(), sockets, b.cluster);
        ServerContext context =
                new ServerContext(
                        b.registry.placement(),
                        values,
                        config,
                        executor,
                        sockets,
                        metrics,
                        draining,
                        b.staticResources == null ? null : staticFiles(jetty, b.staticResources),
                        b.cluster);
        ConnectUpgrade upgrade = new ConnectUpgrade(context);
        WebSocketUpgradeHandler webSockets =
                WebSocketUpgradeHandler.from(
                        jetty,
                        container -> {
                            // Jetty's own limit is a backstop; the endpoint enforces RivetKit's
                            // with RivetKit's close reason.
                            container.setMaxBinaryMessageSize(4L * b.maxIncomingMessageBytes);
                            container.setMaxTextMessageSize(4L * b.maxIncomingMessageBytes);
                            container.setIdleTimeout(Duration.ofMinutes(2));
                            container.addMapping("/*", upgrade);
                        });
        webSockets.setHandler(new HttpRoutes(context));
        jetty.setHandler(new GuardHandler(context, webSockets));
    }

    /**
     * The files of a classpath folder, served for GET and HEAD below {@code /} (index.html for a
     * folder). No listings; Jetty resolves every path inside the folder and refuses any that would
     * leave it.
     */
    private static ResourceHandler staticFiles(Server jetty, String classpathFolder) {
        Resource root = ResourceFactory.of(jetty).newClassLoaderResource(classpathFolder);
        if (root == null || !root.isDirectory()) {
            throw new IllegalArgumentException(
                    "staticResources: no folder `" + classpathFolder + "` on the classpath");
        }
        ResourceHandler files = new ResourceHandler();
        files.setBaseResource(root);
        files.setDirAllowed(false);
        files.setWelcomeFiles("index.html");
        files.setWelcomeMode(ResourceService.WelcomeMode.SERVE);
        // Revalidate (ETag) on every load, so a rebuilt page is never stale in a browser's cache.
        files.setCacheControl("no-cache");
        files.setServer(jetty);
        jetty.addBean(files, true);
        return files;
    }

    public static Builder builder(Registry registry) {
        return new Builder(registry);
    }

    /** Starts listening; returns this. */
    public RivetServer start() throws Exception {
        jetty.start();
        // The protocol has no pings of its own; these keep idle viewers' sockets (and proxies)
        // alive, and find the clients that are gone: two pings unanswered and half a period more.
        long every = pingInterval.toNanos();
        pinger.scheduleAtFixedRate(
                () -> sockets.pingAll(every * 5 / 2), every, every, TimeUnit.NANOSECONDS);
        return this;
    }

    /** The port it listens on (the real one when built with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The URL to give {@code createClient({ endpoint })}. */
    public String endpoint() {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    /** Open {@code /connect} sockets. */
    public int connections() {
        return sockets.count();
    }

    /**
     * Shuts down so that clients find the next server: new requests get the retryable {@code
     * guard.service_unavailable}; the registry closes (every actor sleeps with its state saved, and
     * its sockets close with {@code actor.stopped}); the remaining sockets close with {@code
     * ws.going_away}; the port keeps answering "retry" for the drain period, during which a new
     * server can bind it too; then it is released. The official client reconnects on those signals
     * and keeps retrying while they last.
     */
    @Override
    public void close() {
        close(() -> {});
    }

    /**
     * {@link #close()}, running {@code afterActorsStopped} once every actor sleeps (and the
     * registry, with its store, is closed), before the drain: what the actors used (an agent
     * server, a lock on their data) is released while the port still answers "retry".
     */
    public void close(Runnable afterActorsStopped) {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        try {
            registry.close();
        } finally {
            afterActorsStopped.run();
        }
        sockets.goAwayAll();
        if (!drainPeriod.isZero()) {
            log.info("draining for {} ms: clients are told to retry", drainPeriod.toMillis());
            try {
                Thread.sleep(drainPeriod);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        pinger.shutdownNow();
        try {
            jetty.stop();
        } catch (Exception e) {
            log.warn("stopping the HTTP server failed", e);
        }
        executor.shutdown();
    }

    /** Server settings; limits default to RivetKit's. */
    public static final class Builder {
        private final Registry registry;
        private String host = "127.0.0.1";
        private int port = 6420;
        private @Nullable String token;
        private @Nullable String adminToken;
        private boolean adminRoutesOpen = true;
        private @Nullable String publicUrl;
        private Set<String> allowedHosts = Set.of();
        private Set<String> corsOrigins = Set.of();
        private int maxSubscriptionsPerConnection = 64;
        private int maxConnections = 10_000;
        private Set<String> namespaces = Set.of("default");
        private int maxIncomingMessageBytes = 64 * 1024;
        private int maxHttpBodyBytes = 20 * 1024 * 1024;
        private int maxConnParamsBytes = 4 * 1024;
        private int maxQueryInputBytes = 4 * 1024;
        private long maxPendingOutboundBytes = 16L * 1024 * 1024;
        private Duration drainPeriod = Duration.ZERO;
        private Duration pingInterval = Duration.ofSeconds(30);
        private @Nullable String staticResources;
        private @Nullable ClusterView cluster;

        private Builder(Registry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * The address to bind (default 127.0.0.1: reachable from this machine only). It is also a
         * name the server answers to in {@code Host} (see {@link #allowedHosts}); bound to a
         * wildcard ({@code 0.0.0.0}, {@code ::}), the server answers any IP address in {@code
         * Host}, but still no other name.
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port (default 6420, RivetKit's default endpoint; 0 picks a free one). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * Every actor route and the actors API then require this token, sent the way the official
         * client sends it ({@code token} option). Without an {@link #adminToken}, the admin routes
         * take this token too.
         */
        public Builder token(@Nullable String token) {
            this.token = token;
            return this;
        }

        /**
         * The token of the admin routes: {@code GET /actors} listing a type's actors by {@code
         * name} alone, {@code DELETE /actors/{id}} and {@code GET /metrics}, sent as {@code
         * Authorization: Bearer} or {@code x-rivet-token}. Those routes then take this token only
         * (not {@link #token}); the official client's own lookups (by name and key, or by ids) are
         * not admin routes. Default: none, and the admin routes need {@link #token} if there is
         * one, else see {@link #adminRoutesOpen}.
         */
        public Builder adminToken(@Nullable String adminToken) {
            this.adminToken = adminToken;
            return this;
        }

        /**
         * Whether the admin routes (see {@link #adminToken}) answer when neither an admin token nor
         * a {@link #token} is set (default true, as the engine in development). False refuses them
         * with 403 {@code guard.admin_token_required}.
         */
        public Builder adminRoutesOpen(boolean open) {
            this.adminRoutesOpen = open;
            return this;
        }

        /**
         * The URL browsers reach the server at, e.g. {@code https://agents.example.com} behind a
         * proxy: its origin is allowed as the server's own (CORS and WebSocket {@code Origin}) and
         * its host name in {@code Host}. Fails at {@link #build()} if it is not an http(s) URL with
         * a host.
         */
        public Builder publicUrl(@Nullable String url) {
            this.publicUrl = url;
            return this;
        }

        /**
         * Further names (or IP addresses) the server answers to in the {@code Host} header. By
         * default it answers {@code localhost}, the bound {@link #host} and {@link #publicUrl}'s
         * host only, which refuses pages that reach it under a hostile name resolving to this
         * machine (DNS rebinding): 403 {@code guard.host_not_allowed}. The port in {@code Host} is
         * not checked. A request without {@code Host} is refused.
         */
        public Builder allowedHosts(Set<String> hosts) {
            this.allowedHosts = Set.copyOf(hosts);
            return this;
        }

        /**
         * Browser origins (e.g. {@code https://app.example.com}) whose pages may call the server,
         * besides its own (a page it serves itself, or {@link #publicUrl}'s). A request or
         * WebSocket upgrade that carries any other {@code Origin} is refused with 403 {@code
         * guard.origin_not_allowed}; allowed ones are echoed with credentials. Requests with no
         * {@code Origin} (the Node client, curl) are not affected. {@code *} allows every origin,
         * as the engine does: unsafe, since any page a user visits could then call the server.
         */
        public Builder corsOrigins(Set<String> origins) {
            this.corsOrigins = Set.copyOf(origins);
            return this;
        }

        /**
         * How many network connections (HTTP and WebSocket) the server holds open at a time
         * (default 10 000). At the limit it accepts no more until one closes: the next ones wait in
         * the kernel's accept queue instead of being refused.
         */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1");
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * How many distinct events one connection may subscribe to at a time (default 64); a
         * subscription past it closes the connection with {@code actor.too_many_subscriptions}.
         * Unsubscribing frees a slot.
         */
        public Builder maxSubscriptionsPerConnection(int max) {
            if (max < 0) {
                throw new IllegalArgumentException(
                        "maxSubscriptionsPerConnection must not be negative");
            }
            this.maxSubscriptionsPerConnection = max;
            return this;
        }

        /** The namespaces clients may name (default {@code default}). */
        public Builder namespaces(Set<String> namespaces) {
            this.namespaces = Set.copyOf(namespaces);
            return this;
        }

        /** Largest WebSocket message a client may send (default 64 KiB, RivetKit's). */
        public Builder maxIncomingMessageBytes(int bytes) {
            this.maxIncomingMessageBytes = bytes;
            return this;
        }

        /** Largest HTTP request body (default 20 MiB). */
        public Builder maxHttpBodyBytes(int bytes) {
            this.maxHttpBodyBytes = bytes;
            return this;
        }

        /**
         * Bytes that may wait to be written to one connection before it is closed as too slow
         * (default 16 MiB).
         */
        public Builder maxPendingOutboundBytes(long bytes) {
            this.maxPendingOutboundBytes = bytes;
            return this;
        }

        /**
         * How often {@code /connect} sockets are pinged (default 30 s). A socket from whose client
         * nothing came, not even a pong, for two and a half of these is dropped: its client is
         * gone.
         */
        public Builder pingInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("pingInterval must be positive");
            }
            this.pingInterval = interval;
            return this;
        }

        /**
         * How long {@link #close()} keeps the port answering "retry" so clients reach the next
         * server (default 0).
         */
        public Builder drainPeriod(Duration period) {
            this.drainPeriod = Objects.requireNonNull(period, "period");
            return this;
        }

        /**
         * Also serves a web page: the files of this classpath folder (e.g. {@code "web"}), at
         * {@code /} and below, next to the RivetKit routes (which take precedence). Fails at {@link
         * #build()} if the folder is missing.
         */
        public Builder staticResources(String classpathFolder) {
            this.staticResources = Objects.requireNonNull(classpathFolder, "classpathFolder");
            return this;
        }

        /**
         * The cluster this server's node belongs to, for {@code GET /cluster} (its members) and
         * {@code GET /cluster/actors/{actorId}} (an actor's owner). Default: none (both 404).
         */
        public Builder cluster(ClusterView cluster) {
            this.cluster = Objects.requireNonNull(cluster, "cluster");
            return this;
        }

        public RivetServer build() {
            if (publicUrl != null) {
                OriginPolicy.publicUrl(publicUrl);
            }
            return new RivetServer(this);
        }
    }
}
