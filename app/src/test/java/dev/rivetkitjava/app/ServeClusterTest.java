package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.client.ActorConnection;
import dev.rivetkitjava.client.ActorHandle;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.testing.postgres.EmbeddedPostgresFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code serve --store JDBC_URL --cluster-port …} processes on one PostgreSQL database form one
 * cluster: both list its members, and each actor has one owner, named alike by both.
 */
@Tag("external")
class ServeClusterTest {
    private static final String TOKEN = "cluster-test-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir Path dir;

    @Test
    void twoServesOnOneDatabaseFormOneClusterAndNameEachActorsOwner() throws Exception {
        String url = database("serve_cluster");
        int[] clusterPorts = clusterPorts();
        String seeds = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1];

        try (ServeProcess first = serve("first", clusterPorts[0], url, seeds, "--token", TOKEN);
                ServeProcess second =
                        serve("second", clusterPorts[1], url, seeds, "--token", TOKEN);
                RivetClient client =
                        RivetClient.builder().endpoint(first.endpoint()).token(TOKEN).build()) {
            assertThat(first.readyLine())
                    .contains("cluster member pekko://rivetkit@127.0.0.1:" + clusterPorts[0]);
            assertThat(get(first, "/cluster", null).statusCode()).isIn(401, 403);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () ->
                                    assertThat(members(second))
                                            .extracting(m -> m.get("httpEndpoint").asText())
                                            .containsExactlyInAnyOrder(
                                                    first.endpoint(), second.endpoint()));

            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                var counter = client.actor("counter").getOrCreate("c" + i);
                assertThat(counter.action("increment", Integer.class, 1)).isEqualTo(1);
                ids.add(counter.resolve());
            }
            Set<String> owners = new HashSet<>();
            for (String id : ids) {
                String owner = owner(first, id);
                assertThat(owner(second, id)).as("owner of %s", id).isEqualTo(owner);
                owners.add(owner);
            }
            assertThat(owners)
                    .allMatch(owner -> owner.startsWith("pekko://rivetkit@127.0.0.1:"))
                    .hasSizeBetween(1, 2);
            List<JsonNode> members = members(first);
            assertThat(members).allMatch(m -> m.get("status").asText().equals("Up"));
            assertThat(members.stream().mapToInt(m -> m.get("awakeActors").asInt()).sum())
                    .as("awake actors over the members")
                    .isEqualTo(ids.size());

            HttpResponse<String> metrics = get(first, "/metrics", TOKEN);
            assertThat(metrics.body())
                    .containsPattern("rivetkit_cluster_forwarded_calls_total [1-9]")
                    .contains("rivetkit_cluster_handovers_total 0.0")
                    .contains("rivetkit_state_fenced_writes_total 0.0");

            // Paused past the failure detector, the second node is downed; resumed, it stops.
            signal("STOP", second);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(members(first)).hasSize(1));
            for (String id : ids) {
                assertThat(owner(first, id))
                        .isEqualTo("pekko://rivetkit@127.0.0.1:" + clusterPorts[0]);
            }
            signal("CONT", second);
            await().atMost(Duration.ofSeconds(60)).until(() -> !second.handle().isAlive());
            assertThat(ServeProcess.readFrom(dir.resolve("second").resolve("serve.log"), 0))
                    .contains("this node was removed from the cluster; stopping");
        }
    }

    /**
     * The workspace on a cluster: its owner dies with a turn running; the viewers, connected
     * through the other node, keep their connections, which follow the workspace to its new owner
     * there, and find the lost turn reported; the prompt that was running is not run again, and the
     * next prompt restores the agent session on that node.
     */
    @Test
    void aWorkspaceWhoseOwnerIsKilledMidTurnIsReportedAndRestoredOnTheOtherNode() throws Exception {
        String url = database("serve_cluster_workspace");
        int[] clusterPorts = clusterPorts();
        String seeds = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1];
        String firstAddress = "pekko://rivetkit@127.0.0.1:" + clusterPorts[0];
        String secondAddress = "pekko://rivetkit@127.0.0.1:" + clusterPorts[1];
        List<ProcessHandle> orphans = new ArrayList<>();
        // The fast stand-in agent: "HANG" keeps a turn running until it is cancelled.
        String[] options = {"--token", TOKEN, "--agent", "amp"};
        try (ServeProcess first = serve("first", clusterPorts[0], url, seeds, options);
                ServeProcess second = serve("second", clusterPorts[1], url, seeds, options);
                RivetClient client =
                        RivetClient.builder().endpoint(first.endpoint()).token(TOKEN).build()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> members(first).size() == 2);
            ActorHandle workspace = null;
            for (int i = 0; i < 50 && workspace == null; i++) {
                ActorHandle candidate = client.actor("workspace").getOrCreate("team-" + i);
                if (owner(first, candidate.resolve()).equals(secondAddress)) {
                    workspace = candidate;
                }
            }
            assertThat(workspace).as("a workspace owned by the second node").isNotNull();
            // Killed, the second serve leaves its Sandbox Agent server and agent behind.
            orphans.addAll(second.handle().descendants().toList());

            try (ActorConnection alice = workspace.connect(Map.of("userId", "alice"));
                    ActorConnection bob = workspace.connect(Map.of("userId", "bob"))) {
                CompletableFuture<JsonNode> turn =
                        alice.actionAsync(
                                "prompt",
                                JsonNode.class,
                                Map.of("userId", "alice", "text", "chunks=1 HANG"));
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> history(bob).toString().contains("chunk 1"));
                assertThat(turn).isNotDone();

                second.handle().destroyForcibly();

                // Alice's prompt fails, and is not run again on the new owner.
                assertThat(turn).failsWithin(Duration.ofSeconds(90));
                await().atMost(Duration.ofSeconds(90))
                        .ignoreExceptions()
                        .until(() -> history(bob).toString().contains("session.error"));
                assertThat(owner(first, workspace.resolve())).isEqualTo(firstAddress);
                List<JsonNode> history = WorkspaceHistory.all(workspace);
                assertThat(history)
                        .extracting(e -> e.path("event").asText())
                        .startsWith("chat.user", "session.event")
                        .endsWith("session.error")
                        .containsOnlyOnce("chat.user");
                assertThat(history.getLast().path("data").path("message").asText())
                        .contains("stopped during alice's prompt");

                JsonNode next =
                        await().atMost(Duration.ofSeconds(60))
                                .ignoreExceptions()
                                .until(
                                        () ->
                                                alice.action(
                                                        "prompt",
                                                        JsonNode.class,
                                                        Map.of(
                                                                "userId",
                                                                "alice",
                                                                "text",
                                                                "chunks=1")),
                                        result -> result != null);
                assertThat(next.path("stopReason").asText()).isEqualTo("end_turn");
                List<JsonNode> after = WorkspaceHistory.all(workspace);
                assertThat(after.subList(0, history.size())).isEqualTo(history);
                // Restored on this node: the persisted history went to its agent with the prompt.
                assertThat(after.subList(history.size(), after.size()).toString())
                        .contains("echo: 2 blocks");
            }
        } finally {
            orphans.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * Two people's pages, each served by another node, share one workspace (Chromium, as {@link
     * WorkspacePageBrowserTest}); then the workspace's node dies mid-turn, and the page on the
     * other node, whose connection follows the workspace to its new owner, shows the lost turn and
     * goes on there.
     */
    @Test
    void twoPagesOnTwoNodesShareOneWorkspaceAndOneGoesOnWhenTheOwnersNodeDies() throws Exception {
        BrowserScript.installChromium();
        String url = database("serve_cluster_pages");
        int[] clusterPorts = clusterPorts();
        String seeds = "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1];
        String secondAddress = "pekko://rivetkit@127.0.0.1:" + clusterPorts[1];
        List<ProcessHandle> orphans = new ArrayList<>();
        try (ServeProcess first = serve("first", clusterPorts[0], url, seeds);
                ServeProcess second = serve("second", clusterPorts[1], url, seeds);
                RivetClient client = RivetClient.create(first.endpoint())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> members(first).size() == 2);
            String workspaceId = null;
            for (int i = 0; i < 50 && workspaceId == null; i++) {
                String id = client.actor("workspace").getOrCreate("pages-" + i).resolve();
                if (owner(first, id).equals(secondAddress)) {
                    workspaceId = "pages-" + i;
                }
            }
            assertThat(workspaceId).as("a workspace owned by the second node").isNotNull();
            orphans.addAll(second.handle().descendants().toList());

            Map<String, JsonNode> steps =
                    BrowserScript.run(
                            "cluster.mjs",
                            first.endpoint(),
                            "cluster",
                            Map.of("SECOND_URL", second.endpoint(), "WORKSPACE_ID", workspaceId),
                            Map.of("kill-owner", step -> second.handle().destroyForcibly()));

            assertThat(steps.keySet()).containsExactly("joined", "turn", "kill-owner", "done");
            JsonNode turn = steps.get("turn");
            assertThat(turn.get("alice").asText())
                    .contains("Approved by bob", "turn ended: end_turn");
            assertThat(turn.get("bob").asText())
                    .as("bob, on the other node, sees what alice sees")
                    .isEqualTo(turn.get("alice").asText());
            assertThat(steps.get("done").get("alice").asText())
                    .containsSubsequence(
                            "Try something risky",
                            "stopped during alice's prompt",
                            "Once more, carefully",
                            "turn ended: end_turn");
            assertThat(steps.get("done").get("pageErrors")).isEmpty();
        } finally {
            orphans.forEach(ProcessHandle::destroyForcibly);
        }
    }

    private static JsonNode history(ActorConnection workspace) {
        return workspace.action("getHistory", JsonNode.class);
    }

    private ServeProcess serve(
            String name, int clusterPort, String url, String seeds, String... options)
            throws IOException {
        List<String> arguments =
                new ArrayList<>(
                        List.of(
                                "--store",
                                url,
                                "--cluster-port",
                                String.valueOf(clusterPort),
                                "--seed-nodes",
                                seeds));
        arguments.addAll(List.of(options));
        // A folder each: a serve's log is a sibling of its data dir.
        return ServeProcess.start(
                Files.createDirectories(dir.resolve(name)).resolve("data"),
                freePort(),
                arguments.toArray(String[]::new));
    }

    /** A database of its own for a test, on the shared embedded PostgreSQL; its JDBC URL. */
    private static String database(String name) throws Exception {
        try (Connection connection = EmbeddedPostgresFixture.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return EmbeddedPostgresFixture.server().getJdbcUrl("postgres", name);
    }

    /**
     * Two free cluster ports, the first one's the lower: with two nodes, the split-brain resolver
     * keeps the side of the lowest address, so the first node survives the second's loss.
     */
    private static int[] clusterPorts() throws IOException {
        int[] ports = {freePort(), freePort()};
        Arrays.sort(ports);
        return ports;
    }

    private static void signal(String signal, ServeProcess serve) throws Exception {
        assertThat(
                        new ProcessBuilder(
                                        "kill", "-" + signal, String.valueOf(serve.handle().pid()))
                                .start()
                                .waitFor())
                .isZero();
    }

    private List<JsonNode> members(ServeProcess serve) throws Exception {
        HttpResponse<String> response = get(serve, "/cluster", TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> members = new ArrayList<>();
        JSON.readTree(response.body()).get("members").forEach(members::add);
        return members;
    }

    private String owner(ServeProcess serve, String actorId) throws Exception {
        HttpResponse<String> response = get(serve, "/cluster/actors/" + actorId, TOKEN);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).get("node").asText();
    }

    private HttpResponse<String> get(ServeProcess serve, String path, String token)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(serve.endpoint() + path));
        if (token != null) {
            request.header("x-rivet-token", token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
