package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * insertEvent throughput and latency of each session persist driver, as the SDK drives them: one writer per
 * session, each call durable on return, ~1 KB JSON-RPC payloads, single events and batches of 16. Run by
 * {@code bin/bench persist}; argument: seconds measured per figure (default 5, after as long a warm-up).
 */
public final class PersistDriverFigures {
    private static final int BATCH = 16;
    private static final JsonNode PAYLOAD = payload();

    public static void main(String[] args) throws Exception {
        Duration measured = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 5);
        Path dir = Files.createTempDirectory("rivetkit-persist-figures");
        System.out.printf("persist: payload %d bytes of JSON, %s measured per figure after as long a warm-up%n",
                PAYLOAD.toString().length(), measured);

        figures("memory", new InMemorySessionPersistDriver(), measured);

        try (SqliteSessionPersistDriver sqlite = SqliteSessionPersistDriver.open(dir.resolve("sessions.db"))) {
            figures("SQLite", sqlite, measured);
        }

        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
             PostgresSessionPersistDriver driver = PostgresSessionPersistDriver.builder()
                     .jdbcUrl(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "postgres").build()) {
            figures("PostgreSQL", driver, measured);
        }

        // Every write saves the whole state, so its cost grows with the events kept: at the default cap and below.
        for (int maxEvents : new int[] {500, 50}) {
            actorState(dir.resolve("actors-" + maxEvents + ".db"), maxEvents, measured);
        }
    }

    private static void actorState(Path db, int maxEvents, Duration measured) throws Exception {
        try (ActorStateDriverHost host = ActorStateDriverHost.open(db, maxEvents)) {
            figures("actor state (SQLite store, " + maxEvents + " events kept)", host.driver(), measured);
        }
    }

    private static void figures(String name, SessionPersistDriver driver, Duration measured) {
        for (int batch : new int[] {1, BATCH}) {
            run(driver, batch, measured);   // warm-up, on a session of its own
            Result result = run(driver, batch, measured);
            System.out.printf("persist %-44s %s: %,9.0f events/s, per call %s%n", name,
                    batch == 1 ? "insertEvent       " : "insertEvents of " + batch, result.eventsPerSecond(),
                    result.latency().summaryMillis());
        }
    }

    private record Result(double eventsPerSecond, LatencyHistogram latency) {
    }

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
                index++;
                events.add(new SessionEvent(UUID.randomUUID().toString(), index, sessionId, System.currentTimeMillis(),
                        "conn-1", SessionEvent.Sender.AGENT, PAYLOAD));
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

    /** A {@code session/update} notification carrying an agent message chunk, about 1 KB as JSON. */
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
