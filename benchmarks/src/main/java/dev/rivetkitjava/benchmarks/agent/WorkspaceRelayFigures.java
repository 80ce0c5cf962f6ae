package dev.rivetkitjava.benchmarks.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.benchmarks.Drain;
import dev.rivetkitjava.benchmarks.LatencyHistogram;
import dev.rivetkitjava.benchmarks.LoadClients;
import dev.rivetkitjava.benchmarks.Machine;
import dev.rivetkitjava.benchmarks.ProtocolConnection;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The workspace relay (issue [D]'s performance goal), against rivetkit-java's {@code serve} or the
 * TypeScript original, or both side by side: the fast agent ({@code amp}), W workspaces with V
 * viewers each — RivetKit-protocol WebSocket connections with params {@code { userId }}, subscribed
 * to {@code session.event} — and one more connection per workspace that calls {@code prompt({
 * userId, text })} with a turn of stamped chunks at a given rate; every workspace streams at once.
 * Each viewer checks that it gets every chunk once and in order, and records the latency from the
 * agent's stamp to its frame. The relay's added latency is each percentile minus a baseline taken
 * just before on the same Sandbox Agent server: W sessions at the same rate driven by the SDK in
 * this process (in-memory driver, no actor), stamp → listener. So "added" is what the actor adds:
 * the persist driver over actor state, the broadcast and the WebSocket delivery (through the
 * engine, for the original).
 *
 * <p>Before the relay steps, the session-create time: fresh workspaces one at a time, from {@code
 * getOrCreate} (opening the connection) to the first agent event of the first prompt.
 * rivetkit-java's workspace creates its session on the first prompt, the seed's (and so the
 * TypeScript twin, {@code compat/workspace-server.mjs}) in {@code createVars}, before the
 * connection opens: only the total compares like with like.
 *
 * <pre>
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.agent.WorkspaceRelayFigures --workspaces 10 --viewers 50 --rates 100,1000
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.agent.WorkspaceRelayFigures --compare
 * </pre>
 *
 * Options: {@link #USAGE}. Run by {@code bin/bench workspace}.
 */
public final class WorkspaceRelayFigures {
    static final String USAGE =
            """
            WorkspaceRelayFigures: agent events relayed through workspace actors to WebSocket viewers, through
            rivetkit-java's serve or the TypeScript original (compat/start-workspace.sh), or both side by side.
              --workspaces W        workspaces streaming at once (default 10)
              --viewers V           viewers per workspace (default 50)
              --rates R1,R2         chunks per second per workspace, one step each (default 100,1000)
              --workloads WxV@R,…   steps of their own shapes instead of the three above, e.g. 1x1@1000,10x50@100
                                    (with --compare the default is 1x1@1000,1x50@1000,10x50@100)
              --seconds S           length of each step's turn (default 5): chunks = rate × S
              --encoding bare|cbor|json  the viewers' (default bare, the official client's)
              --server java|ts      java (default): fork bin/rivetkit-java serve --agent amp;
                                    ts: start the TypeScript stack, compat/start-workspace.sh
              --compare             both, one after the other, then the figures side by side with their ratios
              --endpoint URL        a running server instead (of --server's kind; with --compare, the Java one)
              --sandbox-agent-url U its Sandbox Agent server, for the baseline (none without it)
              --sandbox-agent-token T  that server's token, if it has one
              --ts-endpoint URL     with --compare: a running TypeScript stack instead of starting one
              --ts-sandbox-agent-url U  its Sandbox Agent server
              --creates N           session-create timings, fresh workspaces one at a time (default 3; 0: none)
              --drain-seconds S     how long viewers may still receive after a turn's reply before what is missing
                                    counts as lost (default 60; 5 s without any delivery also ends the wait)
              --warmup-seconds S    the warm-up turn before each shape's figures, at its rate (default 20: the
                                    JIT of serve and of this tool is still busy for 10–20 s on 2 cores; the
                                    TypeScript side's stays within 20 000 deliveries per workspace, its ceiling)
            """;

    /** Issue [D]'s goals. */
    private static final double MAX_P95_MS = 100;

    private static final double GOAL_EVENTS_PER_SECOND = 1_000;
    private static final double MAX_ADDED_P99_MS = 10;
    private static final String AGENT = "amp";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern WORKLOAD =
            Pattern.compile("(\\d+)\\s*[x×]\\s*(\\d+)\\s*@\\s*([\\d_]+)");
    private static final List<Workload> COMPARE_WORKLOADS =
            List.of(new Workload(1, 1, 1000), new Workload(1, 50, 1000), new Workload(10, 50, 100));

    private WorkspaceRelayFigures() {}

    /** Which server. */
    enum Side {
        JAVA("rivetkit-java"),
        TS("TypeScript");

        final String label;

        Side(String label) {
            this.label = label;
        }
    }

    /** One step: W workspaces × V viewers, the agent at R chunks/s per workspace. */
    record Workload(int workspaces, int viewers, int rate) {
        boolean sameShape(Workload other) {
            return workspaces == other.workspaces && viewers == other.viewers;
        }

        String label() {
            return String.format(Locale.ROOT, "%d × %d, %,d chunks/s", workspaces, viewers, rate);
        }
    }

    record Options(
            List<Workload> workloads,
            double seconds,
            Encoding encoding,
            List<Side> sides,
            @Nullable String endpoint,
            @Nullable String sandboxAgentUrl,
            @Nullable String sandboxAgentToken,
            @Nullable String tsEndpoint,
            @Nullable String tsSandboxAgentUrl,
            int creates,
            double drainSeconds,
            double warmupSeconds) {

        static Options parse(String... args) {
            int workspaces = 10;
            int viewers = 50;
            List<Integer> rates = List.of(100, 1000);
            List<Workload> workloads = null;
            double seconds = 5;
            Encoding encoding = Encoding.BARE;
            String server = "java";
            boolean compare = false;
            String endpoint = null;
            String sandboxAgentUrl = null;
            String sandboxAgentToken = null;
            String tsEndpoint = null;
            String tsSandboxAgentUrl = null;
            int creates = 3;
            double drainSeconds = 60;
            double warmupSeconds = 20;
            boolean shapeGiven = false;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--help") || args[i].equals("-h")) {
                    throw new IllegalArgumentException("");
                }
                if (args[i].equals("--compare")) {
                    compare = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                String value = args[++i];
                switch (args[i - 1]) {
                    case "--workspaces" -> {
                        workspaces = positive("--workspaces", value);
                        shapeGiven = true;
                    }
                    case "--viewers" -> {
                        viewers = positive("--viewers", value);
                        shapeGiven = true;
                    }
                    case "--rates" -> {
                        rates =
                                Arrays.stream(value.split(","))
                                        .map(r -> positive("--rates", r.trim()))
                                        .toList();
                        shapeGiven = true;
                    }
                    case "--workloads" ->
                            workloads =
                                    Arrays.stream(value.split(",")).map(Options::workload).toList();
                    case "--seconds" -> seconds = positiveSeconds("--seconds", value);
                    case "--encoding" -> encoding = Encoding.fromWireName(value);
                    case "--server" -> {
                        if (!value.equals("java") && !value.equals("ts")) {
                            throw new IllegalArgumentException(
                                    "--server is java or ts, not " + value);
                        }
                        server = value;
                    }
                    case "--endpoint" -> endpoint = value.replaceAll("/+$", "");
                    case "--sandbox-agent-url" -> sandboxAgentUrl = value.replaceAll("/+$", "");
                    case "--sandbox-agent-token" -> sandboxAgentToken = value;
                    case "--ts-endpoint" -> tsEndpoint = value.replaceAll("/+$", "");
                    case "--ts-sandbox-agent-url" ->
                            tsSandboxAgentUrl = value.replaceAll("/+$", "");
                    case "--creates" -> creates = nonNegative("--creates", value);
                    case "--drain-seconds" ->
                            drainSeconds = positiveSeconds("--drain-seconds", value);
                    case "--warmup-seconds" ->
                            warmupSeconds = positiveSeconds("--warmup-seconds", value);
                    default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
                }
            }
            if (workloads != null && shapeGiven) {
                throw new IllegalArgumentException(
                        "--workloads replaces --workspaces, --viewers and --rates");
            }
            if (workloads == null) {
                int w = workspaces;
                int v = viewers;
                workloads =
                        compare && !shapeGiven
                                ? COMPARE_WORKLOADS
                                : rates.stream().map(r -> new Workload(w, v, r)).toList();
            }
            if (sandboxAgentUrl != null && endpoint == null) {
                throw new IllegalArgumentException("--sandbox-agent-url goes with --endpoint");
            }
            if (tsSandboxAgentUrl != null && tsEndpoint == null) {
                throw new IllegalArgumentException(
                        "--ts-sandbox-agent-url goes with --ts-endpoint");
            }
            if (tsEndpoint != null && !compare) {
                throw new IllegalArgumentException(
                        "--ts-endpoint goes with --compare (else: --server ts --endpoint)");
            }
            List<Side> sides;
            if (compare) {
                sides = List.of(Side.JAVA, Side.TS);
            } else if (server.equals("ts")) {
                sides = List.of(Side.TS);
                tsEndpoint = endpoint;
                tsSandboxAgentUrl = sandboxAgentUrl;
                endpoint = null;
                sandboxAgentUrl = null;
            } else {
                sides = List.of(Side.JAVA);
            }
            return new Options(
                    workloads,
                    seconds,
                    encoding,
                    sides,
                    endpoint,
                    sandboxAgentUrl,
                    sandboxAgentToken,
                    tsEndpoint,
                    tsSandboxAgentUrl,
                    creates,
                    drainSeconds,
                    warmupSeconds);
        }

        private static Workload workload(String text) {
            Matcher m = WORKLOAD.matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException(
                        "--workloads takes WxV@R items, e.g. 10x50@100, not " + text);
            }
            return new Workload(
                    positive("--workloads", m.group(1)),
                    positive("--workloads", m.group(2)),
                    positive("--workloads", m.group(3)));
        }

        private static double positiveSeconds(String name, String value) {
            try {
                double seconds = Double.parseDouble(value);
                if (seconds > 0) {
                    return seconds;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(name + " must be a positive number, not " + value);
        }

        private static int positive(String name, String value) {
            int n = nonNegative(name, value);
            if (n <= 0) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return n;
        }

        private static int nonNegative(String name, String value) {
            int n;
            try {
                n = Integer.parseInt(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " takes a number, not " + value);
            }
            if (n < 0) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
            return n;
        }
    }

    /** One viewer: records the current turn's chunks, on its WebSocket's reading thread. */
    private static final class Viewer implements ProtocolConnection.EventSink {
        volatile ChunkStream current = new ChunkStream(0);
        volatile long lastEventNanos = System.nanoTime();

        @Override
        public void onEvent(ToClient.Event event, long receivedNanos) {
            if (event.name().equals("session.event") && !event.args().isEmpty()) {
                lastEventNanos = receivedNanos;
                current.onPayload(event.args().get(0).path("payload"), receivedNanos);
            }
        }
    }

    /** What one step measured, for the side-by-side table. */
    record StepFigures(
            Workload workload,
            double meanRate,
            double minRate,
            double p50Ms,
            double p95Ms,
            double p99Ms,
            long lost,
            long reordered,
            long duplicates,
            long serverDropped,
            int closed,
            @Nullable String error) {

        static StepFigures failed(Workload workload, String error) {
            return new StepFigures(
                    workload, 0, 0, Double.NaN, Double.NaN, Double.NaN, 0, 0, 0, 0, 0, error);
        }

        boolean clean() {
            return error == null && lost <= serverDropped && reordered == 0 && duplicates == 0;
        }
    }

    /** Session-create timings in milliseconds, one entry per fresh workspace. */
    record Creates(double[] connect, double[] promptToFirst, double[] total, double[] reply) {}

    /** One server's run. */
    record SideResult(
            Side side,
            String description,
            @Nullable Creates creates,
            List<StepFigures> steps,
            @Nullable String error) {
        boolean ok() {
            if (error != null) {
                return false;
            }
            // The original's losses, closed connections and unanswered prompts are figures, not
            // failures of this
            // tool; rivetkit-java's are failures.
            return side == Side.TS || steps.stream().allMatch(StepFigures::clean);
        }
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && !e.getMessage().isEmpty()) {
                System.err.println("workspace: " + e.getMessage());
            }
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        boolean ok =
                run(
                        options,
                        line -> {
                            System.out.println(line);
                            System.out.flush();
                        });
        System.exit(ok ? 0 : 1);
    }

    static boolean run(Options o, Consumer<String> out) {
        List<SideResult> results = new ArrayList<>();
        for (Side side : o.sides()) {
            if (!results.isEmpty()) {
                out.accept("");
            }
            results.add(runSide(side, o, out));
        }
        if (results.size() == 2) {
            out.accept("");
            compare(results.get(0), results.get(1), o, out);
        }
        return results.stream().allMatch(SideResult::ok);
    }

    private static WorkspaceStack stack(Side side, Options o) throws Exception {
        if (side == Side.JAVA) {
            return o.endpoint() != null
                    ? WorkspaceStack.given(
                            o.endpoint(),
                            o.sandboxAgentUrl(),
                            o.sandboxAgentToken(),
                            "rivetkit-java")
                    : ForkedServe.start(
                            Files.createTempDirectory("rivetkit-workspace-relay"),
                            AGENT,
                            Duration.ofMinutes(10));
        }
        return o.tsEndpoint() != null
                ? WorkspaceStack.given(o.tsEndpoint(), o.tsSandboxAgentUrl(), null, "TypeScript")
                : TypeScriptWorkspaceStack.start(Duration.ofMinutes(10));
    }

    private static SideResult runSide(Side side, Options o, Consumer<String> out) {
        try (WorkspaceStack stack = stack(side, o)) {
            // Ctrl-C or a kill stops the forked server or the started stack too.
            Thread stopper = new Thread(stack::close, "workspace-stack-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            try {
                return runSide(side, stack, o, out);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs
                }
            }
        } catch (Exception e) {
            out.accept(side.label + ": FAILED: " + e);
            return new SideResult(side, side.label, null, List.of(), e.toString());
        }
    }

    private static SideResult runSide(
            Side side, WorkspaceStack stack, Options o, Consumer<String> out) {
        String description = stack.description();
        Creates creates = null;
        List<StepFigures> steps = new ArrayList<>();
        try {
            String run = LoadClients.runId();
            out.accept(
                    String.format(
                            "workspace relay → %s (%s); %s; JDK %s, %d cores; %s",
                            stack.endpoint(),
                            description,
                            o.encoding().wireName(),
                            Runtime.version(),
                            Runtime.getRuntime().availableProcessors(),
                            Machine.loadAverage()));
            try (LoadClients clients =
                    new LoadClients(stack.endpoint(), o.encoding(), 2, "direct")) {
                clients.metadata();
                if (o.creates() > 0) {
                    creates = measureCreates(clients, run, o.creates());
                    out.accept("");
                    creates(creates).forEach(out);
                }
                List<List<Workload>> groups = groups(o.workloads());
                for (int g = 0; g < groups.size(); g++) {
                    List<Workload> group = groups.get(g);
                    try {
                        steps.addAll(runGroup(clients, stack, side, run + "-" + g, group, o, out));
                    } catch (Exception e) {
                        String why = e.toString();
                        out.accept("");
                        out.accept(
                                "workspace relay "
                                        + group.getFirst().workspaces()
                                        + " × "
                                        + group.getFirst().viewers()
                                        + ": FAILED: "
                                        + why);
                        int done =
                                (int)
                                        steps.stream()
                                                .filter(s -> group.contains(s.workload()))
                                                .count();
                        group.subList(done, group.size())
                                .forEach(w -> steps.add(StepFigures.failed(w, why)));
                    }
                }
            }
            return new SideResult(side, description, creates, steps, null);
        } catch (Exception e) {
            out.accept(side.label + ": FAILED: " + e);
            return new SideResult(side, description, creates, steps, e.toString());
        }
    }

    /** Consecutive workloads of one shape share their connections (and one warm-up). */
    private static List<List<Workload>> groups(List<Workload> workloads) {
        List<List<Workload>> groups = new ArrayList<>();
        for (Workload w : workloads) {
            if (groups.isEmpty() || !groups.getLast().getFirst().sameShape(w)) {
                groups.add(new ArrayList<>());
            }
            groups.getLast().add(w);
        }
        return groups;
    }

    private static JsonNode params(String userId) {
        return NODES.objectNode().put("userId", userId);
    }

    private static ObjectNode promptInput(String text) {
        return NODES.objectNode().put("userId", "bench").put("text", text);
    }

    /**
     * A group's connections: per workspace one that prompts, then its viewers. The official client
     * reconnects (and subscribes again) when the server closes a connection; so does this, between
     * steps, counting why.
     */
    private static final class Connections {
        final ProtocolConnection[] drivers;
        final ProtocolConnection[] viewers;
        private final LoadClients clients;
        private final String run;
        private final int perWorkspace;
        private final Viewer[] sinks;
        private final List<ProtocolConnection> opened = new ArrayList<>();

        Connections(
                LoadClients clients, String run, int workspaces, int perWorkspace, Viewer[] sinks) {
            this.clients = clients;
            this.run = run;
            this.perWorkspace = perWorkspace;
            this.sinks = sinks;
            drivers = new ProtocolConnection[workspaces];
            viewers = new ProtocolConnection[workspaces * perWorkspace];
        }

        private String key(int workspace) {
            return "relay-" + run + "-" + workspace;
        }

        /**
         * Opens every connection not open (all, the first time); returns why the server had closed
         * them, and, as "failed to reopen: …", those that would not open again (the first time, any
         * failure throws).
         */
        java.util.Map<String, Integer> open() throws Exception {
            boolean first = opened.isEmpty();
            java.util.Map<String, Integer> closed = new java.util.TreeMap<>();
            // The prompting connections first, so the actors exist before their viewers'
            // getOrCreate.
            int[] d = notOpen(drivers, closed);
            LoadClients.Opened drv =
                    clients.open(
                            "workspace",
                            d.length,
                            j -> key(d[j]),
                            j -> null,
                            j -> params("bench"),
                            16,
                            Duration.ofSeconds(120));
            int[] v = notOpen(viewers, closed);
            LoadClients.Opened vw =
                    clients.open(
                            "workspace",
                            v.length,
                            j -> key(v[j] / perWorkspace),
                            j -> sinks[v[j]],
                            j -> params("viewer-" + v[j]),
                            64,
                            Duration.ofSeconds(120));
            put(drivers, d, drv);
            put(viewers, v, vw);
            if (first && (drv.failed() > 0 || vw.failed() > 0)) {
                throw new IllegalStateException(
                        (drv.failed() + vw.failed())
                                + " of "
                                + (d.length + v.length)
                                + " connections failed to open: "
                                + drv.failures()
                                + " "
                                + vw.failures());
            }
            drv.failures()
                    .forEach((why, n) -> closed.merge("failed to reopen: " + why, n, Integer::sum));
            vw.failures()
                    .forEach((why, n) -> closed.merge("failed to reopen: " + why, n, Integer::sum));
            List<CompletableFuture<?>> subscribed = new ArrayList<>();
            for (int i : v) {
                if (viewers[i] != null && viewers[i].isOpen()) {
                    subscribed.add(viewers[i].subscribe("session.event"));
                }
            }
            CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new))
                    .get(60, TimeUnit.SECONDS);
            return closed;
        }

        /** Why connections are closed now (nothing when all are open). */
        java.util.Map<String, Integer> closedNow() {
            java.util.Map<String, Integer> closed = new java.util.TreeMap<>();
            notOpen(drivers, closed);
            notOpen(viewers, closed);
            return closed;
        }

        private static int[] notOpen(
                ProtocolConnection[] connections, java.util.Map<String, Integer> why) {
            List<Integer> indexes = new ArrayList<>();
            for (int i = 0; i < connections.length; i++) {
                ProtocolConnection c = connections[i];
                if (c == null || !c.isOpen()) {
                    indexes.add(i);
                    if (c != null) {
                        why.merge(
                                c.closed().getNow("?").replaceAll("#[0-9a-z]+", "#…"),
                                1,
                                Integer::sum);
                    }
                }
            }
            return indexes.stream().mapToInt(Integer::intValue).toArray();
        }

        private void put(ProtocolConnection[] into, int[] indexes, LoadClients.Opened opened) {
            for (int j = 0; j < indexes.length; j++) {
                ProtocolConnection c = opened.connections().get(j);
                if (c != null) {
                    into[indexes[j]] = c;
                    this.opened.add(c);
                }
            }
        }

        List<ProtocolConnection> drivers() {
            return Arrays.asList(drivers);
        }

        void close() {
            LoadClients.closeAll(opened, 64);
        }
    }

    private static String reasons(java.util.Map<String, Integer> closed) {
        return closed.entrySet().stream()
                .map(e -> e.getValue() + " × " + e.getKey())
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static int count(java.util.Map<String, Integer> closed) {
        return closed.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static List<StepFigures> runGroup(
            LoadClients clients,
            WorkspaceStack stack,
            Side side,
            String run,
            List<Workload> group,
            Options o,
            Consumer<String> out)
            throws Exception {
        int w = group.getFirst().workspaces();
        int v = group.getFirst().viewers();
        Viewer[] viewers = new Viewer[w * v];
        Arrays.setAll(viewers, i -> new Viewer());
        List<StepFigures> figures = new ArrayList<>();
        Connections connections = new Connections(clients, run, w, v, viewers);
        try {
            connections.open();
            // Warm-up (not a figure): lets the JIT finish, and shows whether every viewer's
            // subscription is in effect (viewers that got none of the warm-up turn are reported;
            // their losses then show in the figures). --warmup-seconds at the group's last rate,
            // at least 100 chunks. The original's stays within 20 000 deliveries per workspace:
            // far slower than the offered load, it would otherwise still be delivering the warm-up
            // during the figures.
            int warmRate = group.getLast().rate();
            long warmChunks = Math.max(100, Math.round(warmRate * o.warmupSeconds()));
            if (side == Side.TS) {
                warmChunks = Math.max(100, Math.min(warmChunks, 20_000 / v));
            }
            Step warm = new Step(warmRate, (int) Math.min(warmChunks, Integer.MAX_VALUE));
            warm.baseline(stack, w);
            StepResult warmed =
                    warm.relay(connections.drivers(), viewers, v, stack, o.drainSeconds());
            long silent =
                    Arrays.stream(viewers).filter(viewer -> viewer.current.received() == 0).count();
            long partial =
                    Arrays.stream(viewers).filter(viewer -> !viewer.current.sawLast()).count();
            java.util.Map<String, Integer> warmClosed = connections.closedNow();
            out.accept("");
            out.accept(
                    String.format(
                            "warm-up: %,d chunks per workspace at %,d/s, not a figure%s%s%s%s",
                            warm.chunks,
                            warmRate,
                            partial == 0
                                    ? ""
                                    : String.format(
                                            "; %d of %d viewers did not get its "
                                                    + "last chunk within the drain (%.0f s)",
                                            partial, viewers.length, o.drainSeconds()),
                            silent == 0 ? "" : String.format(", %d got none of it", silent),
                            warmed.firstError == null ? "" : "; " + warmed.firstError,
                            warmClosed.isEmpty()
                                    ? ""
                                    : "; the server closed " + reasons(warmClosed)));
            for (Workload workload : group) {
                quiet(viewers, o.drainSeconds());
                java.util.Map<String, Integer> reopened = connections.open();
                if (!reopened.isEmpty()) {
                    out.accept(
                            String.format(
                                    "reopened %d connections the server had closed (%s)",
                                    count(reopened), reasons(reopened)));
                }
                int rate = workload.rate();
                Step step = new Step(rate, (int) Math.max(1, Math.round(rate * o.seconds())));
                LatencyHistogram baseline = step.baseline(stack, w);
                StepResult result =
                        step.relay(connections.drivers(), viewers, v, stack, o.drainSeconds());
                java.util.Map<String, Integer> closed = connections.closedNow();
                out.accept("");
                result.lines(step, w, v, baseline, stack).forEach(out);
                if (!closed.isEmpty()) {
                    out.accept(
                            String.format(
                                    "  the server closed %d of %d connections during the step: %s",
                                    count(closed), w + w * v, reasons(closed)));
                }
                figures.add(result.figures(workload, count(closed)));
            }
        } finally {
            connections.close();
        }
        return figures;
    }

    /** One turn per workspace: {@code chunks} stamped chunks at {@code rate} per second. */
    private record Step(int rate, int chunks) {

        String prompt() {
            return "chunks=" + chunks + " rate=" + rate + " STAMP";
        }

        /**
         * W SDK sessions on the stack's Sandbox Agent server directly, streaming at once: stamp →
         * listener; null when its URL is unknown.
         */
        @Nullable LatencyHistogram baseline(WorkspaceStack stack, int sessions) throws Exception {
            String sandboxAgentUrl = stack.sandboxAgentUrl();
            if (sandboxAgentUrl == null) {
                return null;
            }
            LatencyHistogram latency = new LatencyHistogram();
            List<Future<ChunkStream>> turns = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < sessions; i++) {
                    turns.add(
                            threads.submit(
                                    () -> {
                                        SandboxAgent.Builder builder =
                                                SandboxAgent.builder(sandboxAgentUrl)
                                                        .persist(
                                                                new InMemorySessionPersistDriver());
                                        String token = stack.sandboxAgentToken();
                                        try (SandboxAgent sdk =
                                                (token == null ? builder : builder.token(token))
                                                        .build()) {
                                            Session session =
                                                    sdk.createSession(
                                                            SessionCreateRequest.of(AGENT));
                                            ChunkStream stream = new ChunkStream(chunks);
                                            session.onEvent(
                                                    event ->
                                                            stream.onPayload(
                                                                    event.payload(),
                                                                    System.nanoTime()));
                                            session.prompt(prompt());
                                            stream.awaitLast(Duration.ofSeconds(5));
                                            return stream;
                                        }
                                    }));
                }
            }
            for (Future<ChunkStream> turn : turns) {
                latency.add(turn.get().latency);
            }
            return latency;
        }

        /**
         * Every workspace prompts at once; waits for the turns, then for the viewers to get the
         * last chunk.
         */
        StepResult relay(
                List<ProtocolConnection> drivers,
                Viewer[] viewers,
                int perWorkspace,
                WorkspaceStack stack,
                double drainSeconds)
                throws Exception {
            long notBefore = ChunkStream.nowEpochNanos();
            for (Viewer viewer : viewers) {
                viewer.current = new ChunkStream(chunks, notBefore);
            }
            long[] cpuBefore = stack.cpuNanos();
            long toolCpuBefore = toolCpuNanos();
            long cpuFrom = System.nanoTime();
            ObjectNode input = promptInput(prompt());
            List<CompletableFuture<ProtocolConnection.Reply>> replies =
                    drivers.stream().map(driver -> driver.action("prompt", input)).toList();
            String firstError = null;
            // One deadline for all the turns (they run at once): the turn's length and two minutes.
            long deadline = System.nanoTime() + (long) ((chunks * 1000.0 / rate + 120_000) * 1e6);
            int unanswered = 0;
            for (CompletableFuture<ProtocolConnection.Reply> reply : replies) {
                try {
                    // rivetkit-java answers { stopReason }; the seed's prompt (the TypeScript twin)
                    // answers nothing.
                    long left = Math.max(0, deadline - System.nanoTime());
                    JsonNode stop =
                            reply.get(left, TimeUnit.NANOSECONDS).output().path("stopReason");
                    if (!stop.isMissingNode()
                            && !stop.asText().equals("end_turn")
                            && firstError == null) {
                        firstError = "a turn ended with " + stop.asText();
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    unanswered++;
                } catch (Exception e) {
                    firstError = firstError == null ? "prompt failed: " + e : firstError;
                }
            }
            if (unanswered > 0) {
                String late =
                        unanswered
                                + " of "
                                + replies.size()
                                + " prompts unanswered two minutes after the turn";
                firstError = firstError == null ? late : firstError + "; " + late;
            }
            // Until every viewer has the last chunk; what is still missing then counts as lost.
            Drain.await(
                    () -> Arrays.stream(viewers).allMatch(viewer -> viewer.current.sawLast()),
                    () ->
                            Arrays.stream(viewers)
                                    .mapToLong(viewer -> viewer.current.received())
                                    .sum(),
                    Duration.ofNanos((long) (drainSeconds * 1e9)));
            long[] cpuAfter = stack.cpuNanos();
            return StepResult.of(
                    viewers,
                    perWorkspace,
                    firstError,
                    drivers.size(),
                    cpuBefore,
                    cpuAfter,
                    toolCpuNanos() - toolCpuBefore,
                    (System.nanoTime() - cpuFrom) / 1e9);
        }
    }

    private record StepResult(
            LatencyHistogram latency,
            long deliveries,
            double seconds,
            double[] perSession,
            long lost,
            long serverDropped,
            long reordered,
            long duplicates,
            long stale,
            @Nullable String firstError,
            long[] cpuBefore,
            long[] cpuAfter,
            long toolCpu,
            double cpuSeconds) {

        static StepResult of(
                Viewer[] viewers,
                int perWorkspace,
                @Nullable String firstError,
                int workspaces,
                long[] cpuBefore,
                long[] cpuAfter,
                long toolCpu,
                double cpuSeconds) {
            LatencyHistogram latency = new LatencyHistogram();
            long deliveries = 0;
            long lost = 0;
            long serverDropped = 0;
            long reordered = 0;
            long duplicates = 0;
            long stale = 0;
            long firstSent = Long.MAX_VALUE;
            long lastReceived = Long.MIN_VALUE;
            double[] perSession = new double[workspaces];
            for (int w = 0; w < workspaces; w++) {
                long wFirst = Long.MAX_VALUE;
                long wLast = Long.MIN_VALUE;
                int chunks = 0;
                for (int i = w * perWorkspace; i < (w + 1) * perWorkspace; i++) {
                    ChunkStream s = viewers[i].current;
                    latency.add(s.latency);
                    deliveries += s.received();
                    lost += s.lost();
                    serverDropped += s.serverDropped();
                    reordered += s.reordered();
                    duplicates += s.duplicates();
                    stale += s.stale();
                    if (s.received() > 0) {
                        wFirst = Math.min(wFirst, s.firstSentEpochNanos());
                        wLast = Math.max(wLast, s.lastReceivedEpochNanos());
                        chunks = Math.max(chunks, s.received());
                    }
                }
                // A session's relay rate: its chunks over the time from the first one's send to the
                // last delivery.
                perSession[w] = wLast > wFirst ? chunks / ((wLast - wFirst) / 1e9) : 0;
                firstSent = Math.min(firstSent, wFirst);
                lastReceived = Math.max(lastReceived, wLast);
            }
            double seconds = lastReceived > firstSent ? (lastReceived - firstSent) / 1e9 : 0;
            return new StepResult(
                    latency,
                    deliveries,
                    seconds,
                    perSession,
                    lost,
                    serverDropped,
                    reordered,
                    duplicates,
                    stale,
                    firstError,
                    cpuBefore,
                    cpuAfter,
                    toolCpu,
                    cpuSeconds);
        }

        StepFigures figures(Workload workload, int closed) {
            boolean any = deliveries > 0;
            return new StepFigures(
                    workload,
                    Arrays.stream(perSession).average().orElse(0),
                    Arrays.stream(perSession).min().orElse(0),
                    any ? latency.percentile(50) / 1e6 : Double.NaN,
                    any ? latency.percentile(95) / 1e6 : Double.NaN,
                    any ? latency.percentile(99) / 1e6 : Double.NaN,
                    lost,
                    reordered,
                    duplicates,
                    serverDropped,
                    closed,
                    firstError);
        }

        List<String> lines(
                Step step,
                int workspaces,
                int viewers,
                @Nullable LatencyHistogram baseline,
                WorkspaceStack stack) {
            List<String> lines = new ArrayList<>();
            double minRate = Arrays.stream(perSession).min().orElse(0);
            double meanRate = Arrays.stream(perSession).average().orElse(0);
            lines.add(
                    String.format(
                            "workspace relay: %d workspaces × %d viewers, the agent at %,d chunks/s per "
                                    + "session (%,d each)",
                            workspaces, viewers, step.rate(), step.chunks()));
            lines.add(
                    String.format(
                            "  relayed %,.0f events/s per session (mean; slowest %,.0f), %,.0f deliveries/s "
                                    + "in all (%,d in %.1f s)",
                            meanRate,
                            minRate,
                            seconds > 0 ? deliveries / seconds : 0,
                            deliveries,
                            seconds));
            lines.add(
                    "  delivery latency (agent stamp → viewer) "
                            + (deliveries == 0
                                    ? "— (nothing delivered)"
                                    : latency.summaryMillis()));
            if (baseline != null) {
                lines.add(
                        "  baseline (stamp → SDK listener, no actor) " + baseline.summaryMillis());
                lines.add(
                        "  relay added over the baseline: "
                                + SessionEventsFigures.added(latency, baseline));
            } else {
                lines.add("  baseline: none (no Sandbox Agent URL given)");
            }
            lines.add(
                    String.format(
                            "  lost %d, reordered %d, duplicated %d (over %d viewers × %,d chunks)%s%s%s",
                            lost,
                            reordered,
                            duplicates,
                            workspaces * viewers,
                            step.chunks(),
                            serverDropped == 0
                                    ? ""
                                    : "; the Sandbox Agent server dropped "
                                            + serverDropped / viewers
                                            + " stream messages (all "
                                            + "workspaces) before the SDK read them: its buffer keeps 1 024",
                            stale == 0
                                    ? ""
                                    : String.format(
                                            "; %,d deliveries of the previous turn still arriving",
                                            stale),
                            firstError == null ? "" : "; " + firstError));
            // CPU is counted from the prompts to the end of the drain: a slow server's drain
            // outlasts the step.
            double s = Math.max(cpuSeconds, 1e-3);
            StringBuilder cpu = new StringBuilder();
            List<String> names = stack.cpuNames();
            for (int i = 0; i < names.size(); i++) {
                // Clamped: agents that exit during the step (the baseline's) take their CPU time
                // with them.
                double used = Math.max(0, cpuAfter[i] - cpuBefore[i]) / 1e9;
                cpu.append(
                        String.format(
                                "%s %.1f s (%.0f %% of a core), ",
                                names.get(i), used, used * 100 / s));
            }
            lines.add(
                    String.format(
                            "  CPU from the prompts to the last delivery or the drain's end (%.1f s): %sthis "
                                    + "load tool %.1f s (%.0f %%); %s",
                            cpuSeconds,
                            cpu,
                            toolCpu / 1e9,
                            toolCpu / 1e7 / s,
                            Machine.loadAverage()));
            if (deliveries == 0) {
                return lines;
            }
            double p95 = latency.percentile(95) / 1e6;
            boolean clean = lost == 0 && reordered == 0 && duplicates == 0;
            lines.add(
                    String.format(
                            "  goal [D] no loss or reorder: %s; p95 delivery < %.0f ms: %s (%.1f ms)",
                            clean ? "met" : "MISSED",
                            MAX_P95_MS,
                            p95 < MAX_P95_MS ? "met" : "MISSED",
                            p95));
            if (step.rate() >= GOAL_EVENTS_PER_SECOND && baseline != null) {
                double addedP99 = (latency.percentile(99) - baseline.percentile(99)) / 1e6;
                boolean met =
                        minRate >= 0.95 * GOAL_EVENTS_PER_SECOND && addedP99 <= MAX_ADDED_P99_MS;
                lines.add(
                        String.format(
                                "  goal [D] relay ≥ %,.0f events/s per session with ≤ %.0f ms added p99: %s "
                                        + "(slowest session %,.0f events/s, added p99 %+.1f ms)",
                                GOAL_EVENTS_PER_SECOND,
                                MAX_ADDED_P99_MS,
                                met ? "met" : "MISSED",
                                minRate,
                                addedP99));
            }
            return lines;
        }
    }

    // -------------------------------------------------------------------------------------------
    // session create

    /** The first agent event ({@code session/update}) a connection sees. */
    private static final class FirstAgentEvent implements ProtocolConnection.EventSink {
        final CompletableFuture<Long> at = new CompletableFuture<>();

        @Override
        public void onEvent(ToClient.Event event, long receivedNanos) {
            if (event.name().equals("session.event")
                    && !event.args().isEmpty()
                    && event.args()
                            .get(0)
                            .path("payload")
                            .path("method")
                            .asText()
                            .equals("session/update")) {
                at.complete(receivedNanos);
            }
        }
    }

    /**
     * {@code n} fresh workspaces one at a time (after one more, not counted, that warms the paths):
     * open the connection ({@code getOrCreate}), subscribe, {@code prompt} a one-chunk turn; times
     * to the connection's {@code Init}, to the first agent event, and to the prompt's reply.
     */
    private static Creates measureCreates(LoadClients clients, String run, int n) throws Exception {
        double[] connect = new double[n];
        double[] promptToFirst = new double[n];
        double[] total = new double[n];
        double[] reply = new double[n];
        for (int i = 0; i <= n; i++) {
            String key = "create-" + run + "-" + i;
            FirstAgentEvent first = new FirstAgentEvent();
            long t0 = System.nanoTime();
            LoadClients.Opened opened =
                    clients.open(
                            "workspace",
                            1,
                            j -> key,
                            j -> first,
                            j -> params("bench"),
                            1,
                            Duration.ofSeconds(120));
            if (opened.failed() > 0) {
                throw new IllegalStateException(
                        "session create: the connection failed: " + opened.failures());
            }
            long t1 = System.nanoTime();
            ProtocolConnection connection = opened.connections().getFirst();
            try {
                connection.subscribe("session.event").get(30, TimeUnit.SECONDS);
                long tp = System.nanoTime();
                CompletableFuture<ProtocolConnection.Reply> answered =
                        connection.action("prompt", promptInput("chunks=1 STAMP"));
                long tFirst = first.at.get(120, TimeUnit.SECONDS);
                long tReply = answered.get(120, TimeUnit.SECONDS).receivedNanos();
                if (i > 0) {
                    connect[i - 1] = (t1 - t0) / 1e6;
                    promptToFirst[i - 1] = (tFirst - tp) / 1e6;
                    total[i - 1] = (tFirst - t0) / 1e6;
                    reply[i - 1] = (tReply - t0) / 1e6;
                }
            } finally {
                LoadClients.closeAll(List.of(connection), 1);
            }
        }
        return new Creates(connect, promptToFirst, total, reply);
    }

    private static List<String> creates(Creates c) {
        return List.of(
                String.format(
                        "session create: %d fresh workspaces one at a time (after one not counted), "
                                + "median (slowest)",
                        c.total().length),
                String.format(
                        "  getOrCreate → connection ready %s; first prompt → first agent event %s",
                        medianMax(c.connect()), medianMax(c.promptToFirst())),
                String.format(
                        "  getOrCreate → first agent event %s; → the prompt's reply %s",
                        medianMax(c.total()), medianMax(c.reply())));
    }

    private static String medianMax(double[] ms) {
        return String.format(Locale.ROOT, "%s ms (%s)", num(median(ms)), num(max(ms)));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n == 0
                ? Double.NaN
                : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    // -------------------------------------------------------------------------------------------
    // side by side

    /**
     * The two runs' figures as a Markdown table, with Java's lead: rates Java ÷ TS, times TS ÷
     * Java.
     */
    private static void compare(SideResult java, SideResult ts, Options o, Consumer<String> out) {
        out.accept(
                String.format(
                        "side by side: the same workload through %s, then %s, on this machine (%d cores); "
                                + "each turn %s s; %s at the end",
                        java.description(),
                        ts.description(),
                        Runtime.getRuntime().availableProcessors(),
                        num(o.seconds()),
                        Machine.loadAverage()));
        out.accept("");
        out.accept("| figure | rivetkit-java | TypeScript | Java's lead |");
        out.accept("|---|---|---|---|");
        for (Workload w : o.workloads()) {
            StepFigures j = find(java, w);
            StepFigures t = find(ts, w);
            String name = w.label();
            out.accept(
                    String.format(
                            "| %s: events/s per session (mean, slowest) | %s | %s | %s |",
                            name,
                            rates(j),
                            rates(t),
                            ratio(
                                    j == null ? Double.NaN : j.meanRate(),
                                    t == null ? Double.NaN : t.meanRate())));
            out.accept(
                    String.format(
                            "| %s: delivery p50 / p95 / p99 | %s | %s | %s |",
                            name,
                            latencies(j),
                            latencies(t),
                            j == null || t == null
                                    ? "—"
                                    : ratio(t.p50Ms(), j.p50Ms())
                                            + " / "
                                            + ratio(t.p95Ms(), j.p95Ms())
                                            + " / "
                                            + ratio(t.p99Ms(), j.p99Ms())));
            out.accept(
                    String.format(
                            "| %s: lost / reordered / duplicated | %s | %s | |",
                            name, losses(j), losses(t)));
        }
        if (java.creates() != null || ts.creates() != null) {
            out.accept(
                    String.format(
                            "| session create: getOrCreate → first agent event, median (slowest) | %s | "
                                    + "%s | %s |",
                            created(java.creates(), Creates::total),
                            created(ts.creates(), Creates::total),
                            java.creates() == null || ts.creates() == null
                                    ? "—"
                                    : ratio(
                                            median(ts.creates().total()),
                                            median(java.creates().total()))));
            out.accept(
                    String.format(
                            "| session create: getOrCreate → connection ready | %s | %s | |",
                            created(java.creates(), Creates::connect),
                            created(ts.creates(), Creates::connect)));
            out.accept(
                    String.format(
                            "| session create: first prompt → first agent event | %s | %s | |",
                            created(java.creates(), Creates::promptToFirst),
                            created(ts.creates(), Creates::promptToFirst)));
        }
        for (SideResult r : List.of(java, ts)) {
            if (r.error() != null) {
                out.accept(r.side().label + " did not run to its end: " + r.error());
            }
        }
    }

    private static @Nullable StepFigures find(SideResult r, Workload w) {
        return r.steps().stream().filter(s -> s.workload().equals(w)).findFirst().orElse(null);
    }

    private static String rates(@Nullable StepFigures s) {
        if (s == null || s.error() != null && s.meanRate() == 0) {
            return failed(s);
        }
        return String.format(Locale.ROOT, "%,.0f, %,.0f", s.meanRate(), s.minRate());
    }

    private static String latencies(@Nullable StepFigures s) {
        if (s == null || s.error() != null && Double.isNaN(s.p50Ms()) && s.meanRate() == 0) {
            return failed(s);
        }
        if (Double.isNaN(s.p50Ms())) {
            return "nothing delivered";
        }
        return num(s.p50Ms()) + " / " + num(s.p95Ms()) + " / " + num(s.p99Ms()) + " ms";
    }

    private static String losses(@Nullable StepFigures s) {
        if (s == null || s.error() != null && Double.isNaN(s.p50Ms()) && s.lost() == 0) {
            return failed(s);
        }
        return String.format(
                Locale.ROOT,
                "%,d / %,d / %,d%s%s",
                s.lost(),
                s.reordered(),
                s.duplicates(),
                s.closed() == 0
                        ? ""
                        : String.format(
                                "; the server closed %d connection%s",
                                s.closed(), s.closed() == 1 ? "" : "s"),
                s.error() == null ? "" : "; " + shortError(s.error()));
    }

    private static String failed(@Nullable StepFigures s) {
        String error = s == null ? null : s.error();
        return error == null ? "not run" : "failed: " + shortError(error);
    }

    /** An error for a table cell: without exception class names, ray ids and pipes. */
    static String shortError(String error) {
        return error.replaceAll("(?:[a-z]+\\.)+[A-Z][A-Za-z]*(?:Exception|Error): ", "")
                .replaceAll("#[0-9a-z]{8,}", "")
                .replace('|', '/');
    }

    private static String created(
            @Nullable Creates c, java.util.function.Function<Creates, double[]> figure) {
        return c == null ? "not measured" : medianMax(figure.apply(c));
    }

    /** "12×" or "0.8×": a ÷ b. */
    private static String ratio(double a, double b) {
        if (!(a > 0) || !(b > 0)) {
            return "—";
        }
        double r = a / b;
        return (r >= 10
                        ? String.format(Locale.ROOT, "%,.0f", r)
                        : String.format(Locale.ROOT, "%.1f", r))
                + "×";
    }

    /** A figure to 3 significant digits or so: 0.42, 4.6, 33.8, 478, 12,345. */
    private static String num(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        double a = Math.abs(v);
        return a >= 100
                ? String.format(Locale.ROOT, "%,.0f", v)
                : a >= 10
                        ? String.format(Locale.ROOT, "%.1f", v)
                        : String.format(Locale.ROOT, "%.2f", v);
    }

    // -------------------------------------------------------------------------------------------
    // waiting

    /** CPU time used so far by this JVM (the viewers, the baseline's SDKs), in nanoseconds. */
    private static long toolCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /**
     * Before a step: waits until no viewer has received a session event for a second (a slow server
     * may still be delivering an earlier turn past its drain), {@code seconds} at most.
     */
    private static void quiet(Viewer[] viewers, double seconds) throws InterruptedException {
        long giveUp = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < giveUp) {
            long last = Arrays.stream(viewers).mapToLong(v -> v.lastEventNanos).max().orElse(0);
            if (System.nanoTime() - last > 1_000_000_000L) {
                return;
            }
            Thread.sleep(50);
        }
    }
}
