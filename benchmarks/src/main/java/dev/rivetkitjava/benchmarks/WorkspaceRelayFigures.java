package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The workspace relay (issue [D]'s performance goal): {@code serve} with the fast agent ({@code amp}), W workspaces
 * with V viewers each — RivetKit-protocol WebSocket connections subscribed to {@code session.event} — and one more
 * connection per workspace that calls {@code prompt} with a turn of stamped chunks at a given rate; every workspace
 * streams at once. Each viewer checks that it gets every chunk once and in order, and records the latency from the
 * agent's stamp to its frame. The relay's added latency is each percentile minus a baseline taken just before on
 * the same Sandbox Agent server: W sessions at the same rate driven by the SDK in this process (in-memory driver,
 * no actor), stamp → listener. So "added" is what the actor adds: the actor-state persist driver, the broadcast and
 * the WebSocket delivery.
 *
 * <pre>
 * java -cp benchmarks.jar dev.rivetkitjava.benchmarks.WorkspaceRelayFigures --workspaces 10 --viewers 50 --rates 100,1000
 * </pre>
 *
 * Options: {@link #USAGE}. Run by {@code bin/bench workspace}.
 */
public final class WorkspaceRelayFigures {
    static final String USAGE = """
            WorkspaceRelayFigures: agent events relayed through workspace actors to WebSocket viewers.
              --workspaces W        workspaces streaming at once (default 10)
              --viewers V           viewers per workspace (default 50)
              --rates R1,R2         chunks per second per workspace, one step each (default 100,1000)
              --seconds S           length of each step's turn (default 5): chunks = rate × S
              --encoding bare|cbor|json  the viewers' (default bare, the official client's)
              --endpoint URL        a running `serve --agent amp` (default: fork bin/rivetkit-java serve)
              --sandbox-agent-url U its Sandbox Agent server, for the baseline (with --endpoint)
              --sandbox-agent-token T  that server's token, if it has one
            """;
    /** Issue [D]'s goals. */
    private static final double MAX_P95_MS = 100;
    private static final double GOAL_EVENTS_PER_SECOND = 1_000;
    private static final double MAX_ADDED_P99_MS = 10;
    private static final String AGENT = "amp";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private WorkspaceRelayFigures() {
    }

    record Options(int workspaces, int viewers, List<Integer> rates, double seconds, Encoding encoding,
            String endpoint, String sandboxAgentUrl, String sandboxAgentToken) {

        static Options parse(String... args) {
            int workspaces = 10;
            int viewers = 50;
            List<Integer> rates = List.of(100, 1000);
            double seconds = 5;
            Encoding encoding = Encoding.BARE;
            String endpoint = null;
            String sandboxAgentUrl = null;
            String sandboxAgentToken = null;
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--help") || args[i].equals("-h")) {
                    throw new IllegalArgumentException("");
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                String value = args[++i];
                switch (args[i - 1]) {
                    case "--workspaces" -> workspaces = positive("--workspaces", value);
                    case "--viewers" -> viewers = positive("--viewers", value);
                    case "--rates" -> rates = Arrays.stream(value.split(",")).map(r -> positive("--rates", r.trim()))
                            .toList();
                    case "--seconds" -> seconds = positiveSeconds(value);
                    case "--encoding" -> encoding = Encoding.fromWireName(value);
                    case "--endpoint" -> endpoint = value.replaceAll("/+$", "");
                    case "--sandbox-agent-url" -> sandboxAgentUrl = value.replaceAll("/+$", "");
                    case "--sandbox-agent-token" -> sandboxAgentToken = value;
                    default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
                }
            }
            if ((endpoint == null) != (sandboxAgentUrl == null)) {
                throw new IllegalArgumentException("--endpoint and --sandbox-agent-url go together");
            }
            return new Options(workspaces, viewers, rates, seconds, encoding, endpoint, sandboxAgentUrl,
                    sandboxAgentToken);
        }

        private static double positiveSeconds(String value) {
            try {
                double seconds = Double.parseDouble(value);
                if (seconds > 0) {
                    return seconds;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--seconds must be a positive number, not " + value);
        }

        private static int positive(String name, String value) {
            int n;
            try {
                n = Integer.parseInt(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " takes a number, not " + value);
            }
            if (n <= 0) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return n;
        }
    }

    /** One viewer: records the current turn's chunks, on its WebSocket's reading thread. */
    private static final class Viewer implements ProtocolConnection.EventSink {
        volatile ChunkStream current = new ChunkStream(0);

        @Override
        public void onEvent(ToClient.Event event, long receivedNanos) {
            if (event.name().equals("session.event") && !event.args().isEmpty()) {
                current.onPayload(event.args().get(0).path("payload"), receivedNanos);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println("workspace: " + e.getMessage());
            }
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        boolean ok = run(options, line -> {
            System.out.println(line);
            System.out.flush();
        });
        System.exit(ok ? 0 : 1);
    }

    static boolean run(Options o, Consumer<String> out) throws Exception {
        if (o.endpoint() != null) {
            return run(o, o.endpoint(), new SandboxAgentTarget(o.sandboxAgentUrl(), o.sandboxAgentToken()), null, out);
        }
        try (ServeProcess serve = ServeProcess.start(Files.createTempDirectory("rivetkit-workspace-relay"), AGENT,
                Duration.ofMinutes(10))) {
            return run(o, serve.endpoint(), new SandboxAgentTarget(serve.sandboxAgentUrl(), serve.sandboxAgentToken()),
                    serve, out);
        }
    }

    /** The Sandbox Agent server behind the workspaces, which the baseline drives directly. */
    private record SandboxAgentTarget(String url, String token) {
    }

    private static boolean run(Options o, String endpoint, SandboxAgentTarget sandboxAgent, ServeProcess serve,
            Consumer<String> out) throws Exception {
        int w = o.workspaces();
        int v = o.viewers();
        String run = LoadTool.runId();
        Viewer[] viewers = new Viewer[w * v];
        Arrays.setAll(viewers, i -> new Viewer());
        boolean ok = true;
        try (LoadClients clients = new LoadClients(endpoint, o.encoding(), 2, "direct")) {
            clients.metadata();
            out.accept(String.format("workspace relay → %s (serve --agent %s%s); %d workspaces × %d viewers, %s; JDK "
                            + "%s, %d cores; %s", endpoint, AGENT, serve == null ? ", given" : ", forked", w, v,
                    o.encoding().wireName(), Runtime.version(), Runtime.getRuntime().availableProcessors(),
                    CpuWindow.loadAverage()));
            // The prompting connection first, so the actor exists before its viewers' getOrCreate.
            LoadClients.Opened drivers = clients.open("workspace", w, i -> "relay-" + run + "-" + i, i -> null, 16,
                    Duration.ofSeconds(60));
            LoadClients.Opened watching = drivers.failed() > 0 ? drivers
                    : clients.open("workspace", w * v, i -> "relay-" + run + "-" + (i / v), i -> viewers[i], 64,
                    Duration.ofSeconds(60));
            List<ProtocolConnection> all = new ArrayList<>(drivers.connections());
            if (watching != drivers) {
                all.addAll(watching.connections());
            }
            try {
                if (drivers.failed() > 0 || watching.failed() > 0) {
                    throw new IllegalStateException((drivers.failed() + watching.failed()) + " of " + (w + w * v)
                            + " connections failed: " + drivers.failures() + " " + watching.failures());
                }
                for (ProtocolConnection viewer : watching.connections()) {
                    viewer.subscribe("session.event").get(30, TimeUnit.SECONDS);
                }
                // Warm-up (not a figure): starts every workspace's session and the JIT, and shows that every
                // viewer's subscription is in effect (a viewer without the whole warm-up turn fails the run).
                int warmRate = o.rates().getLast();
                Step warm = new Step(warmRate, (int) Math.max(200, Math.min(2_000, warmRate * 2L)));
                warm.baseline(sandboxAgent, w);
                StepResult warmed = warm.relay(drivers.connections(), viewers, v, serve);
                long unready = Arrays.stream(viewers).filter(viewer -> !viewer.current.sawLast()).count();
                if (unready > 0) {
                    throw new IllegalStateException(unready + " viewers did not get the warm-up turn: "
                            + warmed.firstError);
                }
                out.accept(String.format("warm-up: %,d chunks per workspace at %,d/s, not a figure", warm.chunks,
                        warmRate));
                for (int rate : o.rates()) {
                    Step step = new Step(rate, (int) Math.max(1, Math.round(rate * o.seconds())));
                    LatencyHistogram baseline = step.baseline(sandboxAgent, w);
                    StepResult result = step.relay(drivers.connections(), viewers, v, serve);
                    out.accept("");
                    result.lines(step, w, v, baseline).forEach(out);
                    ok &= result.lost <= result.serverDropped && result.reordered == 0 && result.duplicates == 0
                            && result.firstError == null;
                }
            } finally {
                LoadClients.closeAll(all, 64);
            }
        }
        return ok;
    }

    /** One turn per workspace: {@code chunks} stamped chunks at {@code rate} per second. */
    private record Step(int rate, int chunks) {

        String prompt() {
            return "chunks=" + chunks + " rate=" + rate + " STAMP";
        }

        /** W SDK sessions on the Sandbox Agent server directly, streaming at once: stamp → listener. */
        LatencyHistogram baseline(SandboxAgentTarget sandboxAgent, int sessions) throws Exception {
            LatencyHistogram latency = new LatencyHistogram();
            List<Future<ChunkStream>> turns = new ArrayList<>();
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < sessions; i++) {
                    turns.add(threads.submit(() -> {
                        SandboxAgent.Builder builder = SandboxAgent.builder(sandboxAgent.url())
                                .persist(new InMemorySessionPersistDriver());
                        try (SandboxAgent sdk = (sandboxAgent.token() == null ? builder
                                : builder.token(sandboxAgent.token())).build()) {
                            Session session = sdk.createSession(SessionCreateRequest.of(AGENT));
                            ChunkStream stream = new ChunkStream(chunks);
                            session.onEvent(event -> stream.onPayload(event.payload(), System.nanoTime()));
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

        /** Every workspace prompts at once; waits for the turns, then for the viewers to get the last chunk. */
        StepResult relay(List<ProtocolConnection> drivers, Viewer[] viewers, int perWorkspace, ServeProcess serve)
                throws Exception {
            for (Viewer viewer : viewers) {
                viewer.current = new ChunkStream(chunks);
            }
            long[] cpuBefore = serve == null ? null : serve.cpuNanos();
            long toolCpuBefore = toolCpuNanos();
            ObjectNode input = NODES.objectNode().put("userId", "bench").put("text", prompt());
            List<CompletableFuture<ProtocolConnection.Reply>> replies = drivers.stream()
                    .map(driver -> driver.action("prompt", input)).toList();
            String firstError = null;
            long turnTimeout = (long) (chunks * 1000.0 / rate) + 120_000;
            for (CompletableFuture<ProtocolConnection.Reply> reply : replies) {
                try {
                    String stop = reply.get(turnTimeout, TimeUnit.MILLISECONDS).output().path("stopReason").asText();
                    if (!stop.equals("end_turn") && firstError == null) {
                        firstError = "a turn ended with " + stop;
                    }
                } catch (Exception e) {
                    firstError = firstError == null ? "prompt failed: " + e : firstError;
                }
            }
            drain(viewers);
            long[] cpuAfter = serve == null ? null : serve.cpuNanos();
            return StepResult.of(viewers, perWorkspace, firstError, drivers.size(), cpuBefore, cpuAfter,
                    toolCpuNanos() - toolCpuBefore);
        }
    }

    private record StepResult(LatencyHistogram latency, long deliveries, double seconds, double[] perSession,
            long lost, long serverDropped, long reordered, long duplicates, String firstError, long[] cpuBefore,
            long[] cpuAfter, long toolCpu) {

        static StepResult of(Viewer[] viewers, int perWorkspace, String firstError, int workspaces, long[] cpuBefore,
                long[] cpuAfter, long toolCpu) {
            LatencyHistogram latency = new LatencyHistogram();
            long deliveries = 0;
            long lost = 0;
            long serverDropped = 0;
            long reordered = 0;
            long duplicates = 0;
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
                    if (s.received() > 0) {
                        wFirst = Math.min(wFirst, s.firstSentEpochNanos());
                        wLast = Math.max(wLast, s.lastReceivedEpochNanos());
                        chunks = Math.max(chunks, s.received());
                    }
                }
                // A session's relay rate: its chunks over the time from the first one's send to the last delivery.
                perSession[w] = wLast > wFirst ? chunks / ((wLast - wFirst) / 1e9) : 0;
                firstSent = Math.min(firstSent, wFirst);
                lastReceived = Math.max(lastReceived, wLast);
            }
            double seconds = lastReceived > firstSent ? (lastReceived - firstSent) / 1e9 : 0;
            return new StepResult(latency, deliveries, seconds, perSession, lost, serverDropped, reordered, duplicates,
                    firstError, cpuBefore, cpuAfter, toolCpu);
        }

        List<String> lines(Step step, int workspaces, int viewers, LatencyHistogram baseline) {
            List<String> lines = new ArrayList<>();
            double minRate = Arrays.stream(perSession).min().orElse(0);
            double meanRate = Arrays.stream(perSession).average().orElse(0);
            lines.add(String.format("workspace relay: %d workspaces × %d viewers, the agent at %,d chunks/s per "
                    + "session (%,d each)", workspaces, viewers, step.rate(), step.chunks()));
            lines.add(String.format("  relayed %,.0f events/s per session (mean; slowest %,.0f), %,.0f deliveries/s "
                    + "in all (%,d in %.1f s)", meanRate, minRate, seconds > 0 ? deliveries / seconds : 0, deliveries,
                    seconds));
            lines.add("  delivery latency (agent stamp → viewer) " + latency.summaryMillis());
            lines.add("  baseline (stamp → SDK listener, no actor) " + baseline.summaryMillis());
            lines.add("  relay added over the baseline: " + SessionEventsFigures.added(latency, baseline));
            lines.add(String.format("  lost %d, reordered %d, duplicated %d (over %d viewers × %,d chunks)%s%s", lost,
                    reordered, duplicates, workspaces * viewers, step.chunks(), serverDropped == 0 ? ""
                            : "; the Sandbox Agent server dropped " + serverDropped / viewers + " stream messages (all "
                            + "workspaces) before the SDK read them: its buffer keeps 1 024",
                    firstError == null ? "" : "; " + firstError));
            double s = Math.max(seconds, 1e-9);
            String serveCpu = cpuBefore == null ? "" : String.format("serve JVM %.1f s (%.0f %% of a core), Sandbox "
                            + "Agent server + agents %.1f s (%.0f %%), ", (cpuAfter[0] - cpuBefore[0]) / 1e9,
                    (cpuAfter[0] - cpuBefore[0]) / 1e7 / s, (cpuAfter[1] - cpuBefore[1]) / 1e9,
                    (cpuAfter[1] - cpuBefore[1]) / 1e7 / s);
            lines.add(String.format("  CPU over the step (%.1f s): %sthis load tool %.1f s (%.0f %%); %s", seconds,
                    serveCpu, toolCpu / 1e9, toolCpu / 1e7 / s, CpuWindow.loadAverage()));
            double p95 = latency.percentile(95) / 1e6;
            double addedP99 = (latency.percentile(99) - baseline.percentile(99)) / 1e6;
            boolean clean = lost == 0 && reordered == 0 && duplicates == 0;
            lines.add(String.format("  goal [D] no loss or reorder: %s; p95 delivery < %.0f ms: %s (%.1f ms)",
                    clean ? "met" : "MISSED", MAX_P95_MS, p95 < MAX_P95_MS ? "met" : "MISSED", p95));
            if (step.rate() >= GOAL_EVENTS_PER_SECOND) {
                boolean met = minRate >= 0.95 * GOAL_EVENTS_PER_SECOND && addedP99 <= MAX_ADDED_P99_MS;
                lines.add(String.format("  goal [D] relay ≥ %,.0f events/s per session with ≤ %.0f ms added p99: %s "
                                + "(slowest session %,.0f events/s, added p99 %+.1f ms)", GOAL_EVENTS_PER_SECOND,
                        MAX_ADDED_P99_MS, met ? "met" : "MISSED", minRate, addedP99));
            }
            return lines;
        }
    }

    /** CPU time used so far by this JVM (the viewers, the baseline's SDKs), in nanoseconds. */
    private static long toolCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Waits until every viewer has the last chunk, or until none made progress for 5 s (60 s at most). */
    private static void drain(Viewer[] viewers) throws InterruptedException {
        long progress = -1;
        long stalledSince = System.nanoTime();
        long giveUp = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < giveUp) {
            long total = 0;
            boolean done = true;
            for (Viewer viewer : viewers) {
                total += viewer.current.received();
                done &= viewer.current.sawLast();
            }
            if (done) {
                return;
            }
            if (total != progress) {
                progress = total;
                stalledSince = System.nanoTime();
            } else if (System.nanoTime() - stalledSince > 5_000_000_000L) {
                return;
            }
            Thread.sleep(5);
        }
    }
}
