package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.protocol.Encoding;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * The benchmarks' side of the wire (the load tool's and the workspace relay figures'): a few {@code
 * java.net.http} clients (each has one selector thread) that connections are spread over, and
 * bounded parallel opening of many connections.
 */
public final class LoadClients implements AutoCloseable {
    /** Connections opened (null where one failed) and why the failed ones failed. */
    public record Opened(
            List<ProtocolConnection> connections, Map<String, Integer> failures, double seconds) {
        public List<ProtocolConnection> open() {
            return connections.stream().filter(c -> c != null).toList();
        }

        public int failed() {
            return failures.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    static final int ATTEMPTS = 5;

    /** A short random tag so repeated runs against a long-lived endpoint use fresh actors. */
    public static String runId() {
        return Long.toString(
                ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
    }

    private final List<HttpClient> clients = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private final String endpoint;
    private final Encoding encoding;

    public LoadClients(String endpoint, Encoding encoding, int count, String executor) {
        this.endpoint = endpoint;
        this.encoding = encoding;
        for (int i = 0; i < count; i++) {
            HttpClient.Builder builder =
                    HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30));
            if (executor.equals("direct")) {
                builder.executor(Runnable::run);
            } else if (executor.equals("virtual")) {
                builder.executor(Executors.newVirtualThreadPerTaskExecutor());
            }
            clients.add(builder.build());
        }
    }

    public String endpoint() {
        return endpoint;
    }

    public Encoding encoding() {
        return encoding;
    }

    /** {@code GET /metadata}, as every official client does first; fails if nothing answers. */
    public String metadata() throws Exception {
        HttpResponse<String> response =
                clients.getFirst()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        endpoint + "/metadata?namespace=default"))
                                        .timeout(Duration.ofSeconds(30))
                                        .header("User-Agent", "rivetkit-java-load")
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "GET /metadata answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    /** Opens {@code count} connections to {@code counter}/{@code key(i)} (see the general form). */
    public Opened open(
            int count,
            IntFunction<String> key,
            @Nullable IntFunction<ProtocolConnection.EventSink> sinks,
            int parallel,
            Duration timeout)
            throws InterruptedException {
        return open("counter", count, key, sinks, parallel, timeout);
    }

    /**
     * Opens {@code count} connections to actor {@code name}/{@code key(i)}, at most {@code
     * parallel} handshakes at a time, each given {@code timeout} to reach {@code Init}.
     */
    public Opened open(
            String name,
            int count,
            IntFunction<String> key,
            @Nullable IntFunction<ProtocolConnection.EventSink> sinks,
            int parallel,
            Duration timeout)
            throws InterruptedException {
        return open(name, count, key, sinks, i -> null, parallel, timeout);
    }

    /** As above, each connection with the params {@code params(i)} (null for none). */
    public Opened open(
            String name,
            int count,
            IntFunction<String> key,
            @Nullable IntFunction<ProtocolConnection.EventSink> sinks,
            IntFunction<JsonNode> params,
            int parallel,
            Duration timeout)
            throws InterruptedException {
        ProtocolConnection[] connections = new ProtocolConnection[count];
        Map<String, Integer> failures = new TreeMap<>();
        Semaphore slots = new Semaphore(parallel);
        long start = System.nanoTime();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                int index = i;
                slots.acquire();
                threads.execute(
                        () -> {
                            try {
                                connections[index] =
                                        openOne(
                                                name,
                                                key.apply(index),
                                                sinks == null ? null : sinks.apply(index),
                                                params.apply(index),
                                                timeout);
                            } catch (Exception e) {
                                Throwable cause =
                                        e instanceof ExecutionException && e.getCause() != null
                                                ? e.getCause()
                                                : e;
                                String why =
                                        cause.getClass().getSimpleName()
                                                + ": "
                                                + String.valueOf(cause.getMessage());
                                why = why.replaceAll("#[0-9a-z]+", "#…"); // ray ids
                                synchronized (failures) {
                                    failures.merge(
                                            why.length() > 160 ? why.substring(0, 160) : why,
                                            1,
                                            Integer::sum);
                                }
                            } finally {
                                slots.release();
                            }
                        });
            }
        }
        return new Opened(Arrays.asList(connections), failures, (System.nanoTime() - start) / 1e9);
    }

    /**
     * One connection, up to {@link #ATTEMPTS} tries: like the official client, it opens again when
     * the server closes with a lifecycle signal before {@code Init} (e.g. the engine's {@code
     * actor.destroyed_during_creation} when many clients getOrCreate one new key at once).
     */
    private ProtocolConnection openOne(
            String name,
            String key,
            ProtocolConnection.@Nullable EventSink sink,
            @Nullable JsonNode params,
            Duration timeout)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            HttpClient http = clients.get(Math.floorMod(next.getAndIncrement(), clients.size()));
            CompletableFuture<ProtocolConnection> opening =
                    ProtocolConnection.open(http, endpoint, name, key, encoding, sink, params);
            try {
                ProtocolConnection connection =
                        opening.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                connection.init().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return connection;
            } catch (Exception e) {
                opening.thenAccept(ProtocolConnection::abort);
                String why =
                        String.valueOf(
                                e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
                if (!isLifecycleFailure(why) || attempt >= ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(250L * attempt);
            }
        }
    }

    /**
     * Whether a connection that failed before {@code Init} for {@code why} is worth opening again:
     * the server closed it with a lifecycle signal (e.g. the engine's {@code
     * pegboard.route_subscribe_timeout}: too busy, it did not route the connection in time).
     */
    static boolean isLifecycleFailure(String why) {
        return why.contains("1011 actor.")
                || why.contains("1011 guard.")
                || why.contains("1011 pegboard.")
                || why.contains("ws.going_away");
    }

    /**
     * Closes every connection (a close frame, dropped after a second), at most {@code parallel} at
     * a time.
     */
    public static void closeAll(List<ProtocolConnection> connections, int parallel) {
        Semaphore slots = new Semaphore(parallel);
        List<CompletableFuture<String>> closing = new ArrayList<>();
        for (ProtocolConnection c : connections) {
            if (c == null) {
                continue;
            }
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            closing.add(c.close().whenComplete((r, x) -> slots.release()));
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            connections.forEach(
                    c -> {
                        if (c != null) {
                            c.abort();
                        }
                    });
        }
    }

    @Override
    public void close() {
        for (HttpClient client : clients) {
            client.shutdownNow();
        }
    }
}
