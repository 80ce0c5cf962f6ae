package dev.rivetkitjava.sandboxagent;

import static dev.rivetkitjava.sandboxagent.ScriptedAcpServer.chunk;
import static dev.rivetkitjava.sandboxagent.ScriptedAcpServer.endTurn;
import static dev.rivetkitjava.sandboxagent.SessionEvents.chunks;
import static dev.rivetkitjava.sandboxagent.SessionEvents.kinds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Input the real server never sends, from a scripted server: skipped with a log line, history
 * intact.
 */
class BadInputTest {

    private ScriptedAcpServer server;
    private SandboxAgent sdk;
    private Session session;
    private final List<SessionEvent> delivered = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedAcpServer();
    }

    @AfterEach
    void stop() {
        if (sdk != null) {
            sdk.dispose();
        }
        server.close();
    }

    private void connect(UnaryOperator<SandboxAgent.Builder> options) {
        sdk = options.apply(SandboxAgent.builder(server.baseUrl())).build();
        session = sdk.createSession(SessionCreateRequest.of("scripted"));
        session.onEvent(delivered::add);
        await().until(() -> server.streamsRequested() == 1);
    }

    /** Starts a prompt and returns it with the id of its request, once the server has it. */
    private CompletableFuture<PromptResult> prompt() {
        CompletableFuture<PromptResult> turn =
                CompletableFuture.supplyAsync(() -> session.prompt("go"));
        await().until(() -> server.lastRequestId("session/prompt") != null);
        return turn;
    }

    private List<SessionEvent> events() {
        return SessionEvents.all(sdk, session.id());
    }

    @Test
    void malformedAndUnexpectedMessagesAreSkipped() {
        connect(b -> b);
        CompletableFuture<PromptResult> turn = prompt();
        JsonNode promptId = server.lastRequestId("session/prompt");
        server.send(": heartbeat\n\nnonsense line\n\n");
        server.message(1, "{not json");
        server.message(2, "[1,2]");
        server.message(3, "{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}");
        server.message(
                4,
                "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\"someone-else\"}}");
        server.message(5, "{\"jsonrpc\":\"2.0\"}");
        server.send("event: ping\nid: 6\ndata: {}\n\n");
        server.send(
                "id: 7\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\r\ndata: \"params\":{\"sessionId\":\""
                        + ScriptedAcpServer.SESSION
                        + "\",\"update\":{\"sessionUpdate\":\"agent_message_chunk\","
                        + "\"content\":{\"type\":\"text\",\"text\":\"ok\"}}}}\r\n\r\n");
        server.message(
                8,
                "{\"jsonrpc\":\"2.0\",\"id\":\"agent-1\",\"method\":\"fs/read_text_file\",\"params\":{\"sessionId\":\""
                        + ScriptedAcpServer.SESSION
                        + "\",\"path\":\"/etc/passwd\"}}");
        await().until(
                        () ->
                                server.posts().stream()
                                        .anyMatch(
                                                p ->
                                                        "\"agent-1\""
                                                                .equals(
                                                                        String.valueOf(
                                                                                p.get("id")))));
        server.message(9, endTurn(promptId));

        assertThat(turn.join().stopReason()).isEqualTo("end_turn");
        List<SessionEvent> events = events();
        assertThat(kinds(events))
                .containsExactly(
                        "client session/new",
                        "agent response",
                        "client session/prompt",
                        "agent update:agent_message_chunk",
                        "agent fs/read_text_file",
                        "client response",
                        "agent response");
        assertThat(chunks(events)).containsExactly("ok");
        assertThat(events.get(5).payload().path("error").path("code").asInt()).isEqualTo(-32601);
        assertThat(delivered).containsExactlyElementsOf(events.subList(2, events.size()));
    }

    @Test
    void repeatedIdsAreSkippedAndAGapIsReported() {
        connect(b -> b);
        CompletableFuture<PromptResult> turn = prompt();
        server.message(1, chunk("a"));
        server.message(2, chunk("b"));
        server.message(2, chunk("b again"));
        server.message(1, chunk("a again"));
        server.message(5, chunk("c"));
        server.message(6, endTurn(server.lastRequestId("session/prompt")));

        turn.join();
        List<SessionEvent> events = events();
        assertThat(chunks(events)).containsExactly("a", "b", "c");
        SessionEvent dropped =
                events.stream()
                        .filter(e -> SessionEvents.kind(e).equals("client _sdk/events_dropped"))
                        .findFirst()
                        .orElseThrow();
        assertThat(dropped.payload().path("params").path("afterEventId").asLong()).isEqualTo(2);
        assertThat(dropped.payload().path("params").path("firstEventId").asLong()).isEqualTo(5);
    }

    @Test
    void oversizedMessagesAreSkipped() {
        connect(b -> b.maxMessageBytes(1_000));
        CompletableFuture<PromptResult> turn = prompt();
        server.message(1, chunk("x".repeat(5_000)));
        server.message(2, chunk("small"));
        server.message(3, endTurn(server.lastRequestId("session/prompt")));

        turn.join();
        assertThat(chunks(events())).containsExactly("small");
        assertThat(kinds(events())).doesNotContain("client _sdk/events_dropped");
    }

    @Test
    void aBrokenStreamReconnectsFromTheLastIdWithoutDuplicates() {
        connect(b -> b);
        CompletableFuture<PromptResult> turn = prompt();
        server.message(1, chunk("a"));
        server.message(2, chunk("b"));
        server.endStream();
        await().until(() -> server.lastEventIds().contains("2"));
        server.message(1, chunk("a")); // a server that replays from the start anyway
        server.message(2, chunk("b"));
        server.message(3, chunk("c"));
        server.message(4, endTurn(server.lastRequestId("session/prompt")));

        turn.join();
        assertThat(chunks(events())).containsExactly("a", "b", "c");
        assertThat(server.streamsRequested()).isEqualTo(2);
    }

    @Test
    void aStreamTheServerNoLongerKnowsIsNotRetriedInALoop() {
        connect(b -> b);
        server.streamStatus(404); // as after a restart: the server no longer knows the ACP server
        server.endStream();
        await().until(() -> server.streamsRequested() == 2);
        await().during(Duration.ofSeconds(1))
                .atMost(Duration.ofSeconds(3))
                .until(() -> server.streamsRequested() == 2);
    }

    @Test
    void modeAndConfigUpdatesAreKeptInTheRecord() {
        connect(b -> b);
        CompletableFuture<PromptResult> turn = prompt();
        String update =
                "{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"sessionId\":\""
                        + ScriptedAcpServer.SESSION
                        + "\",\"update\":";
        server.message(
                1,
                update
                        + "{\"sessionUpdate\":\"current_mode_update\",\"currentModeId\":\"plan\"}}}");
        server.message(
                2,
                update
                        + "{\"sessionUpdate\":\"config_option_update\",\"configOptions\":[{\"id\":\"model\"}]}}}");
        server.message(3, endTurn(server.lastRequestId("session/prompt")));
        turn.join();
        assertThat(session.record().modes().path("currentModeId").asText()).isEqualTo("plan");
        assertThat(session.record().configOptions().get(0).path("id").asText()).isEqualTo("model");
    }

    @Test
    void aReplyTheAgentDoesNotOfferIsRefused() {
        connect(b -> b);
        List<PermissionRequest> asked = new CopyOnWriteArrayList<>();
        session.onPermissionRequest(asked::add);
        CompletableFuture<PromptResult> turn = prompt();
        server.message(
                1,
                "{\"jsonrpc\":\"2.0\",\"id\":\"perm-1\",\"method\":\"session/request_permission\",\"params\":"
                        + "{\"sessionId\":\""
                        + ScriptedAcpServer.SESSION
                        + "\",\"toolCall\":{\"toolCallId\":\"t\"},"
                        + "\"options\":[{\"optionId\":\"yes\",\"name\":\"Yes\",\"kind\":\"allow_once\"}]}}");
        await().until(() -> !asked.isEmpty());
        PermissionRequest request = asked.getFirst();
        assertThat(request.availableReplies())
                .containsExactly(PermissionReply.ONCE, PermissionReply.ALWAYS);
        assertThatThrownBy(() -> session.respondPermission(request.id(), PermissionReply.REJECT))
                .isInstanceOfSatisfying(
                        UnsupportedPermissionReplyException.class,
                        e -> {
                            assertThat(e.requestedReply()).isEqualTo(PermissionReply.REJECT);
                            assertThat(e.availableReplies())
                                    .containsExactly(PermissionReply.ONCE, PermissionReply.ALWAYS);
                        });
        session.respondPermission(
                request.id(), PermissionReply.ONCE); // still pending after the refused reply
        await().until(
                        () ->
                                server.posts().stream()
                                        .anyMatch(
                                                p ->
                                                        "\"perm-1\""
                                                                .equals(
                                                                        String.valueOf(
                                                                                p.get("id")))));
        server.message(2, endTurn(server.lastRequestId("session/prompt")));
        turn.join();
        assertThat(
                        events().stream()
                                .filter(e -> SessionEvents.kind(e).equals("client response"))
                                .findFirst()
                                .orElseThrow()
                                .payload()
                                .path("result")
                                .path("outcome")
                                .path("optionId")
                                .asText())
                .isEqualTo("yes");
    }

    @Test
    void plainTextErrorBodiesAreKept() {
        sdk = SandboxAgent.connect(server.baseUrl());
        assertThatThrownBy(() -> sdk.listAgents())
                .isInstanceOfSatisfying(
                        HttpProblemException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(400);
                            assertThat(e.problem()).isNull();
                            assertThat(e.detail())
                                    .isEqualTo(
                                            "Failed to deserialize query string: missing field `mcpName`");
                            assertThat(e.getMessage())
                                    .contains(server.baseUrl())
                                    .contains("missing field");
                        });
    }

    @Test
    void aPromptWithoutAnAnswerTimesOutAndCancels() {
        sdk = SandboxAgent.builder(server.baseUrl()).promptTimeout(Duration.ofMillis(300)).build();
        Session quiet = sdk.createSession(SessionCreateRequest.of("scripted"));
        assertThatThrownBy(() -> quiet.prompt("anyone?"))
                .isInstanceOf(SandboxAgentTimeoutException.class)
                .hasMessageContaining("session/prompt");
        assertThat(server.posts())
                .extracting(p -> p.path("method").asText())
                .contains("session/cancel");
    }
}
