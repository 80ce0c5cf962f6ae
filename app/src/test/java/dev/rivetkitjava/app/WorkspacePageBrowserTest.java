package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.Registry;
import dev.rivetkitjava.actor.store.sqlite.SqliteActorStore;
import dev.rivetkitjava.server.RivetServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workspace page as people use it: Debian's chromium, driven by playwright-core ({@code web/e2e/workspace.mjs}),
 * against the page this module's build bundled and a real server on SQLite, with the {@link ScriptedWorkspace} test
 * double as the agent. Two people share a workspace, a reload and a server restart lose nothing. Screenshots land in
 * {@code app/target/browser-screenshots/}.
 */
class WorkspacePageBrowserTest {
    private static final Path WEB = Path.of("").toAbsolutePath().getParent().resolve("web");
    private static final Path SCREENSHOTS = Path.of("target", "browser-screenshots").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "Add a health check <img src=x onerror=\"window.__injected=1\">";

    /**
     * One server generation on the shared SQLite file, as {@code serve} runs it: closing puts the actors to sleep
     * with their state saved, then keeps the port answering "retry" for the drain period, during which the next
     * generation binds the same port (SO_REUSEPORT).
     */
    record ScriptedServer(Registry registry, RivetServer server) implements AutoCloseable {
        static ScriptedServer start(Path store, int port) throws Exception {
            Registry registry = Registry.builder().use(ScriptedWorkspace.TYPE).store(SqliteActorStore.open(store)).build();
            return new ScriptedServer(registry, RivetServer.builder(registry).port(port).staticResources(WorkspaceServer.WEB_PAGE)
                    .drainPeriod(Duration.ofSeconds(2)).build().start());
        }

        @Override
        public void close() {
            server.close();
        }
    }

    @BeforeAll
    static void installChromium() throws Exception {
        Process install = new ProcessBuilder("bash", WEB.resolve("e2e/install-chromium.sh").toString()).inheritIO().start();
        assertThat(install.waitFor(10, TimeUnit.MINUTES)).as("chromium installed within 10 minutes").isTrue();
        assertThat(install.exitValue()).as("web/e2e/install-chromium.sh exit code").isZero();
    }

    @Test
    void twoPeopleShareTheWorkspaceAcrossAReloadAndAServerRestart(@TempDir Path data) throws Exception {
        Path store = data.resolve("actors.db");
        String workspaceId = "e2e-" + System.nanoTime();
        ScriptedServer current = ScriptedServer.start(store, 0);
        int port = current.server().port();
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        CompletableFuture<Void> stopped = CompletableFuture.completedFuture(null);
        try {
            ProcessBuilder driver = new ProcessBuilder("node", WEB.resolve("e2e/workspace.mjs").toString(),
                    current.server().endpoint(), SCREENSHOTS.toString())
                    .directory(WEB.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
            driver.environment().put("WORKSPACE_ID", workspaceId);
            Process node = driver.start();
            // A watchdog instead of a read timeout: a stuck browser ends the read loop below with EOF.
            Thread.startVirtualThread(() -> {
                try {
                    if (!node.waitFor(4, TimeUnit.MINUTES)) {
                        node.destroyForcibly();
                    }
                } catch (InterruptedException ignored) {
                    node.destroyForcibly();
                }
            });
            try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
                 Writer in = node.outputWriter(StandardCharsets.UTF_8)) {
                for (String line; (line = out.readLine()) != null; ) {
                    JsonNode step = JSON.readTree(line);
                    String name = step.get("step").asText();
                    steps.put(name, step);
                    if (name.equals("stop-server")) {
                        // Closing returns after the drain; the pages see the stop at its start.
                        stopped = CompletableFuture.runAsync(current::close, Thread.ofVirtual()::start);
                    } else if (name.equals("start-server")) {
                        current = ScriptedServer.start(store, port);
                    } else {
                        continue;
                    }
                    in.write("ok\n");
                    in.flush();
                }
            }
            assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(node.exitValue()).as("web/e2e/workspace.mjs exit code (its error is in the log above)").isZero();
        } finally {
            current.close();
            stopped.join();
        }

        assertThat(steps.keySet()).containsExactly("joined", "turn", "reloaded", "stop-server", "start-server",
                "reconnected", "done");
        assertThat(steps.get("joined").get("url").asText()).endsWith("/?w=" + workspaceId);
        assertThat(texts(steps.get("joined").get("alice"))).containsExactly("alice", "bob");
        assertThat(texts(steps.get("joined").get("bob"))).containsExactly("alice", "bob");

        JsonNode turn = steps.get("turn");
        String timeline = turn.get("alice").asText();
        assertThat(timeline).containsSubsequence(PROMPT, "Reading the request: " + PROMPT, "I will edit one file for it.",
                "Edit src/app.ts", "Approved by bob", "Done: src/app.ts is edited.", "turn ended: end_turn");
        assertThat(turn.get("bob").asText()).as("bob sees what alice sees").isEqualTo(timeline);
        assertThat(texts(turn.get("injected"))).as("agent text never becomes HTML").containsExactly("false", "false");

        assertThat(steps.get("reloaded").get("bob").asText()).as("a reload restores the history").isEqualTo(timeline);
        assertThat(texts(steps.get("reloaded").get("participants"))).containsExactly("alice", "bob");
        JsonNode reconnected = steps.get("reconnected");
        assertThat(reconnected.get("alice").asText()).as("history after the restart").isEqualTo(timeline);
        assertThat(reconnected.get("bob").asText()).isEqualTo(timeline);
        assertThat(texts(reconnected.get("participants"))).containsExactly("alice", "bob");

        JsonNode done = steps.get("done");
        String end = done.get("alice").asText();
        assertThat(end).startsWith(timeline.strip()).containsSubsequence(
                "Now remove it again", "Denied by alice", "I left src/app.ts as it was.", "turn ended: end_turn",
                "First of two", "turn ended: cancelled",
                "[crash] Try something risky", "turn ended: error", "Agent error: The agent process exited (scripted crash).");
        // Where the second prompt shows up beside the first turn depends on when it reached the actor.
        assertThat(end).containsSubsequence("Second of two", "turn ended: cancelled", "[crash]");
        assertThat(end.split("turn ended: cancelled", -1)).as("two cancelled turns").hasSize(3);
        assertThat(end).as("no unanswered permission of an ended turn offers buttons").doesNotContain("Approve\n");
        assertThat(done.get("bob").asText()).isEqualTo(done.get("alice").asText());
        assertThat(texts(done.get("pageErrors"))).isEmpty();

        // The actor's own record agrees with what the pages showed.
        try (ScriptedServer after = ScriptedServer.start(store, 0)) {
            JsonNode history = JSON.valueToTree(after.registry().actor("workspace")
                    .getOrCreate(ActorKey.of(workspaceId)).action("getHistory", List.class));
            // (Whether a cancelled turn got as far as asking permission depends on timing, so requests are left out.)
            assertThat(history.valueStream().map(e -> e.get("event").asText())
                    .filter(e -> !e.equals("session.event") && !e.equals("permission.requested")))
                    .containsExactly("chat.user", "permission.resolved", "chat.user", "permission.resolved",
                            "chat.user", "chat.user", "chat.user", "session.error");
        }
    }

    private static List<String> texts(JsonNode array) {
        return array.valueStream().map(JsonNode::asText).toList();
    }
}
