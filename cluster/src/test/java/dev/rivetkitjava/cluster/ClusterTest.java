package dev.rivetkitjava.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.client.ActorConnection;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.server.CompatibilityTest;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three node JVMs on loopback, state in one embedded PostgreSQL, started once for every test here
 * (ordered: the last ones pause or kill a node, and start it again for the next).
 */
@Tag("external")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class ClusterTest {
    static final int NODES = 3;
    static final ObjectMapper JSON = new ObjectMapper();
    static String jdbcUrl;
    static final List<Node> nodes = new ArrayList<>();
    static final int[] clusterPorts = new int[NODES];
    static final int[] httpPorts = new int[NODES];
    static String seeds;

    record Node(String name, Process process, String endpoint, Path log) {}

    @BeforeAll
    static void startCluster() throws Exception {
        jdbcUrl = EmbeddedPostgresFixture.jdbcUrl();
        for (int i = 0; i < NODES; i++) {
            clusterPorts[i] = freePort();
            httpPorts[i] = freePort();
        }
        seeds = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1];
        List<Process> started = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            Path log = Files.createTempFile("cluster-node" + (i + 1), ".log");
            logs.add(log);
            started.add(launch(i, log));
        }
        for (int i = 0; i < NODES; i++) {
            nodes.add(awaitReady(i, started.get(i), logs.get(i)));
        }
    }

    /** Starts node {@code i} (0-based) again on its ports, after it was killed or downed. */
    static void restart(int i) throws Exception {
        assertThat(nodes.get(i).process().isAlive())
                .as("%s still runs", nodes.get(i).name())
                .isFalse();
        Path log = Files.createTempFile("cluster-node" + (i + 1) + "-restarted", ".log");
        nodes.set(i, awaitReady(i, launch(i, log), log));
    }

    static Process launch(int i, Path log) throws IOException {
        return new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        TestNodeMain.class.getName(),
                        "node" + (i + 1),
                        String.valueOf(clusterPorts[i]),
                        String.valueOf(httpPorts[i]),
                        seeds,
                        jdbcUrl)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** The node once it printed {@code READY <endpoint>}: a member that serves HTTP. */
    static Node awaitReady(int i, Process p, Path log) {
        String[] endpoint = new String[1];
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(200))
                .until(
                        () -> {
                            assertThat(p.isAlive())
                                    .as("node %d alive; its log: %s", i + 1, log)
                                    .isTrue();
                            for (String line : Files.readAllLines(log)) {
                                if (line.startsWith("READY ")) {
                                    endpoint[0] = line.substring(6).strip();
                                    return true;
                                }
                            }
                            return false;
                        });
        return new Node("node" + (i + 1), p, endpoint[0], log);
    }

    @AfterAll
    static void stopCluster() {
        for (Node node : nodes) {
            ProcessHandle.of(node.process().pid())
                    .ifPresent(
                            h -> {
                                h.destroyForcibly();
                            });
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static RivetClient client(int node) {
        return RivetClient.builder()
                .endpoint(nodes.get(node).endpoint())
                .actionTimeout(Duration.ofSeconds(60))
                .build();
    }

    @Test
    @Order(1)
    void threeHundredKeysSpreadOverThreeNodesEachWithOneOwner() throws Exception {
        Map<String, String> owners = new HashMap<>();
        List<RivetClient> clients = List.of(client(0), client(1), client(2));
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<String[]>> answers = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int k = 0; k < 300; k++) {
                    String key = "k" + k;
                    RivetClient via = clients.get((k + round) % 3);
                    answers.add(pool.submit(() -> new String[] {key, whoami(via, key)}));
                }
            }
            for (Future<String[]> answer : answers) {
                String[] a = answer.get();
                String before = owners.putIfAbsent(a[0], a[1]);
                assertThat(before).as("owner of %s", a[0]).isIn(null, a[1]);
            }
        } finally {
            clients.forEach(RivetClient::close);
        }
        Map<String, Integer> perNode = new HashMap<>();
        owners.values().forEach(n -> perNode.merge(n, 1, Integer::sum));
        System.out.println("keys per node: " + perNode);
        assertThat(owners).hasSize(300);
        assertThat(perNode).containsOnlyKeys("node1", "node2", "node3");
        assertThat(perNode.values()).allMatch(n -> n >= 30);
    }

    /**
     * Asks which node answers for the key, again after a retryable {@code actor.moving} (shards
     * move at start).
     */
    static String whoami(RivetClient via, String key) {
        for (int attempt = 0; ; attempt++) {
            try {
                return via.actor("probe").getOrCreate(key).action("whoami", String.class);
            } catch (dev.rivetkitjava.client.RivetError e) {
                if (!e.getMessage().contains("actor.moving") || attempt >= 3) {
                    throw e;
                }
                System.out.println("retrying whoami of " + key + " after " + e.getMessage());
            }
        }
    }

    /** A key owned by {@code node} (0-based), found by asking. */
    static String keyOwnedBy(int node, String prefix) {
        try (RivetClient c = client(0)) {
            for (int k = 0; ; k++) {
                String key = prefix + k;
                if (whoami(c, key).equals(nodes.get(node).name())) {
                    return key;
                }
            }
        }
    }

    /**
     * Artery's default frame (256 KiB) dropped larger messages with only a log line, and the caller
     * waited for its timeout: 1 MiB now crosses both ways, and what no cluster message can carry
     * fails at once with the reason (a raw WebSocket's frame: its socket is closed with 1009).
     */
    @Test
    @Order(2)
    void aMebibyteCrossesNodesBothWaysAndWhatIsTooLongFailsAtOnceWithTheReason() throws Exception {
        String key = keyOwnedBy(2, "large");
        String mebibyte = "é".repeat(512 * 1024);
        // A dropped message would end in this client's timeout instead of the reason.
        try (RivetClient c1 =
                RivetClient.builder()
                        .endpoint(nodes.get(0).endpoint())
                        .actionTimeout(Duration.ofSeconds(10))
                        .build()) {
            assertThat(c1.actor("probe").getOrCreate(key).action("echo", String.class, mebibyte))
                    .isEqualTo(mebibyte);
            String tooLong = "x".repeat(ClusterPlacement.MAX_MESSAGE_JSON_BYTES);
            assertThatThrownBy(
                            () ->
                                    c1.actor("probe")
                                            .getOrCreate(key)
                                            .action("echo", String.class, tooLong))
                    .hasMessageContaining("message.cluster_too_long");
        }
        RawClient raw = rawSocketTo(2, 0, "raw-long-");
        raw.socket().sendText("long " + (ClusterPlacement.MAX_MESSAGE_JSON_BYTES + 1), true).join();
        assertThat(raw.closed().get(10, TimeUnit.SECONDS))
                .isEqualTo("1009 message.cluster_too_long");
    }

    @Test
    @Order(2)
    void aClientOnNodeOneSubscribesToAnActorOwnedByNodeThreeAndGetsItsBroadcastsInOrder() {
        String key = keyOwnedBy(2, "sub");
        List<Integer> received = new CopyOnWriteArrayList<>();
        try (RivetClient c1 = client(0);
                RivetClient c2 = client(1);
                ActorConnection conn = c1.actor("probe").getOrCreate(key).connect()) {
            conn.on("count", Integer.class, received::add);
            int first = conn.action("increment", Integer.class, 1);
            List<Integer> expected = new ArrayList<>(List.of(first));
            for (int i = 0; i < 50; i++) {
                // Calls through node 2 and through the connection (node 1); node 3 broadcasts each.
                RivetClient via = i % 2 == 0 ? c2 : null;
                int count =
                        via != null
                                ? via.actor("probe")
                                        .getOrCreate(key)
                                        .action("increment", Integer.class, 1)
                                : conn.action("increment", Integer.class, 1);
                expected.add(count);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() >= expected.size());
            assertThat(received).isEqualTo(expected);
        }
    }

    /** How a node is taken away while increments run. */
    enum Disruption {
        /** {@code kill -9}. */
        KILL,
        /**
         * {@code SIGSTOP} for {@link #PAUSE_LENGTH}, longer than fail-over (like a long GC), then
         * {@code SIGCONT}: the node wakes up believing it still owns its actors.
         */
        PAUSE;

        static final Duration PAUSE_LENGTH = Duration.ofSeconds(20);
    }

    /**
     * The official rivetkit JS client (npm 2.3.19, {@code compat/cluster-broadcast.mjs}): a caller
     * connected to node 1 increments an actor owned by node 3 and subscribes to it, beside viewers
     * connected to each node; then its {@code handle.webSocket} through node 1 reaches the actor's
     * {@code onWebSocket} on node 3.
     */
    @ParameterizedTest
    @ValueSource(strings = {"json", "cbor", "bare"})
    @Order(3)
    void theOfficialClientOnNodeOneReachesAnActorOnNodeThreeAndEveryViewerGetsEachBroadcastOnce(
            String encoding) throws Exception {
        CompatibilityTest.installNodePackages();
        String key = keyOwnedBy(2, "js-" + encoding + "-");
        List<String> command =
                new ArrayList<>(
                        List.of(
                                "node",
                                CompatibilityTest.COMPAT
                                        .resolve("cluster-broadcast.mjs")
                                        .toString(),
                                encoding,
                                key,
                                "30"));
        nodes.forEach(node -> command.add(node.endpoint()));
        JsonNode result = JSON.readTree(CompatibilityTest.run(command, Duration.ofSeconds(90)));
        List<Integer> acked = new ArrayList<>();
        result.get("acked").forEach(count -> acked.add(count.asInt()));
        assertThat(acked)
                .as("counts answered to the caller, a fresh key")
                .hasSizeGreaterThan(30)
                .isEqualTo(IntStream.rangeClosed(1, acked.size()).boxed().toList());
        List<String> listeners = new ArrayList<>();
        for (JsonNode listener : result.get("received")) {
            String endpoint = listener.get("endpoint").asText();
            listeners.add(endpoint);
            List<Integer> counts = new ArrayList<>();
            listener.get("counts").forEach(count -> counts.add(count.asInt()));
            assertThat(counts).as("counts received through %s", endpoint).isNotEmpty();
            // From its first count on, every later acknowledged one, once and in order.
            assertThat(counts)
                    .as("counts received through %s", endpoint)
                    .isEqualTo(acked.subList(acked.indexOf(counts.get(0)), acked.size()));
        }
        assertThat(listeners)
                .as("the caller, then a viewer on each node")
                .containsExactly(
                        nodes.get(0).endpoint(),
                        nodes.get(0).endpoint(),
                        nodes.get(1).endpoint(),
                        nodes.get(2).endpoint());
        List<String> raw = new ArrayList<>();
        result.get("raw").forEach(frame -> raw.add(frame.asText()));
        assertThat(raw)
                .as("raw WebSocket echoes, both frames sent at once")
                .containsExactly("node3 /echo ping", "node3 /echo pong");
        try (RivetClient c = client(0)) {
            assertThat(whoami(c, key)).as("owner of %s after", key).isEqualTo("node3");
        }
    }

    /**
     * A raw WebSocket opened through node 1 to an actor node 3 owns: frames both ways in order
     * (those the client sends at once included), binary as well, and a close either way reaches the
     * other side.
     */
    @Test
    @Order(3)
    void aRawWebSocketThroughNodeOneReachesAnActorOnNodeThreeBothWays() throws Exception {
        String actorId;
        try (RivetClient c = client(0)) {
            actorId = c.actor("probe").getOrCreate(keyOwnedBy(2, "raw-")).resolve();
        }
        RawClient raw = RawClient.open(nodes.get(0).endpoint(), actorId, "/echo?x=1");
        raw.socket().sendText("a", true).join();
        raw.socket().sendText("b", true).join();
        raw.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
        raw.socket().sendText("c", true).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raw.received().size() == 4);
        assertThat(raw.received())
                .containsExactly(
                        "node3 /echo?x=1 a",
                        "node3 /echo?x=1 b",
                        "bytes [1, 2, 3]",
                        "node3 /echo?x=1 c");

        raw.socket().sendClose(1000, "bye").join();
        try (RivetClient c = client(0)) {
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    c.actor("probe")
                                            .getForId(actorId)
                                            .action("lastRawClose", String.class)
                                            .equals("1000 bye"));
        }

        RawClient closedByActor = RawClient.open(nodes.get(0).endpoint(), actorId, "/");
        closedByActor.socket().sendText("close", true).join();
        assertThat(closedByActor.closed().get(10, TimeUnit.SECONDS)).isEqualTo("4000 asked to");
    }

    /** A raw WebSocket client recording what it receives, as text. */
    record RawClient(
            String actorId,
            WebSocket socket,
            List<String> received,
            CompletableFuture<String> closed) {
        static RawClient open(String endpoint, String actorId, String path) {
            List<String> received = new CopyOnWriteArrayList<>();
            CompletableFuture<String> closed = new CompletableFuture<>();
            WebSocket socket =
                    HttpClient.newHttpClient()
                            .newWebSocketBuilder()
                            .buildAsync(
                                    URI.create(
                                            endpoint.replaceFirst("^http", "ws")
                                                    + "/gateway/"
                                                    + actorId
                                                    + "/websocket"
                                                    + path),
                                    new WebSocket.Listener() {
                                        @Override
                                        public CompletionStage<?> onText(
                                                WebSocket ws, CharSequence data, boolean last) {
                                            received.add(data.toString());
                                            ws.request(1);
                                            return null;
                                        }

                                        @Override
                                        public CompletionStage<?> onBinary(
                                                WebSocket ws, ByteBuffer data, boolean last) {
                                            byte[] bytes = new byte[data.remaining()];
                                            data.get(bytes);
                                            received.add("bytes " + Arrays.toString(bytes));
                                            ws.request(1);
                                            return null;
                                        }

                                        @Override
                                        public CompletionStage<?> onClose(
                                                WebSocket ws, int code, String reason) {
                                            closed.complete(code + " " + reason);
                                            return null;
                                        }
                                    })
                            .join();
            return new RawClient(actorId, socket, received, closed);
        }
    }

    @Test
    @Order(4)
    void pausingAnOwnerPastFailOverRejectsItsStaleWritesAndLosesNothing() throws Exception {
        int victim = 2;
        incrementsThroughFailOver(victim, Disruption.PAUSE);
        // Resumed, it learns it was downed and stops (TestNodeMain exits 3); the state read
        // above, after it stopped, is the new owner's: none of its stale writes landed.
        restart(victim);
    }

    @Test
    @Order(5)
    void killingAnOwnerLosesNoAcknowledgedIncrementAndAppliesNoneTwice() throws Exception {
        int victim = 2;
        RawClient raw = rawSocketTo(victim, 0, "raw-owner-killed-");
        String key = keyOwnedBy(victim, "conn-owner-killed-");
        List<Integer> counts = new CopyOnWriteArrayList<>();
        List<ActorConnection.Status> statuses = new CopyOnWriteArrayList<>();
        // The official client too, incrementing through node 1 all along.
        CompatibilityTest.installNodePackages();
        String jsKey = keyOwnedBy(victim, "js-conn-owner-killed-");
        CompletableFuture<String> official =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return CompatibilityTest.run(
                                        List.of(
                                                "node",
                                                CompatibilityTest.COMPAT
                                                        .resolve("cluster-follow.mjs")
                                                        .toString(),
                                                "bare",
                                                jsKey,
                                                "30",
                                                nodes.get(0).endpoint()),
                                        Duration.ofSeconds(90));
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        Thread::startVirtualThread);
        try (RivetClient viaSurvivor = client(0);
                ActorConnection conn = viaSurvivor.actor("probe").getOrCreate(key).connect()) {
            conn.on("count", Integer.class, counts::add);
            assertThat(conn.action("increment", Integer.class, 1)).isEqualTo(1);
            String connectionId = conn.connectionId();
            conn.onStatus(statuses::add);
            // The official client is connected and incrementing before the kill.
            var jsActor = viaSurvivor.actor("probe").getOrCreate(jsKey);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> jsActor.action("get", Integer.class) > 0);

            incrementsThroughFailOver(victim, Disruption.KILL);

            // The connection followed its actor to the new owner: same connection, still
            // subscribed, never dropped. A call made before it was back is refused if an ask of it
            // went unanswered (it may have run on the dead owner), never run twice.
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions()
                    .until(() -> conn.action("increment", Integer.class, 1) == 2);
            await().atMost(Duration.ofSeconds(10)).until(() -> counts.size() == 2);
            assertThat(counts).containsExactly(1, 2);
            assertThat(conn.connectionId()).isEqualTo(connectionId);
            assertThat(statuses).doesNotContain(ActorConnection.Status.DISCONNECTED);
        }
        JsonNode js = JSON.readTree(official.get(90, TimeUnit.SECONDS));
        System.out.println("the official client across the owner's kill: " + js);
        assertThat(js.get("connIdAtEnd")).as("same connection").isEqualTo(js.get("connIdAtStart"));
        assertThat(js.get("statuses").toString()).doesNotContain("disconnected");
        List<Integer> acked = new ArrayList<>();
        js.get("acked").forEach(n -> acked.add(n.asInt()));
        List<Integer> events = new ArrayList<>();
        js.get("counts").forEach(n -> events.add(n.asInt()));
        // None applied twice; an increment refused across the move (it may have run) can skip one.
        assertThat(acked).isSorted().doesNotHaveDuplicates().hasSizeGreaterThan(10);
        assertThat(events).isSorted().doesNotHaveDuplicates().contains(acked.getLast());
        js.get("errors").forEach(e -> assertThat(e.asText()).isEqualTo("actor.call_interrupted"));
        try (RivetClient c = client(0)) {
            assertThat(c.actor("probe").getOrCreate(jsKey).action("get", Integer.class))
                    .isEqualTo(acked.getLast());
        }
        // A raw WebSocket's client is told to come back (a raw socket keeps no record).
        assertThat(raw.closed().get(30, TimeUnit.SECONDS)).startsWith("1012 actor.moving");
        restart(victim);
    }

    /**
     * The oldest member hosts the shard coordinator (a cluster singleton), which must move too:
     * node 1, which formed the cluster and was the first the rolling restart started again.
     */
    @Test
    @Order(7)
    void killingTheShardCoordinatorsNodeLosesNoAcknowledgedIncrementAndAppliesNoneTwice()
            throws Exception {
        // A raw WebSocket and a connection from clients on the victim to an actor node 2 owns:
        // the victim's loss closes both there.
        RawClient raw = rawSocketTo(1, 0, "raw-client-node-killed-");
        try (RivetClient onVictim = client(0)) {
            ActorConnection conn =
                    onVictim.actor("probe")
                            .getForId(raw.actorId())
                            .connect(Map.of("counted", true));
            conn.action("get", Integer.class);
            int disconnectsBefore;
            try (RivetClient c = client(1)) {
                disconnectsBefore =
                        c.actor("probe")
                                .getForId(raw.actorId())
                                .action("disconnects", Integer.class);
            }
            incrementsThroughFailOver(0, Disruption.KILL);
            try (RivetClient c = client(1)) {
                var owned = c.actor("probe").getForId(raw.actorId());
                await().atMost(Duration.ofSeconds(30))
                        .until(
                                () ->
                                        owned.action("lastRawClose", String.class)
                                                .equals("1006 the client's node stopped"));
                await().atMost(Duration.ofSeconds(30))
                        .until(
                                () ->
                                        owned.action("disconnects", Integer.class)
                                                > disconnectsBefore);
            }
        }
    }

    /** An open raw WebSocket through node {@code via} to an actor node {@code owner} owns. */
    static RawClient rawSocketTo(int owner, int via, String keyPrefix) {
        String actorId;
        try (RivetClient c = client(via)) {
            actorId = c.actor("probe").getOrCreate(keyOwnedBy(owner, keyPrefix)).resolve();
        }
        RawClient raw = RawClient.open(nodes.get(via).endpoint(), actorId, "/");
        raw.socket().sendText("hello", true).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raw.received().size() == 1);
        return raw;
    }

    /**
     * SIGTERM each node in turn and start it again, while keyed increments run through every node
     * on keys every node owns: a stopping node hands its actors over, so clients see only errors
     * they retry (a node that is down, an actor that moves), and every acknowledged increment is
     * applied once.
     */
    @Test
    @Order(6)
    void aRollingRestartOfEveryNodeLosesNothingAndShowsOnlyRetryableErrors() throws Exception {
        List<String> ids = new ArrayList<>();
        try (RivetClient c = client(0)) {
            for (int node = 0; node < NODES; node++) {
                for (int k = 0; k < 2; k++) {
                    String key = keyOwnedBy(node, "rolling-" + node + "-" + k + "-");
                    ids.add(c.actor("probe").getOrCreate(key).resolve());
                }
            }
        }
        Map<String, AtomicInteger> acked = new ConcurrentHashMap<>();
        ids.forEach(id -> acked.put(id, new AtomicInteger()));
        List<String> errors = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        HttpClient http = HttpClient.newHttpClient();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < ids.size(); w++) {
                String id = ids.get(w);
                int through = w % NODES;
                workers.add(
                        pool.submit(
                                () -> {
                                    for (int n = 1; running.get(); n++) {
                                        int count =
                                                incrementUntilAcked(
                                                        http,
                                                        nodes.get(through).endpoint(),
                                                        id,
                                                        id + "-" + n,
                                                        errors::add);
                                        assertThat(count)
                                                .as("%s, increment %d", id, n)
                                                .isEqualTo(n);
                                        acked.get(id).incrementAndGet();
                                    }
                                    return null;
                                }));
            }
            try {
                for (int i = 0; i < NODES; i++) {
                    awaitProgress(acked, snapshot(acked), 3, Duration.ofSeconds(90));
                    long start = System.nanoTime();
                    Process stopping = nodes.get(i).process();
                    signal("TERM", stopping);
                    assertThat(stopping.waitFor(60, TimeUnit.SECONDS))
                            .as("%s stops on SIGTERM", nodes.get(i).name())
                            .isTrue();
                    restart(i);
                    System.out.printf(
                            "rolling restart: %s stopped and up again after %d ms%n",
                            nodes.get(i).name(), (System.nanoTime() - start) / 1_000_000);
                }
                awaitProgress(acked, snapshot(acked), 3, Duration.ofSeconds(90));
            } finally {
                running.set(false);
            }
            for (Future<?> w : workers) {
                w.get();
            }
        }
        try (RivetClient c = client(0)) {
            for (String id : ids) {
                assertThat(c.actor("probe").getForId(id).action("get", Integer.class))
                        .as("%s: acknowledged increments", id)
                        .isEqualTo(acked.get(id).get());
            }
        }
        System.out.println("rolling restart: errors clients saw: " + new TreeSet<>(errors));
        // A node that is down or stopping (I/O), or an actor on its way to another node.
        assertThat(errors)
                .allMatch(
                        e ->
                                e.startsWith("java.io.")
                                        || e.startsWith("java.net.")
                                        || (e.startsWith("503 ")
                                                && e.contains("\"retryable\":true")),
                        "a retryable error");
    }

    private static Map<String, Integer> snapshot(Map<String, AtomicInteger> acked) {
        Map<String, Integer> counts = new HashMap<>();
        acked.forEach((id, a) -> counts.put(id, a.get()));
        return counts;
    }

    /** Until every key took {@code more} acknowledged increments since {@code since}. */
    private static void awaitProgress(
            Map<String, AtomicInteger> acked,
            Map<String, Integer> since,
            int more,
            Duration within) {
        await().atMost(within)
                .until(
                        () ->
                                acked.entrySet().stream()
                                        .allMatch(
                                                e ->
                                                        e.getValue().get()
                                                                >= since.get(e.getKey()) + more));
    }

    /**
     * Increments 8 keys owned by {@code victim} through the other two nodes, with idempotency keys,
     * takes the victim away, and checks every key is served again within 10 s, with every
     * acknowledged increment applied exactly once.
     */
    static void incrementsThroughFailOver(int victim, Disruption disruption) throws Exception {
        List<Integer> survivors = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            if (i != victim) {
                survivors.add(i);
            }
        }
        List<String> ids = new ArrayList<>();
        try (RivetClient c = client(survivors.get(0))) {
            for (int i = 0; ids.size() < 8; i++) {
                String key = keyOwnedBy(victim, disruption + "-" + victim + "-" + i + "-");
                ids.add(c.actor("probe").getOrCreate(key).resolve());
            }
        }
        Map<String, AtomicInteger> acked = new ConcurrentHashMap<>();
        ids.forEach(id -> acked.put(id, new AtomicInteger()));
        AtomicBoolean running = new AtomicBoolean(true);
        // Set once the signal was sent: a call counts as served again only if it started after
        // that (an answer the victim gave just before, read after, is no fail-over).
        AtomicLong disruptedAt = new AtomicLong();
        Map<String, Long> servedAgainAt = new ConcurrentHashMap<>();
        HttpClient http = HttpClient.newHttpClient();
        Process victimProcess = nodes.get(victim).process();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < ids.size(); w++) {
                String id = ids.get(w);
                String via = nodes.get(survivors.get(w % 2)).endpoint();
                workers.add(
                        pool.submit(
                                () -> {
                                    for (int n = 1; running.get(); n++) {
                                        long disrupted = disruptedAt.get();
                                        // Retried with the same key until acknowledged: an
                                        // unknown outcome (the owner died) must not apply twice.
                                        int count =
                                                incrementUntilAcked(http, via, id, id + "-" + n);
                                        assertThat(count)
                                                .as("%s, increment %d", id, n)
                                                .isEqualTo(n);
                                        acked.get(id).incrementAndGet();
                                        if (disrupted != 0) {
                                            servedAgainAt.putIfAbsent(id, System.nanoTime());
                                        }
                                    }
                                    return null;
                                }));
            }
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> acked.values().stream().allMatch(a -> a.get() >= 5));
            signal(disruption == Disruption.KILL ? "KILL" : "STOP", victimProcess);
            disruptedAt.set(System.nanoTime());
            try {
                await().atMost(Duration.ofSeconds(40))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> servedAgainAt.size() == ids.size());
                if (disruption == Disruption.PAUSE) {
                    long pausedNanos = System.nanoTime() - disruptedAt.get();
                    // The one deliberate sleep: the pause outlasts fail-over, increments go on.
                    Thread.sleep(Disruption.PAUSE_LENGTH.minusNanos(pausedNanos).toMillis());
                    Map<String, Integer> beforeResume = snapshot(acked);
                    signal("CONT", victimProcess);
                    // Increments go on while the resumed node still thinks it owns the keys.
                    awaitProgress(acked, beforeResume, 5, Duration.ofSeconds(30));
                    await().atMost(Duration.ofSeconds(30)).until(() -> !victimProcess.isAlive());
                    assertThat(victimProcess.exitValue())
                            .as("%s exits as downed", nodes.get(victim).name())
                            .isEqualTo(3);
                    try (var lines = Files.lines(nodes.get(victim).log())) {
                        System.out.printf(
                                "%s resumed: %d stale activations refused their save%n",
                                nodes.get(victim).name(),
                                lines.filter(l -> l.contains("was claimed by another activation"))
                                        .count());
                    }
                }
            } finally {
                running.set(false);
            }
            for (Future<?> w : workers) {
                w.get();
            }
        }
        long worst =
                servedAgainAt.values().stream()
                        .mapToLong(t -> t - disruptedAt.get())
                        .max()
                        .orElseThrow();
        System.out.printf(
                "%s of %s: every key served again after %d ms (worst key)%n",
                disruption == Disruption.KILL ? "kill -9" : "SIGSTOP",
                nodes.get(victim).name(),
                worst / 1_000_000);
        try (RivetClient c = client(survivors.get(0))) {
            for (String id : ids) {
                assertThat(c.actor("probe").getForId(id).action("get", Integer.class))
                        .as("%s: acknowledged increments", id)
                        .isEqualTo(acked.get(id).get());
            }
        }
        // Signal to the first answer to a call started after it, incl. a reconnect.
        assertThat(worst / 1_000_000).as("fail-over time, ms").isLessThan(10_000);
        if (disruption == Disruption.KILL) {
            victimProcess.waitFor();
        }
    }

    static void signal(String name, Process process) throws Exception {
        assertThat(
                        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid()))
                                .start()
                                .waitFor())
                .as("kill -%s", name)
                .isZero();
    }

    /**
     * {@code POST /gateway/{id}/action/increment} with an idempotency key, repeated (every 50 ms)
     * until it is answered; the count it answers.
     */
    static int incrementUntilAcked(HttpClient http, String endpoint, String id, String key) {
        return incrementUntilAcked(
                http,
                endpoint,
                id,
                key,
                error -> System.out.println("increment " + key + ": " + error));
    }

    /** As above, each failed attempt ({@code status body}, or the I/O error) to {@code errors}. */
    static int incrementUntilAcked(
            HttpClient http,
            String endpoint,
            String id,
            String key,
            java.util.function.Consumer<String> errors) {
        HttpRequest request =
                HttpRequest.newBuilder(
                                URI.create(endpoint + "/gateway/" + id + "/action/increment"))
                        .header("content-type", "application/json")
                        .header("x-rivet-encoding", "json")
                        .header("x-rivet-idempotency-key", key)
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"args\":[1]}"))
                        .build();
        AtomicInteger count = new AtomicInteger(-1);
        await().pollInSameThread()
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50))
                .atMost(Duration.ofSeconds(60))
                .until(
                        () -> {
                            try {
                                HttpResponse<String> response =
                                        http.send(request, HttpResponse.BodyHandlers.ofString());
                                if (response.statusCode() == 200) {
                                    count.set(JSON.readTree(response.body()).get("output").asInt());
                                    return true;
                                }
                                errors.accept(response.statusCode() + " " + response.body());
                            } catch (IOException e) {
                                errors.accept(e.toString());
                            }
                            return false;
                        });
        return count.get();
    }
}
