package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.sandboxagent.PinnedSandboxAgent;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's browser snippet ({@code compat/seed-snippet.mjs}, the official client 2.3.19, unchanged) against what
 * {@code serve} runs: the workspace actor, a real Sandbox Agent server and the stand-in {@code codex} agent.
 */
class SeedSnippetTest {

    @TempDir
    Path dataDir;

    @Test
    void theSeedsClientCodeRunsUnchangedAgainstServe() throws Exception {
        CompatibilityTest.installNodePackages();
        WorkspaceServer.Options options = WorkspaceServer.Options.builder(dataDir).port(0)
                .drainPeriod(Duration.ofMillis(100)).sandboxAgentDir(PinnedSandboxAgent.find().dir()).build();
        try (WorkspaceServer server = WorkspaceServer.start(options);
             RivetClient client = RivetClient.create(server.endpoint())) {
            assertSandboxAgentRefusesRequestsWithoutItsToken(server.sandboxAgentUrl());
            ProcessBuilder snippet = new ProcessBuilder("node", CompatibilityTest.COMPAT.resolve("seed-snippet.mjs").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            snippet.environment().put("NEXT_PUBLIC_RIVET_ENDPOINT", server.endpoint());
            snippet.environment().put("RIVET_LOG_LEVEL", "silent");
            Process node = snippet.start();
            List<String> lines = new CopyOnWriteArrayList<>();
            Thread.startVirtualThread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                    out.lines().forEach(lines::add);
                } catch (java.io.IOException ignored) {
                    // the process was stopped
                }
            });
            try {
                // The stand-in agent asks permission to edit a file; another participant (this test) approves it.
                var workspace = client.actor("workspace").getOrCreate("workspace-42");
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> workspace.action("listPendingPermissions", JsonNode.class).size() == 1);
                String id = workspace.action("listPendingPermissions", JsonNode.class).get(0).path("id").asText();
                workspace.action("respondPermission", JsonNode.class, Map.of("id", id, "reply", "once", "userId", "reviewer"));
                await().atMost(Duration.ofSeconds(60)).until(() -> String.join("\n", lines).contains("end_turn"));
            } finally {
                node.destroyForcibly();
            }
            // Node prints each event with console.log's object formatting, over one or more lines.
            String output = String.join("\n", lines);
            assertThat(output).containsSubsequence(
                    "user message {", "userId: 'user-123'", "text: 'Propose a refactor plan for auth middleware.'",
                    "createdAt: ",
                    "sandbox event {", "method: 'session/prompt'",
                    "sandbox event {", "method: 'session/update'",
                    "sandbox event {", "method: 'session/request_permission'",
                    "sandbox event {", "stopReason: 'end_turn'");
        }
    }

    /** The managed Sandbox Agent server has a random token only serve's workspaces know: nobody else drives its agents. */
    static void assertSandboxAgentRefusesRequestsWithoutItsToken(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (String path : List.of("/v1/health", "/v1/agents")) {
                HttpRequest bare = HttpRequest.newBuilder(URI.create(url + path)).build();
                assertThat(http.send(bare, HttpResponse.BodyHandlers.discarding()).statusCode()).as(path).isEqualTo(401);
                HttpRequest guessed = HttpRequest.newBuilder(URI.create(url + path))
                        .header("Authorization", "Bearer " + "0".repeat(48)).build();
                assertThat(http.send(guessed, HttpResponse.BodyHandlers.discarding()).statusCode()).as(path).isEqualTo(401);
            }
        }
    }
}
