package dev.rivetkitjava.benchmarks.agent;

import dev.rivetkitjava.benchmarks.LatencyHistogram;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.SandboxAgentServer;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.postgres.PostgresSessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.sqlite.SqliteSessionPersistDriver;
import dev.rivetkitjava.sandboxagent.pinned.PinnedSandboxAgent;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Events through SDK → persist driver → listener (issue [C]'s performance goal): the real Sandbox
 * Agent server (pinned 0.4.2) with the fast agent ({@code amp}) streaming stamped chunks on one
 * session, once paced (default 5 000 chunks at 1 000/s) and once as fast as it can; for each
 * driver, events/s and the latency from the agent's stamp to the SDK's listener, which sees an
 * event only once the driver has persisted it. "Added" is each percentile minus the in-memory
 * driver's. Every chunk must arrive once, in order, unless the Sandbox Agent server says it dropped
 * it (its stream keeps 1 024 messages: an unpaced burst can outrun a reader on a busy machine; the
 * SDK records that as an {@code _sdk/events_dropped} event, counted apart). Run by {@code bin/bench
 * events}; arguments: chunks per turn, paced rate per second.
 */
public final class SessionEventsFigures {
    /**
     * Issue [C]: at least this many events/s per session, with at most {@link #MAX_ADDED_P99_MS}
     * added p99.
     */
    private static final double GOAL_EVENTS_PER_SECOND = 1_000;

    private static final double MAX_ADDED_P99_MS = 10;
    private static final String AGENT = "amp";

    private SessionEventsFigures() {}

    /** One turn as the listener saw it. */
    record Turn(String driver, String pace, ChunkStream stream) {}

    /**
     * A Sandbox Agent server of this checkout with the stand-in agents, its data under {@code
     * home}.
     */
    static SandboxAgentServer startServer(Path home) {
        return SandboxAgentServer.builder()
                .binary(PinnedSandboxAgent.find().prepare(home))
                .dataHome(home)
                .pidFile(home.resolve("server.pid"))
                .start();
    }

    public static void main(String[] args) throws Exception {
        int chunks = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        Path dir = Files.createTempDirectory("rivetkit-session-events");
        List<Turn> turns = new ArrayList<>();
        try (SandboxAgentServer server = startServer(dir.resolve("sandbox-agent"))) {
            System.out.printf(
                    "events: SDK → persist driver → listener, real Sandbox Agent server (%s) with the fast "
                            + "agent; one session, %,d stamped chunks paced at %,d/s, then as fast as it can; JDK %s, %d "
                            + "cores%n",
                    server.baseUrl(),
                    chunks,
                    rate,
                    Runtime.version(),
                    Runtime.getRuntime().availableProcessors());
            Measure measure = new Measure(server.baseUrl(), chunks, rate, turns);
            // JIT warm-up of the SDK's paths (and the agent's), not a figure.
            measure.warmUp(new InMemorySessionPersistDriver());

            measure.driver("memory", new InMemorySessionPersistDriver());
            try (SqliteSessionPersistDriver sqlite =
                    SqliteSessionPersistDriver.open(dir.resolve("sessions.db"))) {
                measure.driver("SQLite", sqlite);
            }
            try (ActorStateDriverHost host =
                    ActorStateDriverHost.open(
                            dir.resolve("actors.db"),
                            InMemorySessionPersistDriver.DEFAULT_MAX_EVENTS_PER_SESSION)) {
                measure.driver("actor state", host.driver());
            }
            try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                    PostgresSessionPersistDriver driver =
                            PostgresSessionPersistDriver.builder()
                                    .jdbcUrl(
                                            postgres.getJdbcUrl("postgres", "postgres"),
                                            "postgres",
                                            "postgres")
                                    .build()) {
                measure.driver("PostgreSQL", driver);
            }
        }
        boolean ok = report(turns, rate);
        System.exit(ok ? 0 : 1);
    }

    /** Drives turns on one SDK per driver; adds what each listener saw to {@code turns}. */
    record Measure(String baseUrl, int chunks, int rate, List<Turn> turns) {

        void warmUp(SessionPersistDriver driver) throws Exception {
            try (SandboxAgent sdk = SandboxAgent.builder(baseUrl).persist(driver).build()) {
                Session session = sdk.createSession(SessionCreateRequest.of(AGENT));
                AtomicReference<ChunkStream> current = listen(session);
                for (int i = 0; i < 3; i++) {
                    turn(session, current, chunks, 0);
                }
            }
        }

        void driver(String name, SessionPersistDriver driver) throws Exception {
            try (SandboxAgent sdk = SandboxAgent.builder(baseUrl).persist(driver).build()) {
                Session session = sdk.createSession(SessionCreateRequest.of(AGENT));
                AtomicReference<ChunkStream> current = listen(session);
                turn(session, current, Math.min(chunks, 1_000), 0); // the driver's own warm-up
                turns.add(
                        new Turn(
                                name,
                                String.format(Locale.ROOT, "paced %,d/s", rate),
                                turn(session, current, chunks, rate)));
                turns.add(new Turn(name, "as fast as it can", turn(session, current, chunks, 0)));
            }
        }

        private static AtomicReference<ChunkStream> listen(Session session) {
            AtomicReference<ChunkStream> current = new AtomicReference<>(new ChunkStream(0));
            // Never null: set to the next turn's stream, never cleared.
            session.onEvent(
                    event ->
                            Objects.requireNonNull(current.get())
                                    .onPayload(event.payload(), System.nanoTime()));
            return current;
        }

        /**
         * One turn of {@code chunks} stamped chunks ({@code rate} 0: unpaced); returns what the
         * listener saw.
         */
        private static ChunkStream turn(
                Session session, AtomicReference<ChunkStream> current, int chunks, int rate)
                throws InterruptedException {
            ChunkStream stream = new ChunkStream(chunks);
            current.set(stream);
            String stopReason =
                    session.prompt(
                                    "chunks="
                                            + chunks
                                            + (rate > 0 ? " rate=" + rate : "")
                                            + " STAMP")
                            .stopReason();
            if (!stopReason.equals("end_turn")) {
                throw new IllegalStateException("the turn ended with " + stopReason);
            }
            stream.awaitLast(Duration.ofSeconds(5));
            return stream;
        }
    }

    private static boolean report(List<Turn> turns, int rate) {
        boolean ok = true;
        System.out.println();
        for (Turn turn : turns) {
            ChunkStream s = turn.stream();
            Turn memory =
                    turns.stream()
                            .filter(
                                    t ->
                                            t.driver().equals("memory")
                                                    && t.pace().equals(turn.pace()))
                            .findFirst()
                            .orElseThrow();
            System.out.printf(
                    "events %-12s %-18s %,7.0f events/s  stamp → listener %s%n",
                    turn.driver(), turn.pace(), s.perSecond(), s.latency.summaryMillis());
            // Unpaced, latency is the queue behind a burst the agent wrote at once: no baseline to
            // subtract.
            String added =
                    turn == memory
                            ? "(the baseline)"
                            : turn.pace().startsWith("paced")
                                    ? added(s.latency, memory.stream().latency)
                                    : "(unpaced: not compared)";
            System.out.printf(
                    "       %-12s %-18s lost %d%s, reordered %d, duplicated %d; added over memory: %s%n",
                    "", "", s.lost(), serverDrops(s), s.reordered(), s.duplicates(), added);
            ok &= s.cleanButForServerDrops();
        }
        System.out.println();
        for (String driver : List.of("SQLite", "actor state")) {
            Turn paced =
                    turns.stream()
                            .filter(t -> t.driver().equals(driver) && t.pace().startsWith("paced"))
                            .findFirst()
                            .orElseThrow();
            Turn memory =
                    turns.stream()
                            .filter(
                                    t ->
                                            t.driver().equals("memory")
                                                    && t.pace().startsWith("paced"))
                            .findFirst()
                            .orElseThrow();
            double addedP99 =
                    (paced.stream().latency.percentile(99) - memory.stream().latency.percentile(99))
                            / 1e6;
            boolean met =
                    rate >= GOAL_EVENTS_PER_SECOND
                            && paced.stream().perSecond() >= 0.98 * rate
                            && addedP99 <= MAX_ADDED_P99_MS
                            && paced.stream().lost() == 0
                            && paced.stream().reordered() == 0;
            System.out.printf(
                    "goal [C] %-12s ≥ %,.0f events/s per session with ≤ %.0f ms added p99: %s (%,.0f "
                            + "events/s at a paced %,d/s, added p99 %+.2f ms)%n",
                    driver,
                    GOAL_EVENTS_PER_SECOND,
                    MAX_ADDED_P99_MS,
                    met ? "met" : "MISSED",
                    paced.stream().perSecond(),
                    rate,
                    addedP99);
        }
        return ok;
    }

    /**
     * How many stream messages the Sandbox Agent server said it dropped (its 1 024-message buffer
     * overflowed).
     */
    static String serverDrops(ChunkStream s) {
        return s.serverDropped() == 0
                ? ""
                : String.format(
                        " (the Sandbox Agent server dropped %d stream messages "
                                + "the SDK had not read yet: its buffer keeps 1 024)",
                        s.serverDropped());
    }

    /** "p50 +0.12 ms p95 +0.40 ms p99 +1.20 ms": each percentile minus the baseline's. */
    static String added(LatencyHistogram measured, LatencyHistogram baseline) {
        return String.format(
                "p50 %+.2f ms  p95 %+.2f ms  p99 %+.2f ms",
                (measured.percentile(50) - baseline.percentile(50)) / 1e6,
                (measured.percentile(95) - baseline.percentile(95)) / 1e6,
                (measured.percentile(99) - baseline.percentile(99)) / 1e6);
    }
}
