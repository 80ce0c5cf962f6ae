package dev.rivetkitjava.benchmarks.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.benchmarks.LatencyHistogram;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.postgres.PostgresSessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.sqlite.SqliteSessionPersistDriver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;

/**
 * insertEvent throughput and latency of each session persist driver, as the SDK drives them: one
 * writer per session, each call durable on return, ~1 KB JSON-RPC payloads, single events and
 * batches of 16 (closed loop: as fast as the driver goes), then an offered load of {@value
 * #PACED_EVENTS_PER_SECOND} events/s written as the SDK writes them (every event due by the time
 * the previous write returned, in one call), with the latency from each event's due time to
 * durable. Run by {@code bin/bench persist}; argument: seconds measured per figure (default 5,
 * after as long a warm-up).
 */
public final class PersistDriverFigures {
    private static final int BATCH = 16;
    private static final int PACED_EVENTS_PER_SECOND = 1_000;
    private static final JsonNode PAYLOAD = payload();

    public static void main(String[] args) throws Exception {
        Duration measured = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
        Path dir = Files.createTempDirectory("rivetkit-persist-figures");
        System.out.printf(
                "persist: payload %d bytes of JSON, %s measured per figure after as long a warm-up%n",
                PAYLOAD.toString().length(), measured);

        figures("memory", new InMemorySessionPersistDriver(), measured);

        try (SqliteSessionPersistDriver sqlite =
                SqliteSessionPersistDriver.open(dir.resolve("sessions.db"))) {
            figures("SQLite", sqlite, measured);
        }

        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                PostgresSessionPersistDriver driver =
                        PostgresSessionPersistDriver.builder()
                                .jdbcUrl(
                                        postgres.getJdbcUrl("postgres", "postgres"),
                                        "postgres",
                                        "postgres")
                                .build()) {
            figures("PostgreSQL", driver, measured);
        }

        // Events go to the actor's key-value store, one entry each; at the default cap every insert
        // also trims.
        actorState(dir.resolve("actors.db"), 500, measured);
    }

    private static void actorState(Path db, int maxEvents, Duration measured) throws Exception {
        try (ActorStateDriverHost host = ActorStateDriverHost.open(db, maxEvents)) {
            figures(
                    "actor state (SQLite store, " + maxEvents + " events kept)",
                    host.driver(),
                    measured);
        }
    }

    private static void figures(String name, SessionPersistDriver driver, Duration measured) {
        for (int batch : new int[] {1, BATCH}) {
            run(driver, batch, measured); // warm-up, on a session of its own
            Result result = run(driver, batch, measured);
            System.out.printf(
                    "persist %-44s %s: %,9.0f events/s, per call %s%n",
                    name,
                    batch == 1 ? "insertEvent       " : "insertEvents of " + batch,
                    result.eventsPerSecond(),
                    result.latency().summaryMillis());
        }
        paced(driver, measured); // warm-up
        Result paced = paced(driver, measured);
        System.out.printf(
                "persist %-44s %s: %,9.0f events/s, due to durable %s%n",
                name,
                "offered " + PACED_EVENTS_PER_SECOND + "/s ",
                paced.eventsPerSecond(),
                paced.latency().summaryMillis());
    }

    /**
     * Events fall due every millisecond; each write takes all that are due, as the SDK's group
     * commit does.
     */
    private static Result paced(SessionPersistDriver driver, Duration duration) {
        String sessionId = UUID.randomUUID().toString();
        LatencyHistogram latency = new LatencyHistogram();
        long interval = 1_000_000_000L / PACED_EVENTS_PER_SECOND;
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long written = 0;
        long now;
        while ((now = System.nanoTime()) < end) {
            long due = (now - start) / interval; // events 1..due are due
            if (due == written) {
                LockSupport.parkNanos(start + (written + 1) * interval - now);
                continue;
            }
            List<SessionEvent> events = new ArrayList<>();
            for (long index = written + 1; index <= due; index++) {
                events.add(event(sessionId, index));
            }
            driver.insertEvents(sessionId, events);
            long done = System.nanoTime();
            for (long index = written + 1; index <= due; index++) {
                latency.record(done - (start + index * interval));
            }
            written = due;
        }
        return new Result(written / ((System.nanoTime() - start) / 1e9), latency);
    }

    private record Result(double eventsPerSecond, LatencyHistogram latency) {}

    /** Appends events to a fresh session for {@code duration}, {@code batch} per call. */
    private static Result run(SessionPersistDriver driver, int batch, Duration duration) {
        String sessionId = UUID.randomUUID().toString();
        LatencyHistogram latency = new LatencyHistogram();
        long index = 0;
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long now = start;
        while (now < end) {
            List<SessionEvent> events = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                events.add(event(sessionId, ++index));
            }
            if (batch == 1) {
                driver.insertEvent(sessionId, events.getFirst());
            } else {
                driver.insertEvents(sessionId, events);
            }
            long done = System.nanoTime();
            latency.record(done - now);
            now = done;
        }
        return new Result(index / ((now - start) / 1e9), latency);
    }

    private static SessionEvent event(String sessionId, long index) {
        return new SessionEvent(
                UUID.randomUUID().toString(),
                index,
                sessionId,
                System.currentTimeMillis(),
                "conn-1",
                SessionEvent.Sender.AGENT,
                PAYLOAD);
    }

    /**
     * A {@code session/update} notification carrying an agent message chunk, about 1 KB as JSON.
     */
    private static JsonNode payload() {
        ObjectNode envelope = JsonNodeFactory.instance.objectNode();
        envelope.put("jsonrpc", "2.0");
        envelope.put("method", "session/update");
        ObjectNode params = envelope.putObject("params");
        params.put("sessionId", UUID.randomUUID().toString());
        ObjectNode update = params.putObject("update");
        update.put("sessionUpdate", "agent_message_chunk");
        ObjectNode content = update.putObject("content");
        content.put("type", "text");
        content.put("text", "The quick brown fox jumps over the lazy dog. ".repeat(20));
        return envelope;
    }
}
