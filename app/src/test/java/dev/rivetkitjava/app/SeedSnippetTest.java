package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.ActorConnection;
import dev.rivetkitjava.client.ActorHandle;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.sandboxagent.pinned.PinnedSandboxAgent;
import dev.rivetkitjava.server.CompatibilityTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's browser snippet ({@code compat/seed-snippet.mjs}, the official client 2.3.19,
 * unchanged) against what {@code serve} runs: the workspace actor, a real Sandbox Agent server
 * (with its private token) and the stand-in {@code codex} agent, which asks permission to edit a
 * file in every turn. The snippet alone listens to no permission request, so the workspace's policy
 * (reject, the default) answers at once and its prompt ends; a participant who listens answers
 * instead, and one who leaves mid-request hands it back to the policy.
 */
@Tag("external")
class SeedSnippetTest {
    private static final String EDIT = "Modifying critical configuration file";

    @TempDir static Path dataDir;
    private static WorkspaceServer server;
    private static RivetClient client;

    @BeforeAll
    static void serve() throws Exception {
        CompatibilityTest.installNodePackages();
        server =
                WorkspaceServer.start(
                        WorkspaceServer.Options.builder(dataDir)
                                .port(0)
                                .drainPeriod(Duration.ofMillis(100))
                                .sandboxAgentDir(PinnedSandboxAgent.find().dir())
                                .build());
        client = RivetClient.create(server.endpoint());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theSeedsClientCodeRunsUnchangedAndEndsItsTurnWithNobodyToAnswer() throws Exception {
        assertSandboxAgentRefusesRequestsWithoutItsToken(server.sandboxAgentUrl());
        ProcessBuilder snippet =
                new ProcessBuilder(
                                "node",
                                CompatibilityTest.COMPAT.resolve("seed-snippet.mjs").toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT);
        snippet.environment().put("NEXT_PUBLIC_RIVET_ENDPOINT", server.endpoint());
        snippet.environment().put("RIVET_LOG_LEVEL", "silent");
        Process node = snippet.start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread.startVirtualThread(
                () -> {
                    try (BufferedReader out =
                            new BufferedReader(
                                    new InputStreamReader(
                                            node.getInputStream(), StandardCharsets.UTF_8))) {
                        out.lines().forEach(lines::add);
                    } catch (java.io.IOException ignored) {
                        // the process was stopped
                    }
                });
        try {
            // Nobody else is here: the stand-in agent's permission request is the policy's to
            // answer, at once.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> String.join("\n", lines).contains("end_turn"));
        } finally {
            node.destroyForcibly();
            node.waitFor(10, TimeUnit.SECONDS);
        }
        // Node prints each event with console.log's object formatting, over one or more lines.
        String output = String.join("\n", lines);
        assertThat(output)
                .containsSubsequence(
                        "user message {",
                        "userId: 'user-123'",
                        "text: 'Propose a refactor plan for auth middleware.'",
                        "createdAt: ",
                        "sandbox event {",
                        "method: 'session/prompt'",
                        "sandbox event {",
                        "method: 'session/update'",
                        "sandbox event {",
                        "method: 'session/request_permission'",
                        "sandbox event {",
                        "stopReason: 'end_turn'");

        JsonNode resolved =
                single(
                        history(client.actor("workspace").getOrCreate("workspace-42")),
                        "permission.resolved");
        assertThat(resolved.path("by").asText()).isEqualTo("policy");
        assertThat(resolved.path("reply").asText()).isEqualTo("reject");
        assertThat(resolved.path("reason").asText()).isEqualTo("no_listener");
    }

    @Test
    void aParticipantWhoListensAnswersThePermission() throws Exception {
        ActorHandle workspace =
                client.actor("workspace").getOrCreate("answered-" + System.nanoTime());
        try (ActorConnection reviewer = workspace.connect(Map.of("userId", "reviewer"))) {
            reviewer.on(
                    "permission.requested",
                    JsonNode.class,
                    request ->
                            Thread.startVirtualThread(
                                    () ->
                                            reviewer.action(
                                                    "respondPermission",
                                                    JsonNode.class,
                                                    Map.of(
                                                            "id",
                                                            request.path("id").asText(),
                                                            "reply",
                                                            "once"))));
            // Frames go in order: once this returns, the subscription above is in effect.
            assertThat(reviewer.action("whoami", JsonNode.class).path("userId").asText())
                    .isEqualTo("reviewer");

            JsonNode result =
                    workspace
                            .withParams(Map.of("userId", "alice"))
                            .action("prompt", JsonNode.class, Map.of("text", "Add a health check"));
            assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        }
        List<JsonNode> history = history(workspace);
        JsonNode resolved = single(history, "permission.resolved");
        assertThat(resolved.path("by").asText()).isEqualTo("user");
        assertThat(resolved.path("reply").asText()).isEqualTo("once");
        assertThat(resolved.path("userId").asText()).isEqualTo("reviewer");
        assertThat(
                        history.stream()
                                .filter(e -> e.path("event").asText().equals("session.event"))
                                .map(JsonNode::toString))
                .anyMatch(
                        event ->
                                event.contains(
                                        "Perfect! I've successfully updated the configuration."));
    }

    @Test
    void aListenerWhoLeavesMidRequestHandsItToThePolicy() throws Exception {
        ActorHandle workspace = client.actor("workspace").getOrCreate("left-" + System.nanoTime());
        ActorConnection leaver = workspace.connect(Map.of("userId", "leaver"));
        try {
            leaver.on(
                    "permission.requested",
                    JsonNode.class,
                    request -> Thread.startVirtualThread(leaver::close));
            assertThat(leaver.action("whoami", JsonNode.class).path("userId").asText())
                    .isEqualTo("leaver");

            // Far shorter than the 10-minute permission timeout: the listener's leaving is what
            // resolves it.
            JsonNode result =
                    workspace
                            .withParams(Map.of("userId", "alice"))
                            .actionAsync(
                                    "prompt", JsonNode.class, Map.of("text", "Add a health check"))
                            .get(60, TimeUnit.SECONDS);
            assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
        } finally {
            leaver.close();
        }
        List<JsonNode> history = history(workspace);
        assertThat(single(history, "permission.requested").toString()).contains(EDIT);
        JsonNode resolved = single(history, "permission.resolved");
        assertThat(resolved.path("by").asText()).isEqualTo("policy");
        assertThat(resolved.path("reason").asText()).isEqualTo("listeners_left");
        assertThat(resolved.path("reply").asText()).isEqualTo("reject");
        assertThat(
                        history.stream()
                                .filter(e -> e.path("event").asText().equals("session.event"))
                                .map(JsonNode::toString))
                .anyMatch(
                        event ->
                                event.contains("I understand you prefer not to make that change."));
    }

    private static List<JsonNode> history(ActorHandle workspace) {
        return WorkspaceHistory.all(workspace);
    }

    private static JsonNode single(List<JsonNode> history, String event) {
        List<JsonNode> found =
                history.stream()
                        .filter(e -> e.path("event").asText().equals(event))
                        .map(e -> e.path("data"))
                        .toList();
        assertThat(found).as(event + " in " + history).hasSize(1);
        return found.get(0);
    }

    /**
     * The managed Sandbox Agent server has a random token only serve's workspaces know: nobody else
     * drives its agents.
     */
    static void assertSandboxAgentRefusesRequestsWithoutItsToken(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (String path : List.of("/v1/health", "/v1/agents")) {
                HttpRequest bare = HttpRequest.newBuilder(URI.create(url + path)).build();
                assertThat(http.send(bare, HttpResponse.BodyHandlers.discarding()).statusCode())
                        .as(path)
                        .isEqualTo(401);
                HttpRequest guessed =
                        HttpRequest.newBuilder(URI.create(url + path))
                                .header("Authorization", "Bearer " + "0".repeat(48))
                                .build();
                assertThat(http.send(guessed, HttpResponse.BodyHandlers.discarding()).statusCode())
                        .as(path)
                        .isEqualTo(401);
            }
        }
    }
}
