package dev.rivetkitjava.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.benchmarks.LatencyHistogram;
import dev.rivetkitjava.benchmarks.LoadClients;
import dev.rivetkitjava.benchmarks.Machine;
import dev.rivetkitjava.benchmarks.ProtocolConnection;
import dev.rivetkitjava.benchmarks.agent.ForkedServe;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code bin/bench cluster}: the same {@code counter} actors on 1, 2 and 3 cluster nodes ({@code
 * bin/rivetkit-java serve --store JDBC_URL --cluster-port … --seed-nodes …} on loopback, one
 * embedded PostgreSQL). Prints actions and a broadcast's fan-out (viewers spread over the nodes)
 * through each cluster size, the cost of an action forwarded to its owner on another node beside a
 * local one, and fail-over after {@code kill -9} of an owner. All nodes share the machine's cores
 * with the load tool, so the figures are CPU per action or delivery and the hop's cost, not
 * scaling. It drives {@link ActionsLoad} and {@link BroadcastLoad}, hence lives beside them.
 *
 * <pre>
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.load.ClusterFigures [--kills 10] [--nodes 3] [LoadTool options, e.g. --duration 10s --warmup 5s]
 * </pre>
 */
public final class ClusterFigures {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration NODE_READY_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration FAIL_OVER_LIMIT = Duration.ofSeconds(60);
    private static final int FORWARD_CANDIDATES = 48;
    private static final int FAIL_OVER_CANDIDATES = 30;

    private final HttpClient http = HttpClient.newHttpClient();
    private final Path dir;
    private final String jdbcUrl;
    private final int[] clusterPorts;
    private final LoadOptions options;
    private final Consumer<String> out;
    private final List<Node> nodes = new ArrayList<>();

    /** A running node and the load tool's clients connected to it. */
    private record Node(int index, ForkedServe serve, LoadClients clients, LoadTarget target)
            implements AutoCloseable {
        String address(int[] clusterPorts) {
            return "pekko://rivetkit@127.0.0.1:" + clusterPorts[index];
        }

        @Override
        public void close() {
            clients.close();
            serve.close();
        }
    }

    private ClusterFigures(
            Path dir, String jdbcUrl, int nodes, LoadOptions options, Consumer<String> out)
            throws IOException {
        this.dir = dir;
        this.jdbcUrl = jdbcUrl;
        this.options = options;
        this.out = out;
        this.clusterPorts = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            clusterPorts[i] = freePort();
        }
        // The first node forms the cluster (the first seed joins itself); with two nodes the
        // split-brain resolver keeps the side of the lowest address.
        Arrays.sort(clusterPorts);
    }

    public static void main(String[] args) throws Exception {
        int kills = 10;
        int maxNodes = 3;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kills" -> kills = Integer.parseInt(args[++i]);
                case "--nodes" -> maxNodes = Integer.parseInt(args[++i]);
                default -> rest.add(args[i]);
            }
        }
        if (maxNodes < 1 || kills < 0) {
            System.err.println("cluster: --nodes must be at least 1, --kills at least 0");
            System.exit(2);
        }
        run(
                maxNodes,
                kills,
                LoadOptions.parse(rest.toArray(String[]::new)),
                line -> {
                    System.out.println(line);
                    System.out.flush();
                });
        System.exit(0);
    }

    /**
     * Runs every figure, on up to {@code maxNodes} nodes, fail-over (3 nodes or more) over {@code
     * kills}.
     */
    static void run(int maxNodes, int kills, LoadOptions options, Consumer<String> out)
            throws Exception {
        Path dir = Files.createTempDirectory("rivetkit-cluster-bench");
        EmbeddedPostgres postgres =
                EmbeddedPostgresFixture.startDedicated(dir.resolve("pgdata"), 0);
        try {
            ClusterFigures figures =
                    new ClusterFigures(
                            dir,
                            postgres.getJdbcUrl("postgres", "postgres"),
                            maxNodes,
                            options,
                            out);
            try {
                figures.all(kills);
            } finally {
                figures.nodes.forEach(Node::close);
            }
        } finally {
            postgres.close();
            LoadTarget.deleteTree(dir);
        }
    }

    private void all(int kills) throws Exception {
        out.accept(
                "cluster → bin/rivetkit-java serve nodes on loopback, embedded PostgreSQL; JDK "
                        + Runtime.version()
                        + ", "
                        + Runtime.getRuntime().availableProcessors()
                        + " cores shared by the nodes, PostgreSQL and the load tool; "
                        + Machine.loadAverage());
        for (int n = 1; n <= clusterPorts.length; n++) {
            nodes.add(start(n - 1));
            awaitMembers(n);
            out.accept("");
            out.accept(n + " node" + (n == 1 ? "" : "s") + "; " + Machine.loadAverage());
            actions(false);
            actions(true);
            broadcast();
            if (n == 2) {
                forwarded();
            }
        }
        if (clusterPorts.length >= 3 && kills > 0) {
            failOver(kills);
        }
    }

    /** 16 connections (or {@code --connections}) spread over the nodes. */
    private void actions(boolean sharedKey) throws Exception {
        LoadOptions o = options.withActions(options.connections(), sharedKey);
        String run = LoadClients.runId();
        List<ActionsLoad.Route> routes = new ArrayList<>();
        for (int i = 0; i < o.connections(); i++) {
            routes.add(
                    new ActionsLoad.Route(
                            nodes.get(i % nodes.size()).clients(),
                            sharedKey ? "cluster-" + run : "cluster-" + run + "-" + i));
        }
        String through = ", spread over " + nodes.size() + " node" + (nodes.size() == 1 ? "" : "s");
        print(ActionsLoad.run(ActionsLoad.title(o, through), all(), targets(), routes, o));
    }

    /**
     * {@code --viewers} (default 100) viewers of one counter spread over the nodes, the driver
     * through node 1: each broadcast leaves the owner once per viewer on another node.
     */
    private void broadcast() throws Exception {
        LoadOptions o = options.withBroadcast(options.viewers());
        String through =
                nodes.size() == 1 ? "" : ", viewers spread over " + nodes.size() + " nodes";
        print(
                BroadcastLoad.run(
                        through,
                        all(),
                        nodes.getFirst().clients(),
                        nodes.stream().map(Node::clients).toList(),
                        o));
    }

    /**
     * The same actions through node 1 on keys it owns and on keys node 2 owns: one connection for
     * the hop's latency, then {@code --connections} for its CPU (both nodes' per action).
     */
    private void forwarded() throws Exception {
        Node through = nodes.getFirst();
        List<String> local = new ArrayList<>();
        List<String> remote = new ArrayList<>();
        ownersOf(through, "forward", FORWARD_CANDIDATES)
                .forEach(
                        (key, owner) ->
                                (owner.equals(through.address(clusterPorts)) ? local : remote)
                                        .add(key));
        int connections = Math.min(options.connections(), Math.min(local.size(), remote.size()));
        if (connections == 0) {
            out.accept(
                    "forwarded: no comparison ("
                            + local.size()
                            + " of "
                            + FORWARD_CANDIDATES
                            + " keys owned by node 1)");
            return;
        }
        LatencyHistogram[] latency = new LatencyHistogram[2];
        double[] cpu = new double[2];
        for (int forwarded = 0; forwarded < 2; forwarded++) {
            List<String> keys = forwarded == 1 ? remote : local;
            String owner =
                    forwarded == 1 ? "owned by node 2 (forwarded)" : "owned by node 1 (local)";
            for (int n : new int[] {1, connections}) {
                LoadOptions o = options.withActions(n, false);
                List<ActionsLoad.Route> routes =
                        keys.subList(0, n).stream()
                                .map(key -> new ActionsLoad.Route(through.clients(), key))
                                .toList();
                ActionsLoad.Result result =
                        ActionsLoad.run(
                                ActionsLoad.title(o, " through node 1, keys " + owner),
                                all(),
                                targets(),
                                routes,
                                o);
                print(result);
                if (n == 1) {
                    latency[forwarded] = result.latency();
                } else {
                    cpu[forwarded] = result.cpuNanosPerAction();
                }
            }
        }
        out.accept("");
        out.accept(
                String.format(
                        "forwarded vs local: p50 %s vs %s (%+.2f ms; goal ≤ +1 ms) on 1 connection;"
                                + " server CPU %.1f vs %.1f µs per action (%.2f×; goal ≤ 2×) on %d",
                        LatencyHistogram.ms(latency[1].percentile(50)),
                        LatencyHistogram.ms(latency[0].percentile(50)),
                        (latency[1].percentile(50) - latency[0].percentile(50)) / 1e6,
                        cpu[1] / 1e3,
                        cpu[0] / 1e3,
                        cpu[1] / cpu[0],
                        connections));
    }

    /**
     * {@code kills} times: kill -9 of a node (node 2, 3, … in turn: node 1, the first seed, started
     * alone again would form a cluster of its own), then the time until every key it owned answers
     * an increment through another node, then the killed node started again. A kill is left out
     * when the victim owns none of the probe keys (nothing to time).
     */
    private void failOver(int kills) throws Exception {
        out.accept("");
        out.accept(
                "fail-over: "
                        + kills
                        + " × kill -9 of an owner node of "
                        + nodes.size()
                        + "; time until every key it owned answers again through another node");
        List<Double> seconds = new ArrayList<>();
        for (int k = 0; k < kills; k++) {
            int victim = 1 + k % (nodes.size() - 1);
            Node probe = nodes.get((victim + 1) % nodes.size());
            String victimAddress = nodes.get(victim).address(clusterPorts);
            List<String> owned = new ArrayList<>();
            ownersOf(probe, "failover", FAIL_OVER_CANDIDATES)
                    .forEach(
                            (key, owner) -> {
                                if (owner.equals(victimAddress)) {
                                    owned.add(key);
                                }
                            });
            if (owned.isEmpty()) {
                out.accept(
                        String.format(
                                "  kill %d: node %d owns none of the %d probe keys; left out",
                                k + 1, victim + 1, FAIL_OVER_CANDIDATES));
                continue;
            }
            nodes.get(victim).clients().close();
            nodes.get(victim).serve().kill();
            long killed = System.nanoTime();
            double[] answered = answeredAfter(probe, owned, killed);
            double slowest = Arrays.stream(answered).max().orElse(0);
            seconds.add(slowest);
            out.accept(
                    String.format(
                            "  kill %d: node %d (%d of %d keys), all answer again after %.2f s"
                                    + " (first %.2f s); %s",
                            k + 1,
                            victim + 1,
                            owned.size(),
                            FAIL_OVER_CANDIDATES,
                            slowest,
                            Arrays.stream(answered).min().orElse(0),
                            Machine.loadAverage()));
            nodes.set(victim, start(victim));
            awaitMembers(nodes.size());
        }
        List<Double> sorted = seconds.stream().sorted().toList();
        if (sorted.isEmpty()) {
            out.accept("fail-over: no kill found keys on its victim to time");
            return;
        }
        out.accept(
                String.format(
                        "fail-over over %d kills: min %.2f s, median %.2f s, max %.2f s"
                                + " (goal ≤ 10 s, aim 5 s)",
                        sorted.size(),
                        sorted.getFirst(),
                        sorted.get(sorted.size() / 2),
                        sorted.getLast()));
    }

    /**
     * Seconds from {@code killed} until each key's first answered increment through {@code probe}
     * (a fresh connection per attempt: the old owner's are gone).
     */
    private static double[] answeredAfter(Node probe, List<String> keys, long killed)
            throws Exception {
        long deadline = killed + FAIL_OVER_LIMIT.toNanos();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Double>> answers = new ArrayList<>();
            for (String key : keys) {
                answers.add(
                        threads.submit(
                                () -> {
                                    while (System.nanoTime() < deadline) {
                                        if (answers(probe.clients(), key)) {
                                            return (System.nanoTime() - killed) / 1e9;
                                        }
                                        Thread.sleep(50);
                                    }
                                    throw new IllegalStateException(
                                            key + " did not answer within " + FAIL_OVER_LIMIT);
                                }));
            }
            double[] seconds = new double[answers.size()];
            for (int i = 0; i < seconds.length; i++) {
                seconds[i] = answers.get(i).get();
            }
            return seconds;
        }
    }

    private static boolean answers(LoadClients clients, String key) throws InterruptedException {
        LoadClients.Opened opened =
                clients.open("counter", 1, i -> key, i -> null, 1, Duration.ofSeconds(2));
        try {
            for (ProtocolConnection c : opened.open()) {
                c.increment(1).get(2, TimeUnit.SECONDS);
                return true;
            }
            return false;
        } catch (Exception e) {
            return false; // still moving: asked again
        } finally {
            LoadClients.closeAll(opened.open(), 1);
        }
    }

    private Node start(int index) throws Exception {
        String seeds =
                IntStream.of(clusterPorts)
                        .mapToObj(p -> "127.0.0.1:" + p)
                        .collect(Collectors.joining(","));
        ForkedServe serve =
                ForkedServe.start(
                        dir.resolve("node-" + (index + 1)),
                        "codex",
                        NODE_READY_TIMEOUT,
                        "--store",
                        jdbcUrl,
                        "--cluster-port",
                        Integer.toString(clusterPorts[index]),
                        "--seed-nodes",
                        seeds);
        return new Node(
                index,
                serve,
                new LoadClients(
                        serve.endpoint(),
                        options.encoding(),
                        options.clients(),
                        options.clientExecutor()),
                new LoadTarget.External(serve.endpoint(), List.of(serve.pid())));
    }

    /** Until node 1's view (or the first live node's) lists {@code n} members, all up. */
    private void awaitMembers(int n) throws Exception {
        long deadline = System.nanoTime() + NODE_READY_TIMEOUT.toNanos();
        Node asked = nodes.getFirst();
        while (true) {
            JsonNode members = get(asked, "/cluster").get("members");
            long up = 0;
            for (JsonNode member : members) {
                up += member.get("status").asText().equals("Up") ? 1 : 0;
            }
            if (members.size() == n && up == n) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the cluster has not " + n + " members up: " + members);
            }
            Thread.sleep(200);
        }
    }

    /**
     * Opens {@code candidates} fresh keys named {@code prefix-RUN-i} through {@code through} and
     * returns each opened key's owner node (cluster address), in key order.
     */
    private Map<String, String> ownersOf(Node through, String prefix, int candidates)
            throws Exception {
        String run = LoadClients.runId();
        Map<String, String> owners = new LinkedHashMap<>();
        LoadClients.Opened opened =
                through.clients()
                        .open(
                                "counter",
                                candidates,
                                i -> prefix + "-" + run + "-" + i,
                                i -> null,
                                64,
                                Duration.ofSeconds(60));
        try {
            for (int i = 0; i < candidates; i++) {
                ProtocolConnection c = opened.connections().get(i);
                if (c != null) {
                    owners.put(prefix + "-" + run + "-" + i, owner(through, c.actorId()));
                }
            }
        } finally {
            LoadClients.closeAll(opened.open(), 64);
        }
        return owners;
    }

    private String owner(Node asked, String actorId) throws Exception {
        return get(asked, "/cluster/actors/" + actorId).get("node").asText();
    }

    private JsonNode get(Node asked, String path) throws Exception {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(asked.serve().endpoint() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Every node's serve JVM, as one server side. */
    private LoadTarget all() {
        return new LoadTarget.External(
                nodes.getFirst().serve().endpoint(),
                nodes.stream().map(n -> n.serve().pid()).toList());
    }

    private List<LoadTarget> targets() {
        return nodes.stream().map(Node::target).toList();
    }

    private void print(LoadResult result) {
        out.accept("");
        result.lines().forEach(out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
