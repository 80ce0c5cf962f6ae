package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.SeedWorkspaceActorTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The seed's browser snippet ({@code compat/seed-snippet.mjs}, the official client) against the seed's workspace
 * actor in Java: it sees the user message and the agent's events. (The agent is still the fake of
 * {@link SeedWorkspaceActorTest}; with issue D the same snippet runs against {@code serve} and a real agent.)
 */
class SeedSnippetTest {

    @Test
    void theSeedsClientCodeRunsUnchanged() throws Exception {
        CompatibilityTest.installNodePackages();
        Registry registry = Registry.builder().use(SeedWorkspaceActorTest.WORKSPACE).build();
        try (RivetServer server = RivetServer.builder(registry).port(0).build().start()) {
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
                await().atMost(Duration.ofSeconds(60)).until(() -> String.join("\n", lines).contains("{ text: 'done' }"));
            } finally {
                node.destroyForcibly();
            }
            // Node prints each event with console.log's object formatting, over one or more lines.
            String output = String.join("\n", lines);
            assertThat(output).containsSubsequence(
                    "user message {", "userId: 'user-123'", "text: 'Propose a refactor plan for auth middleware.'",
                    "createdAt: ",
                    "sandbox event { text: 'echo: Propose a refactor plan for auth middleware.' }",
                    "sandbox event { text: 'done' }");
        }
    }
}
