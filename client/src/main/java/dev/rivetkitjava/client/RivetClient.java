package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.protocol.Encoding;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * A client for RivetKit actors, speaking RivetKit's client protocol (v4) to a Rivet Engine or to
 * rivetkit-java's server: the Java twin of {@code createClient({ endpoint })}.
 *
 * <pre>{@code
 * try (RivetClient client = RivetClient.create("http://127.0.0.1:6420")) {
 *     ActorHandle counter = client.actor("counter").getOrCreate(List.of("room-1"));
 *     int count = counter.action("increment", Integer.class, 5);
 * }
 * }</pre>
 *
 * One client shares one HTTP client, one metadata lookup and one timer among all its handles and
 * connections; closing it closes every connection it opened. It is safe to use from any number of
 * threads.
 */
public final class RivetClient implements AutoCloseable {
    private final Engine engine;
    private final Wire wire;
    private final Duration actionTimeout;
    private final ExecutorService callbacks = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("rivetkit-client-timer").factory());
    private final Set<ActorConnection> connections = ConcurrentHashMap.newKeySet();
    private final Duration connectTimeout;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RivetClient(Builder b) {
        this.wire = new Wire(b.mapper);
        this.actionTimeout = b.actionTimeout;
        this.connectTimeout = b.connectTimeout;
        HttpClient http =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(b.connectTimeout)
                        .build();
        this.engine =
                new Engine(
                        http,
                        wire,
                        new Engine.Settings(Engine.trimSlash(b.endpoint), b.namespace, b.token),
                        b.poolName,
                        b.encoding,
                        b.actionTimeout);
    }

    /**
     * A client for {@code endpoint} (e.g. {@code http://127.0.0.1:6420}) with the defaults of
     * {@link Builder}.
     */
    public static RivetClient create(String endpoint) {
        return builder().endpoint(endpoint).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The actors of one type, by name (as the JS client writes {@code client.counter}). */
    public ActorAccessor actor(String name) {
        return new ActorAccessor(this, Objects.requireNonNull(name, "name"));
    }

    /**
     * Closes every connection opened through this client, then its HTTP client; handles stop
     * working.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Each waits a moment for the server's close frame: wait for all of them at once.
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (ActorConnection connection : List.copyOf(connections)) {
            closing.add(CompletableFuture.runAsync(connection::close, callbacks));
        }
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).join();
        timer.shutdownNow();
        callbacks.shutdown();
        HttpClient http = engine.http();
        http.shutdown();
        try {
            if (!http.awaitTermination(Duration.ofSeconds(2))) {
                http.shutdownNow();
            }
        } catch (InterruptedException e) {
            http.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    Engine engine() {
        return engine;
    }

    Wire wire() {
        return wire;
    }

    Duration actionTimeout() {
        return actionTimeout;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    ExecutorService callbacks() {
        return callbacks;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    void opened(ActorConnection connection) {
        if (closed.get()) {
            throw new IllegalStateException("the client is closed");
        }
        connections.add(connection);
    }

    void closed(ActorConnection connection) {
        connections.remove(connection);
    }

    /** Client settings; defaults are the JS client's. */
    public static final class Builder {
        private String endpoint = "http://127.0.0.1:6420";
        private Encoding encoding = Encoding.BARE;
        private @Nullable String token;
        private String namespace = "default";
        private String poolName = "default";
        private ObjectMapper mapper = Wire.defaultMapper();
        private Duration actionTimeout = Duration.ofSeconds(60);
        private Duration connectTimeout = Duration.ofSeconds(10);

        private Builder() {}

        /**
         * The engine's (or rivetkit-java server's) URL; a path prefix is kept (default {@code
         * http://127.0.0.1:6420}).
         */
        public Builder endpoint(String endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            return this;
        }

        /** How messages are encoded (default {@link Encoding#BARE}, as the JS client). */
        public Builder encoding(Encoding encoding) {
            this.encoding = Objects.requireNonNull(encoding, "encoding");
            return this;
        }

        /**
         * Sent as {@code Authorization: Bearer} to the actors API, {@code rvt-token} or
         * {@code @token} to the gateway.
         */
        public Builder token(@Nullable String token) {
            this.token = token;
            return this;
        }

        public Builder namespace(String namespace) {
            this.namespace = Objects.requireNonNull(namespace, "namespace");
            return this;
        }

        /** The runner pool actors are created in (default {@code default}). */
        public Builder poolName(String poolName) {
            this.poolName = Objects.requireNonNull(poolName, "poolName");
            return this;
        }

        /** The JSON mapper for arguments, results, inputs, params and events. */
        public Builder objectMapper(ObjectMapper mapper) {
            this.mapper = Objects.requireNonNull(mapper, "mapper");
            return this;
        }

        /**
         * How long an action (stateless or on a connection) may take before the call fails (default
         * 60 s, RivetKit's).
         */
        public Builder actionTimeout(Duration timeout) {
            this.actionTimeout = positive(timeout, "actionTimeout");
            return this;
        }

        /** How long opening a TCP connection may take (default 10 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        public RivetClient build() {
            return new RivetClient(this);
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }
    }

    @Override
    public String toString() {
        return "RivetClient[" + engine.encoding().wireName() + "]";
    }

    static <T> List<T> listOf(T[] values) {
        List<T> list = new ArrayList<>(values.length);
        for (T value : values) {
            list.add(Objects.requireNonNull(value, "a key component is null"));
        }
        return list;
    }
}
