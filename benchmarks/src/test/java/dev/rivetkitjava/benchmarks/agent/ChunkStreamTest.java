package dev.rivetkitjava.benchmarks.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The relay figures' bookkeeping: stamped chunks parsed from session events, loss, reorder and
 * duplicates counted.
 */
class ChunkStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode update(String sessionUpdate, String text) {
        return JSON.createObjectNode()
                .put("jsonrpc", "2.0")
                .put("method", "session/update")
                .set(
                        "params",
                        JSON.createObjectNode()
                                .put("sessionId", "s1")
                                .set(
                                        "update",
                                        JSON.createObjectNode()
                                                .put("sessionUpdate", sessionUpdate)
                                                .set(
                                                        "content",
                                                        JSON.createObjectNode()
                                                                .put("type", "text")
                                                                .put("text", text))));
    }

    /** A chunk as fast-agent.mjs writes it, sent {@code agoMicros} before now. */
    private static JsonNode chunk(int n, long agoMicros) {
        Instant sent = Instant.now().minusNanos(agoMicros * 1000);
        double epochMillis = sent.getEpochSecond() * 1e3 + sent.getNano() / 1e6;
        return update(
                "agent_message_chunk",
                "chunk " + n + " @" + String.format(Locale.ROOT, "%.3f", epochMillis));
    }

    @Test
    void parsesTheAgentsStampToTheMicrosecond() {
        ChunkStream.Chunk chunk =
                ChunkStream.parse(update("agent_message_chunk", "chunk 42 @1764069600123.456"));
        assertThat(chunk).isEqualTo(new ChunkStream.Chunk(42, 1_764_069_600_123_456_000L));
        assertThat(
                        ChunkStream.parse(update("agent_message_chunk", "chunk 7 @1764069600123"))
                                .sentEpochNanos())
                .isEqualTo(1_764_069_600_123_000_000L);
    }

    @Test
    void otherEventsAreNotChunks() {
        assertThat(
                        ChunkStream.parse(
                                update("agent_message_chunk", "echo: 1 blocks: chunks=5 STAMP")))
                .isNull();
        assertThat(ChunkStream.parse(update("agent_message_chunk", "chunk 3")))
                .isNull(); // not stamped
        assertThat(ChunkStream.parse(update("tool_call", "chunk 3 @1"))).isNull();
        assertThat(ChunkStream.parse(JSON.createObjectNode().put("id", 1)))
                .isNull(); // a JSON-RPC response
    }

    @Test
    void aCompleteTurnInOrderHasNothingLostAndItsLatencies() {
        ChunkStream stream = new ChunkStream(3);
        for (int n = 1; n <= 3; n++) {
            stream.onPayload(chunk(n, 2_000), System.nanoTime());
        }
        assertThat(stream.sawLast()).isTrue();
        assertThat(stream.received()).isEqualTo(3);
        assertThat(stream.lost()).isZero();
        assertThat(stream.reordered()).isZero();
        assertThat(stream.duplicates()).isZero();
        assertThat(stream.latency.count()).isEqualTo(3);
        // sent 2 ms ago; the clocks of the stamp and of the receipt agree to well within a second
        assertThat(stream.latency.min()).isBetween(1_000_000L, 1_000_000_000L);
        assertThat(stream.perSecond()).isPositive();
    }

    @Test
    void countsLossReorderAndDuplicatesAndIgnoresOtherTurns() {
        ChunkStream stream = new ChunkStream(5);
        for (int n : new int[] {1, 3, 2, 3, 5, 9}) {
            stream.onPayload(chunk(n, 0), System.nanoTime());
        }
        assertThat(stream.received()).isEqualTo(4);
        assertThat(stream.lost()).isEqualTo(1); // 4
        assertThat(stream.reordered()).isEqualTo(1); // 2 after 3
        assertThat(stream.duplicates()).isEqualTo(1); // the second 3
        assertThat(stream.sawLast()).isTrue();
        assertThat(stream.latency.count()).isEqualTo(4);
    }

    @Test
    void chunksStampedBeforeTheTurnsPromptAreAnEarlierTurnsAndIgnored() {
        ChunkStream stream = new ChunkStream(2, ChunkStream.nowEpochNanos() - 1_000_000_000L);
        stream.onPayload(
                chunk(1, 5_000_000),
                System.nanoTime()); // stamped 5 s ago: the backlog of an earlier turn
        stream.onPayload(chunk(1, 0), System.nanoTime());
        stream.onPayload(chunk(2, 0), System.nanoTime());
        assertThat(stream.stale()).isEqualTo(1);
        assertThat(stream.received()).isEqualTo(2);
        assertThat(stream.duplicates()).isZero();
        assertThat(stream.lost()).isZero();
    }

    @Test
    void lossTheSandboxAgentServerSignalledIsCountedApart() {
        ChunkStream stream = new ChunkStream(4);
        stream.onPayload(chunk(1, 0), System.nanoTime());
        stream.onPayload(
                JSON.createObjectNode()
                        .put("jsonrpc", "2.0")
                        .put("method", "_sdk/events_dropped")
                        .set(
                                "params",
                                JSON.createObjectNode()
                                        .put("afterEventId", 10)
                                        .put("firstEventId", 13)),
                System.nanoTime());
        stream.onPayload(chunk(4, 0), System.nanoTime());
        assertThat(stream.lost()).isEqualTo(2);
        assertThat(stream.serverDropped()).isEqualTo(2); // ids 11 and 12
        assertThat(stream.cleanButForServerDrops()).isTrue();
        stream.onPayload(chunk(2, 0), System.nanoTime()); // late: reordered, not excused
        assertThat(stream.cleanButForServerDrops()).isFalse();
    }

    @Test
    void relayOptionsRejectBadInputClearly() {
        assertThat(WorkspaceRelayFigures.Options.parse().workloads())
                .containsExactly(
                        new WorkspaceRelayFigures.Workload(10, 50, 100),
                        new WorkspaceRelayFigures.Workload(10, 50, 1000));
        assertThat(
                        WorkspaceRelayFigures.Options.parse("--rates", "10, 2000", "--viewers", "3")
                                .workloads())
                .extracting(WorkspaceRelayFigures.Workload::viewers)
                .containsExactly(3, 3);
        assertThatThrownBy(() -> WorkspaceRelayFigures.Options.parse("--rates", "fast"))
                .hasMessage("--rates takes a number, not fast");
        assertThatThrownBy(() -> WorkspaceRelayFigures.Options.parse("--viewers", "0"))
                .hasMessage("--viewers must be positive");
        assertThatThrownBy(
                        () ->
                                WorkspaceRelayFigures.Options.parse(
                                        "--sandbox-agent-url", "http://127.0.0.1:2468"))
                .hasMessage("--sandbox-agent-url goes with --endpoint");
        assertThatThrownBy(() -> WorkspaceRelayFigures.Options.parse("--workspaces"))
                .hasMessage("--workspaces needs a value");
        assertThatThrownBy(() -> WorkspaceRelayFigures.Options.parse("--seconds", "-1"))
                .hasMessage("--seconds must be a positive number, not -1");
        assertThatThrownBy(() -> WorkspaceRelayFigures.Options.parse("--nope", "1"))
                .hasMessage("unknown option --nope");
        assertThatThrownBy(() -> WorkspaceRelayFigures.Options.parse("--server", "go"))
                .hasMessage("--server is java or ts, not go");
        assertThatThrownBy(
                        () ->
                                WorkspaceRelayFigures.Options.parse(
                                        "--workloads", "10x50", "--compare"))
                .hasMessage("--workloads takes WxV@R items, e.g. 10x50@100, not 10x50");
        assertThatThrownBy(
                        () ->
                                WorkspaceRelayFigures.Options.parse(
                                        "--workloads", "1x1@10", "--viewers", "2"))
                .hasMessage("--workloads replaces --workspaces, --viewers and --rates");
    }

    @Test
    void relayErrorsAreShortInTheTable() {
        assertThat(
                        WorkspaceRelayFigures.shortError(
                                "prompt failed: java.util.concurrent.ExecutionException: "
                                        + "java.lang.IllegalStateException: closed: 1011 guard.websocket_garbage_collected#t1k204vxbcv7vwg8nl8"
                                        + "084q2k6dl00; 5 of 10 prompts unanswered"))
                .isEqualTo(
                        "prompt failed: closed: 1011 guard.websocket_garbage_collected; 5 of 10 prompts unanswered");
    }

    @Test
    void relayOptionsPickTheServers() {
        var compare = WorkspaceRelayFigures.Options.parse("--compare");
        assertThat(compare.sides())
                .containsExactly(WorkspaceRelayFigures.Side.JAVA, WorkspaceRelayFigures.Side.TS);
        assertThat(compare.workloads())
                .containsExactly(
                        new WorkspaceRelayFigures.Workload(1, 1, 1000),
                        new WorkspaceRelayFigures.Workload(1, 50, 1000),
                        new WorkspaceRelayFigures.Workload(10, 50, 100));
        assertThat(
                        WorkspaceRelayFigures.Options.parse("--compare", "--workloads", "1×1@100")
                                .workloads())
                .containsExactly(new WorkspaceRelayFigures.Workload(1, 1, 100));
        var ts =
                WorkspaceRelayFigures.Options.parse(
                        "--server", "ts", "--endpoint", "http://127.0.0.1:6420/");
        assertThat(ts.sides()).containsExactly(WorkspaceRelayFigures.Side.TS);
        assertThat(ts.tsEndpoint()).isEqualTo("http://127.0.0.1:6420");
        assertThat(ts.endpoint()).isNull();
        var java = WorkspaceRelayFigures.Options.parse("--endpoint", "http://127.0.0.1:6420");
        assertThat(java.sides()).containsExactly(WorkspaceRelayFigures.Side.JAVA);
        assertThat(java.sandboxAgentUrl()).isNull(); // no baseline then
        assertThatThrownBy(
                        () ->
                                WorkspaceRelayFigures.Options.parse(
                                        "--ts-endpoint", "http://127.0.0.1:6420"))
                .hasMessage("--ts-endpoint goes with --compare (else: --server ts --endpoint)");
    }
}
