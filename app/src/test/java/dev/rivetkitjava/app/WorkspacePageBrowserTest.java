package dev.rivetkitjava.app;

import static dev.rivetkitjava.app.BrowserScript.texts;
import static dev.rivetkitjava.sandboxagent.SandboxAgentFixture.EXAMPLE_AGENT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.sandboxagent.SandboxAgentFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workspace page as people use it: Debian's chromium, driven by playwright-core ({@code
 * web/e2e/workspace.mjs}), against {@code serve} in a JVM of its own — the page its build bundled,
 * the SQLite store, a real Sandbox Agent server with the stand-in {@code codex} agent. Two people
 * share a workspace; a reload, a {@code kill -9} of the server and a killed agent process lose
 * nothing. Screenshots land in {@code app/target/browser-screenshots/}.
 */
@Tag("external")
class WorkspacePageBrowserTest {
    private static final String PROMPT =
            "Add a health check <img src=x onerror=\"window.__injected=1\">";
    private static final String FIRST_WORDS = "I'll help you with that.";
    private static final String EDIT = "Modifying critical configuration file";

    @BeforeAll
    static void installChromium() throws Exception {
        BrowserScript.installChromium();
    }

    @Test
    void twoPeopleShareTheWorkspaceAcrossAReloadAKilledServerAndAKilledAgent(@TempDir Path dir)
            throws Exception {
        Path data = dir.resolve("data");
        String workspaceId = "e2e-" + System.nanoTime();
        ServeProcess[] serve = {ServeProcess.start(data)};
        Map<String, JsonNode> steps;
        List<JsonNode> history;
        try {
            steps =
                    BrowserScript.run(
                            "workspace.mjs",
                            serve[0].endpoint(),
                            "workspace",
                            Map.of("WORKSPACE_ID", workspaceId),
                            Map.of(
                                    "kill-server", step -> serve[0].kill(),
                                    "start-server",
                                            step ->
                                                    serve[0] =
                                                            ServeProcess.start(
                                                                    data, serve[0].port()),
                                    "kill-agent",
                                            step ->
                                                    assertThat(
                                                                    SandboxAgentFixture
                                                                            .killAgentProcesses(
                                                                                    serve[0]
                                                                                            .handle(),
                                                                                    EXAMPLE_AGENT))
                                                            .as("agent processes killed")
                                                            .isPositive()));
            try (RivetClient client = RivetClient.create(serve[0].endpoint())) {
                history = WorkspaceHistory.all(client.actor("workspace").getOrCreate(workspaceId));
            }
        } finally {
            serve[0].close();
        }

        assertThat(steps.keySet())
                .containsExactly(
                        "joined",
                        "turn",
                        "reloaded",
                        "kill-server",
                        "start-server",
                        "reconnected",
                        "kill-agent",
                        "done");
        assertThat(steps.get("joined").get("url").asText()).endsWith("/?w=" + workspaceId);
        assertThat(texts(steps.get("joined").get("alice"))).containsExactly("alice", "bob");
        assertThat(texts(steps.get("joined").get("bob"))).containsExactly("alice", "bob");

        JsonNode turn = steps.get("turn");
        String timeline = turn.get("alice").asText();
        assertThat(timeline)
                .containsSubsequence(
                        PROMPT,
                        FIRST_WORDS,
                        "Reading project files",
                        EDIT,
                        "Approved by bob",
                        "Perfect! I've successfully updated the configuration.",
                        "turn ended: end_turn");
        assertThat(turn.get("bob").asText()).as("bob sees what alice sees").isEqualTo(timeline);
        assertThat(texts(turn.get("injected")))
                .as("user text never becomes HTML")
                .containsExactly("false", "false");

        assertThat(steps.get("reloaded").get("bob").asText())
                .as("a reload restores the history")
                .isEqualTo(timeline);
        assertThat(texts(steps.get("reloaded").get("participants")))
                .containsExactly("alice", "bob");
        JsonNode reconnected = steps.get("reconnected");
        System.out.println(
                "pages reconnected "
                        + reconnected.get("reconnectMillis")
                        + " ms after serve was ready again");
        assertThat(reconnected.get("alice").asText())
                .as("history after kill -9 and a restart")
                .isEqualTo(timeline);
        assertThat(reconnected.get("bob").asText()).isEqualTo(timeline);
        assertThat(texts(reconnected.get("participants"))).containsExactly("alice", "bob");

        JsonNode done = steps.get("done");
        String end = done.get("alice").asText();
        assertThat(end)
                .startsWith(timeline.strip())
                .containsSubsequence(
                        "Now remove it again",
                        EDIT,
                        "Denied by alice",
                        "I understand you prefer not to make that change.",
                        "turn ended: end_turn",
                        "First of two",
                        "turn ended: cancelled",
                        "Try something risky",
                        FIRST_WORDS,
                        "turn ended: error",
                        "Agent error",
                        "Once more, carefully",
                        FIRST_WORDS,
                        "Approved by bob",
                        "turn ended: end_turn");
        // Where the second prompt shows up beside the first turn depends on when it reached the
        // actor.
        assertThat(end)
                .containsSubsequence(
                        "Second of two", "turn ended: cancelled", "Try something risky");
        assertThat(end.split("turn ended: cancelled", -1)).as("two cancelled turns").hasSize(3);
        assertThat(end)
                .as("no unanswered permission of an ended turn offers buttons")
                .doesNotContain("Approve\n");
        assertThat(done.get("bob").asText()).isEqualTo(end);
        assertThat(texts(done.get("pageErrors"))).isEmpty();

        // The actor's own record agrees with what the pages showed. (Whether a cancelled or killed
        // turn got as far as
        // asking permission depends on timing, so only the answers people gave are compared.)
        assertThat(
                        history.stream()
                                .map(e -> e.get("event").asText())
                                .filter(
                                        e ->
                                                !e.equals("session.event")
                                                        && !e.startsWith("permission.")))
                .containsExactly(
                        "chat.user",
                        "chat.user",
                        "chat.user",
                        "chat.user",
                        "chat.user",
                        "session.error",
                        "chat.user");
        assertThat(
                        history.stream()
                                .filter(e -> e.get("event").asText().equals("permission.resolved"))
                                .map(e -> e.get("data"))
                                .filter(d -> d.path("by").asText().equals("user"))
                                .map(
                                        d ->
                                                d.path("userId").asText()
                                                        + " "
                                                        + d.path("reply").asText()))
                .containsExactly("bob once", "alice reject", "bob once");
    }
}
