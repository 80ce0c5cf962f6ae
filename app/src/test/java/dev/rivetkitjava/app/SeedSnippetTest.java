package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.sandboxagent.PinnedSandboxAgent;
import dev.rivetkitjava.server.CompatibilityTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
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
        WorkspaceServer.Options options = new WorkspaceServer.Options("127.0.0.1", 0, dataDir, null, Set.of(),
                Duration.ofMillis(100), "codex", null, null, PinnedSandboxAgent.find().dir());
        try (WorkspaceServer server = WorkspaceServer.start(options);
             RivetClient client = RivetClient.create(server.endpoint())) {
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
            JsonNode history;
            try {
                // The stand-in agent asks permission to edit a file. The snippet listens to no permission requests,
                // so nobody can answer: the workspace's policy (reject) does, and the turn ends.
                await().atMost(Duration.ofSeconds(60)).until(() -> String.join("\n", lines).contains("end_turn"));
                history = client.actor("workspace").getOrCreate("workspace-42").action("getHistory", JsonNode.class);
            } finally {
                node.destroyForcibly();
            }
            assertThat(history.findValues("by")).singleElement()
                    .satisfies(by -> assertThat(by.asText()).isEqualTo("policy"));
            assertThat(history.findValuesAsText("reason")).containsExactly("no_listener");
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
}
