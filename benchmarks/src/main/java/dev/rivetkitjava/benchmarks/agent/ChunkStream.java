package dev.rivetkitjava.benchmarks.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.benchmarks.LatencyHistogram;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What one listener saw of one fast-agent turn ({@code sandbox-agent-server/fast-agent.mjs} with
 * {@code STAMP}): chunks "chunk N @&lt;epoch ms&gt;" numbered 1..expected. Records each chunk's
 * latency from the agent's stamp to its receipt, and checks that every chunk arrives exactly once
 * and in order. Written by one thread at a time (the listener's); {@link #received()} and {@link
 * #sawLast()} may be polled from others, the rest is read once the turn is over.
 */
final class ChunkStream {
    private static final Pattern CHUNK = Pattern.compile("chunk (\\d+) @(\\d+)(?:\\.(\\d{1,6}))?");

    /**
     * Epoch nanoseconds minus {@link System#nanoTime()}, so receipt times taken with nanoTime
     * compare to stamps.
     */
    private static final long EPOCH_OFFSET = epochNanos(Instant.now()) - System.nanoTime();

    /** One stamped chunk: its number and when the agent sent it, in epoch nanoseconds. */
    record Chunk(int number, long sentEpochNanos) {}

    final LatencyHistogram latency = new LatencyHistogram();
    private final int expected;
    private final long notBefore;
    private long stale;
    private final BitSet seen = new BitSet();
    private int highest;
    private volatile int received;
    private volatile boolean sawLast;
    private long reordered;
    private long duplicates;
    private long serverDropped;
    private long firstSent = Long.MAX_VALUE;
    private long lastReceived = Long.MIN_VALUE;

    ChunkStream(int expected) {
        this(expected, Long.MIN_VALUE);
    }

    /**
     * A turn of {@code expected} chunks whose prompt was sent at {@code notBeforeEpochNanos}:
     * chunks stamped earlier belong to an earlier turn still being delivered (a slow server's
     * backlog) and are counted as {@link #stale()}.
     */
    ChunkStream(int expected, long notBeforeEpochNanos) {
        this.expected = expected;
        this.notBefore = notBeforeEpochNanos;
    }

    /** Now, in epoch nanoseconds on the clock {@link #record} compares stamps with. */
    static long nowEpochNanos() {
        return System.nanoTime() + EPOCH_OFFSET;
    }

    /**
     * The stamped chunk a session event carries: {@code payload} is the event's JSON-RPC envelope
     * (a {@code session/update} with an {@code agent_message_chunk}); null for any other event.
     */
    static @Nullable Chunk parse(JsonNode payload) {
        JsonNode update = payload.path("params").path("update");
        if (!update.path("sessionUpdate").asText().equals("agent_message_chunk")) {
            return null;
        }
        Matcher m = CHUNK.matcher(update.path("content").path("text").asText());
        if (!m.matches()) {
            return null;
        }
        // Exactly, not through a double: epoch milliseconds with 3 decimals are more digits than a
        // double holds.
        String fraction = m.group(3) == null ? "" : m.group(3);
        long nanos = Long.parseLong((fraction + "000000").substring(0, 6));
        return new Chunk(
                Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)) * 1_000_000L + nanos);
    }

    /**
     * Records a session event's payload received at {@code receivedNanos} ({@link
     * System#nanoTime()}): a stamped chunk, or the SDK's note that the Sandbox Agent server dropped
     * stream messages (its buffer keeps 1 024).
     */
    void onPayload(JsonNode payload, long receivedNanos) {
        Chunk chunk = parse(payload);
        if (chunk != null) {
            record(chunk, receivedNanos);
        } else if (payload.path("method").asText().equals("_sdk/events_dropped")) {
            JsonNode params = payload.path("params");
            serverDropped +=
                    Math.max(
                            0,
                            params.path("firstEventId").asLong()
                                    - params.path("afterEventId").asLong()
                                    - 1);
        }
    }

    void record(Chunk chunk, long receivedNanos) {
        int n = chunk.number();
        if (chunk.sentEpochNanos() < notBefore) {
            stale++;
            return;
        }
        if (n < 1 || n > expected) {
            return; // another turn's
        }
        if (seen.get(n - 1)) {
            duplicates++;
            return;
        }
        seen.set(n - 1);
        received++; // one writer
        sawLast |= n == expected;
        if (n < highest) {
            reordered++;
        }
        highest = Math.max(highest, n);
        long received = receivedNanos + EPOCH_OFFSET;
        latency.record(received - chunk.sentEpochNanos());
        firstSent = Math.min(firstSent, chunk.sentEpochNanos());
        lastReceived = Math.max(lastReceived, received);
    }

    /** Whether the last chunk has arrived (not necessarily all before it). */
    boolean sawLast() {
        return sawLast;
    }

    /**
     * Waits at most {@code timeout} for the last chunk: a turn's reply may overtake its last
     * events' delivery.
     */
    void awaitLast(Duration timeout) throws InterruptedException {
        long giveUp = System.nanoTime() + timeout.toNanos();
        while (!sawLast && System.nanoTime() < giveUp) {
            Thread.sleep(1);
        }
    }

    int received() {
        return received;
    }

    long lost() {
        return expected - received;
    }

    /** Chunks of an earlier turn (stamped before this turn's prompt was sent), ignored. */
    long stale() {
        return stale;
    }

    long reordered() {
        return reordered;
    }

    long duplicates() {
        return duplicates;
    }

    /**
     * Stream messages the Sandbox Agent server dropped before the SDK read them (chunks or not), as
     * it signalled.
     */
    long serverDropped() {
        return serverDropped;
    }

    /**
     * Whether every chunk came once and in order, but for losses the Sandbox Agent server
     * signalled.
     */
    boolean cleanButForServerDrops() {
        return reordered == 0 && duplicates == 0 && lost() <= serverDropped;
    }

    /**
     * From the first chunk's send to the last receipt, in seconds: the span over which the rate is
     * counted.
     */
    double seconds() {
        return lastReceived == Long.MIN_VALUE ? 0 : (lastReceived - firstSent) / 1e9;
    }

    long firstSentEpochNanos() {
        return firstSent;
    }

    long lastReceivedEpochNanos() {
        return lastReceived;
    }

    /** Chunks received per second over {@link #seconds()}. */
    double perSecond() {
        double s = seconds();
        return s <= 0 ? 0 : received() / s;
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
